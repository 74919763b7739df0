// Which adjustments an alert page and an employee page show: the one a verdict made, the ones in force for
// the person (or their department and role) on the alert day when the detector last revised it, and an
// employee's and their peer group's, with employees as pseudonyms.
import { MS_PER_DAY } from '../../src/calendar';
import type { DirectoryIndex } from '../../src/directory';
import { alertAdjustments, employeeAdjustments } from '../../src/triage/adjustment-views';
import { createPseudonyms, type Adjustment } from '../../src/triage';
import { directoryEntry } from '../helpers/detect-history';

const DAY = 20_000;
const entries = [directoryEntry('ana', 'Analytics', 'data_analyst'), directoryEntry('ben', 'Analytics', 'data_analyst'), directoryEntry('sue', 'Support', 'agent')];
const who: DirectoryIndex = { version: 1, entries, byId: new Map(entries.map((e) => [e.id, e])), byDepartment: new Map() };
const pseudonyms = createPseudonyms({ enabled: true, key: 'a-key-for-the-adjustment-views-0123' });

const adj = (id: string, over: Partial<Adjustment>): Adjustment => ({
  id, kind: 'project_work', scope: 'user', subject: 'ana', factor: 3, from: (DAY - 5) * MS_PER_DAY, until: (DAY + 5) * MS_PER_DAY, reason: 'r', alertId: '', createdBy: 'alice', createdAt: (DAY - 5) * MS_PER_DAY, revokedBy: null, revokedAt: null, ...over,
});

const alert = { alertId: 'al_x', user: 'ana', windowStart: DAY * MS_PER_DAY, windowEnd: (DAY + 1) * MS_PER_DAY, updatedAtWall: DAY * MS_PER_DAY + 3_600_000 };
const now = (DAY + 1) * MS_PER_DAY;

describe('alertAdjustments', () => {
  const all = [
    adj('made', { alertId: 'al_x', createdAt: now }),
    adj('ana-own', {}),
    adj('group', { scope: 'peer_group', subject: 'Analytics/data_analyst', kind: 'expected_for_role' }),
    adj('other-group', { scope: 'peer_group', subject: 'Support/agent', kind: 'expected_for_role' }),
    adj('ben-own', { subject: 'ben' }),
    adj('ended-before', { until: DAY * MS_PER_DAY }),
    adj('made-later', { createdAt: alert.updatedAtWall + 1 }),
    adj('revoked-before', { revokedAt: alert.updatedAtWall - 1, revokedBy: 'bob' }),
    adj('revoked-after', { revokedAt: alert.updatedAtWall + 1, revokedBy: 'bob' }),
  ];

  it('separates the one the verdict made from those in force when the alert was judged', () => {
    const v = alertAdjustments(all, alert, who, pseudonyms, now);
    expect(v.made.map((a) => a.id)).toEqual(['made']);
    expect(v.applied.map((a) => a.id).sort()).toEqual(['ana-own', 'group', 'revoked-after']);
  });

  it('shows a person as their pseudonym and a peer group by name, with whether each is in force now', () => {
    const v = alertAdjustments(all, alert, who, pseudonyms, now);
    expect(v.made[0].subject).toBe(pseudonyms.of('ana'));
    expect(v.applied.find((a) => a.id === 'group')).toMatchObject({ subject: 'Analytics/data_analyst', active: true });
    expect(v.applied.find((a) => a.id === 'revoked-after')?.active).toBe(false);
  });
});

describe('employeeAdjustments', () => {
  it("lists the employee's own and their peer group's, active and past, and nobody else's", () => {
    const all = [adj('ana-own', {}), adj('ana-past', { until: (DAY - 1) * MS_PER_DAY }), adj('group', { scope: 'peer_group', subject: 'Analytics/data_analyst' }), adj('ben-own', { subject: 'ben' }), adj('support', { scope: 'peer_group', subject: 'Support/agent' })];
    const v = employeeAdjustments(all, 'ana', who, pseudonyms, now);
    expect(v.map((a) => a.id)).toEqual(['ana-own', 'ana-past', 'group']);
    expect(v.find((a) => a.id === 'ana-past')?.active).toBe(false);
    // Someone the directory does not know has no peer group: only their own.
    expect(employeeAdjustments([adj('x', { subject: 'zed' }), adj('group', { scope: 'peer_group', subject: 'Analytics/data_analyst' })], 'zed', who, pseudonyms, now).map((a) => a.id)).toEqual(['x']);
  });
});
