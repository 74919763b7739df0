// A repair wait that lasts is reported (src/store/stall-watch.ts): first after a while, then at an
// interval, with details read at that moment; a failing details read does not end the wait.
import { createLogger } from '../../src/log';
import { stallWatch } from '../../src/store/stall-watch';

describe('the stall watch of a repair wait', () => {
  const logged = () => {
    const lines: Array<Record<string, unknown>> = [];
    return { lines, log: createLogger({ level: 'info', destination: { write: (s: string) => lines.push(JSON.parse(s)) } }) };
  };
  beforeEach(() => jest.useFakeTimers({ now: Date.UTC(2026, 11, 4, 12) }));
  afterEach(() => jest.useRealTimers());

  it('says nothing before the first report is due, then reports at the interval, counting each', async () => {
    const { lines, log } = logged();
    let stalls = 0;
    let reads = 0;
    const watch = stallWatch(log, 'waiting for it', { firstMs: 30_000, everyMs: 60_000, onStall: () => stalls++ });
    const details = async () => ({ pending: ++reads });
    for (const [advance, expected] of [[29_000, 0], [1_000, 1], [59_000, 1], [1_000, 2], [10_000, 2]] as const) {
      jest.advanceTimersByTime(advance);
      await watch(details);
      expect({ advance, stalls }).toEqual({ advance, stalls: expected });
    }
    expect(reads).toBe(2);
    expect(lines.map((l) => [l.level, l.msg, l.waitingSeconds, l.pending])).toEqual([
      [40, 'waiting for it', 30, 1],
      [40, 'waiting for it', 90, 2],
    ]);
  });

  it('a details read that fails is reported as unavailable, and the wait goes on', async () => {
    const { lines, log } = logged();
    const watch = stallWatch(log, 'waiting for it', { firstMs: 0 });
    await expect(watch(() => Promise.reject(new Error('ClickHouse unreachable')))).resolves.toBeUndefined();
    await expect(watch(() => Promise.reject('not an Error'))).resolves.toBeUndefined();
    jest.advanceTimersByTime(60_000);
    await watch(() => Promise.reject('not an Error'));
    expect(lines.map((l) => l.detailsUnavailable)).toEqual(['ClickHouse unreachable', 'not an Error']);
  });
});
