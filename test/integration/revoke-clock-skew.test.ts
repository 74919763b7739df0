// A revocation is a row of its own, stamped by the clock of whoever revoked (an API process on another
// host, the CLI on an operator's machine). A revoking clock a few seconds behind the creating one must
// not lose the revocation: the detector would go on applying an adjustment or a suppression the audit
// trail says is revoked.
import { MS_PER_DAY } from '../../src/calendar';
import { type ClickHouse } from '../../src/store';
import { asDetectorAdjustments, createAdjustment, listAdjustments, revokeAdjustment } from '../../src/triage/adjustments';
import { asAllowlistEntries, createSuppression, listSuppressions, revokeSuppression } from '../../src/triage/suppressions';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

describe('adjustments and suppressions revoked by a clock behind the creating one', () => {
  const base = testConfig();
  const database = uniqueName('adj_skew');
  let admin: ClickHouse;
  let ch: ClickHouse;

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));
  });

  afterAll(async () => {
    await dropDatabase(database, { admin, ch });
  });

  it('an adjustment is revoked, and the detector no longer applies it', async () => {
    const now = Date.now();
    const today = Math.floor(now / MS_PER_DAY);
    const made = await createAdjustment(ch, { kind: 'project_work', subject: 'ana@corp.example', factor: 10, from: (today - 1) * MS_PER_DAY, until: (today + 30) * MS_PER_DAY, reason: 'mistake', alertId: 'al_x' }, 'api-host-1', now);
    // Revoked moments later from a host whose clock is 5 s behind.
    await revokeAdjustment(ch, made, 'api-host-2', now - 5000);
    const [stored] = await listAdjustments(ch);
    expect(stored.id).toBe(made.id);
    expect(stored.revokedBy).toBe('api-host-2');
    expect(asDetectorAdjustments(await listAdjustments(ch))).toEqual([]);
  });

  it('a suppression is revoked, and the detector no longer honours it', async () => {
    const now = Date.now();
    const made = await createSuppression(ch, { scope: 'user', user: 'ben@corp.example', until: now + 30 * MS_PER_DAY, reason: 'mistake', alertId: 'al_y' }, 'api-host-1', now);
    await revokeSuppression(ch, made, 'api-host-2', now - 5000);
    const [stored] = await listSuppressions(ch);
    expect(stored.id).toBe(made.id);
    expect(stored.revokedBy).toBe('api-host-2');
    expect(asAllowlistEntries(await listSuppressions(ch))).toEqual([]);
  });
});
