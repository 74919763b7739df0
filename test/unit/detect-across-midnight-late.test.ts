// The day before's events arriving after the next day's first ones (a source behind) once the run was
// carried at midnight (day-run.ts lateBefore): their bytes count in the window as in a backfill (in event
// order), and what the day before raises on them is not raised again by the window.
import { inEventOrder } from '../../src/detect/backfill';
import type { DetectEvent } from '../../src/detect/event';
import { engine, ofDay, run } from '../helpers/across-midnight';
import { at, DAY, GB, MB } from '../helpers/detect-time';

const KB = 1e3;

/** Each user's events as they arrive: the day before's of session `lateSession` after the next day's up to 01:10. */
function lagged(events: DetectEvent[], lateSession: string): DetectEvent[] {
  const sorted = [...events].sort(inEventOrder);
  const late = (e: DetectEvent) => e.ts < at(DAY + 1, 0) && e.sessionId === lateSession;
  const rest = sorted.filter((e) => !late(e));
  const cut = rest.findIndex((e) => e.ts >= at(DAY + 1, 1, 10));
  return [...rest.slice(0, cut), ...sorted.filter(late), ...rest.slice(cut)];
}

describe('late events of the day before, the run carried at midnight', () => {
  it('late bytes from sensitive tables count in the window as in event order (the day before had none on time)', async () => {
    // On time: a query every 3 minutes 22:00-23:57 (the run carried at 00:00). Late: 6 GB of customer
    // records 23:00-23:57. Then 6 GB more after midnight: 12 GB of pii in the window, over the 10 GB limit.
    const events = [
      ...run('wide', at(DAY, 22), 40, 10 * KB, 3, 'crm.orders', 'on-time'),
      ...run('wide', at(DAY, 23), 20, 300 * MB, 3, 'crm.customers', 'late'),
      ...run('wide', at(DAY + 1, 0), 20, 300 * MB, 6, 'crm.customers', 'after'),
    ];
    const inOrder = await engine().process([...events].sort(inEventOrder));
    expect(ofDay(inOrder, DAY + 1).flatMap((a) => a.detectors)).toContain('sensitive');
    const live = await engine().process(lagged(events, 'wide-late'));
    expect(ofDay(live, DAY).flatMap((a) => a.detectors)).not.toContain('sensitive');
    expect(ofDay(live, DAY + 1).flatMap((a) => a.detectors)).toContain('sensitive');
  });

  it('what the day before raises on its late bytes is not raised again by the window', async () => {
    // On time: 400 MB 22:30-23:30 (no alert; the run carried at 00:01). Late: 10 GB 23:31-23:59, which
    // makes the day before's volumeSelf alert. After midnight 200 MB more, without a pause: as when the
    // 10 GB came on time (detect-across-midnight.test.ts), the next day raises nothing on those bytes.
    const events = [
      ...run('steady', at(DAY, 22, 30), 21, 19 * MB, 3, 'crm.orders', 'on-time'),
      ...run('steady', at(DAY, 23, 31), 10, 1 * GB, 3, 'crm.orders', 'late'),
      ...run('steady', at(DAY + 1, 0, 1), 4, 50 * MB, 30, 'crm.orders', 'after'),
    ];
    const inOrder = await engine().process([...events].sort(inEventOrder));
    expect(ofDay(inOrder, DAY).flatMap((a) => a.detectors)).toContain('volumeSelf');
    expect(ofDay(inOrder, DAY + 1).flatMap((a) => a.detectors)).not.toContain('volumeSelf');
    const live = await engine().process(lagged(events, 'steady-late'));
    expect(ofDay(live, DAY).flatMap((a) => a.detectors)).toContain('volumeSelf');
    expect(ofDay(live, DAY + 1).flatMap((a) => a.detectors)).not.toContain('volumeSelf');
  });
});
