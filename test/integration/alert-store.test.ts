// Reading an alert by id on the real ClickHouse: the id's day bounds the partitions read first (a window starts
// on or before the day the id names), and no revision of a long window is missed by that bound.
import { alertIdOf, getAlert, listAlerts, writeAlerts, type AlertRecord } from '../../src/alerts';
import { MS_PER_DAY } from '../../src/calendar';
import { syntheticAlert } from '../helpers/api-fixture';
import { dropDatabase, freshDatabase, type FreshDatabase } from '../helpers/database';
import { uniqueName } from '../helpers/env';

describe('alerts by id (real ClickHouse)', () => {
  const database = uniqueName('it_alert_store');
  let db: FreshDatabase;
  // The 2nd of a month: a slow drip found that day started in the month before.
  const now = new Date();
  const DAY = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 2) / MS_PER_DAY;
  const user = 'drip@corp.example';
  const id = alertIdOf(user, DAY);
  const revision = (r: number, windowStartDay: number, bytes: number): AlertRecord => ({
    ...(syntheticAlert(user, DAY, { id }) as AlertRecord),
    revision: r,
    windowStart: windowStartDay * MS_PER_DAY,
    observedBytes: bytes,
  });

  beforeAll(async () => {
    db = await freshDatabase(database);
  });
  afterAll(() => dropDatabase(database, db));

  it("finds the newest revision of an alert whose window began weeks before its day, in an earlier month's partition", async () => {
    // Revision 1 judged the day alone; revisions 2 and 3 widened the window to a three-week drip.
    await writeAlerts(db.ch, [revision(1, DAY, 1e9), revision(2, DAY - 20, 2e9), revision(3, DAY - 21, 3e9)]);
    // Another alert of the same person a month later, and one of a later day the bound leaves out.
    const later = alertIdOf(user, DAY + 31);
    await writeAlerts(db.ch, [{ ...(syntheticAlert(user, DAY + 31, { id: later }) as AlertRecord) }]);
    const found = await getAlert(db.ch, id);
    expect(found).toMatchObject({ alertId: id, revision: 3, observedBytes: 3e9, windowStart: (DAY - 21) * MS_PER_DAY, windowEnd: (DAY + 1) * MS_PER_DAY });
    expect((await getAlert(db.ch, later))!.alertId).toBe(later);
    // Several ids at once: each its newest revision.
    const both = await listAlerts(db.ch, { ids: [id, later] });
    expect(new Map(both.map((a) => [a.alertId, a.revision]))).toEqual(new Map([[id, 3], [later, 1]]));
    expect(await getAlert(db.ch, alertIdOf('nobody@corp.example', DAY))).toBeNull();
  });

  it('reads an id of another form, or of the same form but a later window, without the bound', async () => {
    await writeAlerts(db.ch, [{ ...(syntheticAlert(user, DAY + 40, { id: 'imported-alert-1' }) as AlertRecord) }]);
    expect((await getAlert(db.ch, 'imported-alert-1'))!.windowEnd).toBe((DAY + 41) * MS_PER_DAY);
    // Not written by the engine: the id names a day two months before the window.
    const odd = alertIdOf(user, DAY - 60);
    await writeAlerts(db.ch, [{ ...(syntheticAlert(user, DAY + 40, { id: odd }) as AlertRecord) }]);
    expect((await getAlert(db.ch, odd))!.windowStart).toBe((DAY + 40) * MS_PER_DAY);
  });
});
