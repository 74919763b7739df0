// The slow drip's calibration holds only the working days the CUSUM judges. Before a person has an
// established routine (minReferenceDays of their own days) the CUSUM holds at 0 and judges nothing; those
// days used to go into the pool as ordinary days with S = 0, so in a young pool (a new deployment, a
// backfill, the first weeks of an evaluation) most of the pool was zeros and an ordinary early run was
// judged 1 in 10,000 working days or rarer.
import { dayOf, isWeekend } from '../../src/calendar';
import { loadConfig } from '../../src/config';
import { peopleFrom } from '../../src/detect/people';
import { directoryEntry, handHistory, spread, type PersonDays } from '../helpers/detect-history';

const { detection } = loadConfig({ env: {} }).config;
const MB = 1e6;
const DAY = dayOf(Date.parse('2026-09-15T00:00:00Z'));
const IDS = Array.from({ length: 120 }, (_, i) => `p${i + 1}`);
const people = peopleFrom(IDS.map((id, i) => directoryEntry(id, i % 2 === 0 ? 'Sales' : 'Engineering', i % 2 === 0 ? 'sales_ops' : 'data_eng')));

/** Everyone active every working day from `firstDay` on, each varying as much as their role's typical member. */
function organisation(firstDay: number): Record<string, PersonDays> {
  return Object.fromEntries(IDS.map((id, i) => {
    const days = spread(100 * MB, 0.5, 37 * i);
    return [id, { daily: (d: number) => (d >= firstDay ? days(d) : null) }];
  }));
}

/** Working days in [from, to) on which a person active every working day since `firstDay` has at least `n` of them in the baseline window. */
function establishedDays(firstDay: number, from: number, to: number, n: number): number {
  let count = 0;
  for (let d = from; d < to; d++) {
    if (isWeekend(d)) continue;
    let own = 0;
    for (let e = Math.max(firstDay, d - detection.baselineDays); e < d; e++) if (!isWeekend(e)) own++;
    if (own >= n) count++;
  }
  return count;
}

describe('slow drip calibration: only the days the CUSUM judges', () => {
  it('a young organisation: the pool holds the working days after routines were established, not the zeros before', () => {
    const firstDay = DAY - 35;
    const h = handHistory(DAY, organisation(firstDay), detection, people);
    const judged = IDS.length * establishedDays(firstDay, DAY - detection.poolDays, DAY, detection.detectors.slowDrip.minReferenceDays);
    let working = 0;
    for (let d = Math.max(firstDay, DAY - detection.poolDays); d < DAY; d++) if (!isWeekend(d)) working++;
    expect(judged).toBeGreaterThan(0);
    expect(judged).toBeLessThan(IDS.length * working);
    expect(h.calibration.drip.summary.samples).toBe(judged);
  });

  it('a mature organisation: every working day of the pool is judged', () => {
    const h = handHistory(DAY, organisation(DAY - 200), detection, people);
    let working = 0;
    for (let d = DAY - detection.poolDays; d < DAY; d++) if (!isWeekend(d)) working++;
    expect(h.calibration.drip.summary.samples).toBe(IDS.length * working);
  });
});
