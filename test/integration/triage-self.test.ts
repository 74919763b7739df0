// An insider with an analyst's token is the case this product exists for: nobody may close, snooze or
// raise the expectations of an alert about themselves, nor raise the expected volume of their own peer
// group (department and role) by resolving a colleague's alert as "expected for the role". Another
// analyst may. On the real ClickHouse, through the triage service every way in (API, CLI) goes through.
import type { AlertRecord } from '../../src/alerts';
import { writeAlerts } from '../../src/alerts';
import { MS_PER_DAY } from '../../src/calendar';
import { storeDirectory, type DirectoryEntry } from '../../src/directory';
import { type ClickHouse } from '../../src/store';
import { actOnAlert, adjustmentsView, createPseudonyms, type Actor } from '../../src/triage';
import { PSEUDONYM_KEY, syntheticAlert } from '../helpers/api-fixture';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

const ANA = 'ana@corp.example';
const BEN = 'ben@corp.example';
const ZED = 'zed@corp.example';
const DAY = Math.floor(Date.now() / MS_PER_DAY) - 1;
const actor = (name: string): Actor => ({ name, role: 'analyst', sourceIp: '127.0.0.1', requestId: `self-${name}` });
const until = (DAY + 10) * MS_PER_DAY;

describe('no triage of an alert about oneself', () => {
  const base = testConfig();
  const database = uniqueName('triage_self');
  let admin: ClickHouse;
  let ch: ClickHouse;
  const pseudonyms = createPseudonyms({ enabled: true, key: PSEUDONYM_KEY });
  const deps = () => ({ ch, pseudonyms });

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));
    const person = (id: string, department: string): DirectoryEntry => ({ id, name: id, department, role: 'data_analyst', manager: '', location: '', timezone: 'UTC', hire_date: null, notice_date: null, end_date: null, account_type: 'human' });
    await storeDirectory(ch, [person(ANA, 'Analytics'), person(BEN, 'Analytics'), person(ZED, 'Finance')], { source: 'test', checksum: 'self' });
    const alerts = ['ana_1', 'ana_2', 'ana_3', 'ana_4', 'ben_1'].map((id) => syntheticAlert(id.startsWith('ana') ? ANA : BEN, DAY, { id: `al_self_${id}` }) as AlertRecord);
    await writeAlerts(ch, alerts);
  });

  afterAll(async () => {
    await dropDatabase(database, { admin, ch });
  });

  it('refuses resolving, snoozing or adjusting an alert about the actor (whatever the case of the name), and stores nothing', async () => {
    const self = actor(ANA.toUpperCase());
    await expect(actOnAlert(deps(), self, 'al_self_ana_1', { action: 'resolve', disposition: 'false_positive', adjust: { kind: 'project_work', until, factor: 10 } })).rejects.toMatchObject({ code: 'TRIAGE_CONFLICT' });
    await expect(actOnAlert(deps(), actor(ANA), 'al_self_ana_2', { action: 'resolve', disposition: 'expected_activity' })).rejects.toMatchObject({ code: 'TRIAGE_CONFLICT' });
    await expect(actOnAlert(deps(), actor(ANA), 'al_self_ana_3', { action: 'snooze', snoozeUntil: Date.now() + 7 * MS_PER_DAY })).rejects.toMatchObject({ code: 'TRIAGE_CONFLICT' });
    expect(await adjustmentsView(deps())).toEqual([]);
  });

  it("refuses raising the actor's own peer group's expectation through a colleague's alert", async () => {
    await expect(actOnAlert(deps(), actor(ANA), 'al_self_ben_1', { action: 'resolve', disposition: 'false_positive', adjust: { kind: 'expected_for_role', factor: 10 } })).rejects.toMatchObject({ code: 'TRIAGE_CONFLICT' });
    expect(await adjustmentsView(deps())).toEqual([]);
  });

  it('lets another analyst resolve with an adjustment (the refusal is about the actor, not the alert)', async () => {
    const done = await actOnAlert(deps(), actor(ZED), 'al_self_ana_4', { action: 'resolve', disposition: 'false_positive', adjust: { kind: 'expected_for_role', factor: 3 } });
    expect(done.triage.status).toBe('resolved');
    expect(done.adjustments.made).toHaveLength(1);
    // Ana may still add a note to an alert about herself (her side of it, in the history).
    await expect(actOnAlert(deps(), actor(ANA), 'al_self_ana_1', { action: 'note', note: 'I was asked to export this' })).resolves.toMatchObject({ alertId: 'al_self_ana_1' });
  });
});
