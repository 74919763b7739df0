// Which slow-drip runs count as reported (src/detect/drip-runs.ts): what is stored is reported; what was
// raised on a day still judged is reported only until its employee is judged again from what is stored.
import type { AlertRecord, Severity } from '../../src/alerts/types';
import { createDripRuns } from '../../src/detect/drip-runs';
import { syntheticAlert } from '../helpers/api-fixture';

const DAY = 20_500;

/** A revision of `user`'s alert carrying a drip finding of the run that began on `runStart`. */
function dripAlert(user: string, severity: Severity, runStart: number, detector = 'slowDrip'): AlertRecord {
  const a = syntheticAlert(user, DAY, { id: `a-${user}` });
  return { ...a, severity, findings: [{ ...a.findings[0], detector, details: { runStart } }] } as unknown as AlertRecord;
}

describe('drip runs reported', () => {
  it('reports a stored run at its highest severity, per employee and detector, and a new run not at all', () => {
    const runs = createDripRuns();
    runs.stored(dripAlert('alice', 'high', DAY - 5));
    runs.stored(dripAlert('alice', 'medium', DAY - 5));
    expect(runs.reportedAt('alice', 'slowDrip', DAY - 5)).toBe('high');
    expect(runs.reportedAt('alice', 'slowDrip', DAY - 2)).toBeNull();
    expect(runs.reportedAt('alice', 'sensitiveDrip', DAY - 5)).toBeNull();
    expect(runs.reportedAt('bob', 'slowDrip', DAY - 5)).toBeNull();
    // An alert without a drip finding notes nothing.
    runs.stored({ ...dripAlert('bob', 'critical', DAY - 5), findings: [] } as AlertRecord);
    expect(runs.reportedAt('bob', 'slowDrip', DAY - 5)).toBeNull();
  });

  it('forgets a raised run when its employee is released, keeps the others and what was stored', () => {
    const runs = createDripRuns();
    runs.stored(dripAlert('alice', 'medium', DAY - 5));
    runs.raised(dripAlert('alice', 'high', DAY - 5), DAY);
    runs.raised(dripAlert('bob', 'high', DAY - 3), DAY);
    expect(runs.reportedAt('alice', 'slowDrip', DAY - 5)).toBe('high');
    runs.release(new Set(['alice']));
    // Judged again, alice's escalation is raised again; the stored medium still counts.
    expect(runs.reportedAt('alice', 'slowDrip', DAY - 5)).toBe('medium');
    expect(runs.reportedAt('bob', 'slowDrip', DAY - 3)).toBe('high');
  });

  it('settles the runs raised on the days forgotten, not those of the days still judged', () => {
    const runs = createDripRuns();
    runs.raised(dripAlert('alice', 'high', DAY - 5), DAY - 1);
    runs.raised(dripAlert('bob', 'high', DAY - 3), DAY);
    runs.forget(DAY);
    runs.release(new Set(['alice', 'bob']));
    expect(runs.reportedAt('alice', 'slowDrip', DAY - 5)).toBe('high');
    expect(runs.reportedAt('bob', 'slowDrip', DAY - 3)).toBeNull();
  });

  it('keeps one raised run a day per employee and detector, at the higher severity of the same run', () => {
    const runs = createDripRuns();
    runs.raised(dripAlert('alice', 'high', DAY - 5), DAY);
    runs.raised(dripAlert('alice', 'low', DAY - 5), DAY);
    expect(runs.reportedAt('alice', 'slowDrip', DAY - 5)).toBe('high');
    // A new run the same day replaces the old one's entry: the old run is no longer reported from it.
    runs.raised(dripAlert('alice', 'low', DAY - 1), DAY);
    expect(runs.reportedAt('alice', 'slowDrip', DAY - 1)).toBe('low');
    expect(runs.reportedAt('alice', 'slowDrip', DAY - 5)).toBeNull();
  });
});
