// Tuning runs started from the API run in the background one at a time, with their progress readable
// while they run, and end stored (the run id) or failed with a readable reason.
import { TriageError } from '../../src/errors';
import { createTuningJobs } from '../../src/tune/jobs';
import type { TuningResult } from '../../src/tune/run';

const result = { from: 0, to: 86_400_000, days: 1, currentFloor: 1, confirmed: [], events: 3, candidates: [], budget: null, proposal: null } as TuningResult;

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('createTuningJobs', () => {
  it('runs one at a time: a second start while one runs is a conflict; progress is visible; the run id when stored', async () => {
    const g = gate();
    const stored: string[] = [];
    const jobs = createTuningJobs({
      run: async (req) => {
        req.onProgress({ hour: 3, hours: 24, events: 100 });
        await g.opened;
        return result;
      },
      store: async (actor) => {
        stored.push(actor);
        return { runId: 'tr_20261001120000_1a2b3c4d', at: 0, actor, from: 0, to: 1, budget: null, result };
      },
      now: () => 1000,
    });
    expect(jobs.latest()).toBeNull();
    const job = jobs.start('adam', { days: 1 });
    expect(job.state).toBe('running');
    expect(() => jobs.start('eve', { days: 1 })).toThrow(TriageError);
    expect(() => jobs.start('eve', { days: 1 })).toThrow(/in progress \(started by adam, hour 3\/24\)/);
    expect(jobs.latest()).toMatchObject({ state: 'running', progress: { hour: 3, hours: 24, events: 100 } });
    g.open();
    await jobs.idle();
    expect(jobs.latest()).toMatchObject({ state: 'done', runId: 'tr_20261001120000_1a2b3c4d', error: null, finishedAt: 1000 });
    expect(stored).toEqual(['adam']);
    // Done: the next may start.
    expect(jobs.start('eve', { days: 1 }).actor).toBe('eve');
  });

  it('a failed run says why (a refusal as written, anything else as the run failing), stores nothing, and frees the slot', async () => {
    const seen: unknown[] = [];
    let fail: Error = new TriageError('TRIAGE_INVALID', 'no stored access events to replay');
    const store = jest.fn();
    const jobs = createTuningJobs({ run: async () => Promise.reject(fail), store, now: () => 5, onError: (err) => seen.push(err) });
    jobs.start('adam', { days: 1 });
    await jobs.idle();
    expect(jobs.latest()).toMatchObject({ state: 'failed', error: 'no stored access events to replay', runId: null });
    fail = new Error('socket hang up');
    jobs.start('adam', { days: 1 });
    await jobs.idle();
    expect(jobs.latest()).toMatchObject({ state: 'failed', error: 'the run failed: socket hang up' });
    expect(store).not.toHaveBeenCalled();
    expect(seen).toHaveLength(2);
  });
});
