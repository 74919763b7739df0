// In evaluation, `insider tune --labels` scores each candidate on the labelled insider scenarios of the
// period, as `insider eval` does: a bulk export counts only when caught before its last event.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AlertRecord } from '../../src/alerts';
import { MS_PER_DAY } from '../../src/calendar';
import { EvaluationError } from '../../src/errors';
import type { LabelledScenario } from '../../src/evaluate';
import { readScenarioLabels, scenarioCatches, scenariosIn } from '../../src/tune/scenarios';

const D = 20_700;
const HOUR = 3_600_000;
const at = (day: number, hour: number) => day * MS_PER_DAY + hour * HOUR;
const iso = (t: number) => new Date(t).toISOString();
const scenario = (id: string, kind: string, user: string, start: number, end: number): LabelledScenario => ({ id, kind, expected: 'malicious', user, users: [user], start: iso(start), end: iso(end) });
const alert = (user: string, firedAt: number, day: number) =>
  ({ alertId: `al_${user}_${firedAt}`, user, windowStart: day * MS_PER_DAY, windowEnd: (day + 1) * MS_PER_DAY, firedAt, severity: 'medium', detectors: ['volumeSelf'], explanation: 'x', observedBytes: 1e9 }) as unknown as AlertRecord;

const bulk = scenario('s-bulk', 'bulk_export', 'ann', at(D, 10), at(D, 12));
const drip = scenario('s-drip', 'slow_drip', 'bob', at(D - 5, 9), at(D, 17));
const spike = scenario('s-spike', 'single_day_spike', 'cy', at(D + 1, 9), at(D + 1, 11));

describe('scenarioCatches', () => {
  it('counts a bulk export caught before its end, the other scenarios caught at all, and names the missed', () => {
    const alerts = [alert('ann', at(D, 11), D), alert('bob', at(D, 18), D)];
    expect(scenarioCatches(alerts, [bulk, drip, spike], { users: 10, days: 10 })).toEqual({ bulkBeforeEnd: 1, bulk: 1, othersDetected: 1, others: 2, missed: ['s-spike'] });
  });

  it('a bulk export alerted only after its last event is missed', () => {
    expect(scenarioCatches([alert('ann', at(D, 13), D)], [bulk], { users: 10, days: 10 })).toEqual({ bulkBeforeEnd: 0, bulk: 1, othersDetected: 0, others: 0, missed: ['s-bulk'] });
  });

  it('an alert on someone else, or on another day, catches nothing', () => {
    expect(scenarioCatches([alert('dee', at(D, 11), D), alert('ann', at(D + 3, 11), D + 3)], [bulk], { users: 10, days: 10 }).missed).toEqual(['s-bulk']);
  });
});

describe('scenariosIn', () => {
  it('keeps the scenarios with an event in the replayed period', () => {
    expect(scenariosIn([bulk, drip, spike], at(D + 1, 0), at(D + 2, 0)).map((s) => s.id)).toEqual(['s-spike']);
    expect(scenariosIn([bulk, drip, spike], at(D - 1, 0), at(D + 1, 0)).map((s) => s.id)).toEqual(['s-bulk', 's-drip']);
  });
});

describe('readScenarioLabels', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tune-labels-'));
  const write = (name: string, body: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, body);
    return f;
  };

  it('reads the malicious scenarios of a labels file of insider simulate', () => {
    const benign = { ...drip, id: 's-benign', expected: 'benign' };
    const f = write('labels.json', JSON.stringify({ generator: 'insider simulate', format: 1, scenarios: [bulk, benign, spike] }));
    expect(readScenarioLabels(f).map((s) => s.id)).toEqual(['s-bulk', 's-spike']);
  });

  it('refuses another file with a message that names it', () => {
    const notLabels = write('other.json', JSON.stringify({ scenarios: [] }));
    expect(() => readScenarioLabels(notLabels)).toThrow(EvaluationError);
    expect(() => readScenarioLabels(notLabels)).toThrow(/other\.json: not a labels file of insider simulate/);
    expect(() => readScenarioLabels(write('broken.json', '{"generator'))).toThrow(/broken\.json: cannot read it as JSON labels/);
    expect(() => readScenarioLabels(path.join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read it as JSON labels/);
  });
});
