// The tables a person's peers know (src/detect/history.ts, peerTables): a sensitive table that at least
// `share` of the others in their peer group already use is not new to the team, so touching it for the
// first time is not flagged as such. The person's own tables never count toward it, whoever asks first.
import { loadConfig } from '../../src/config';
import { buildDayHistory, type HistoryRows } from '../../src/detect/history';
import { peopleFrom } from '../../src/detect/people';
import { directoryEntry } from '../helpers/detect-history';
import { DAY } from '../helpers/detect-time';

const { detection } = loadConfig({ env: {} }).config;

describe('the tables known to a person’s peers', () => {
  const people = peopleFrom([
    directoryEntry('ann', 'Sales', 'sales_ops'),
    directoryEntry('bob', 'Sales', 'sales_ops'),
    directoryEntry('cat', 'Sales', 'sales_ops'),
    directoryEntry('dan', 'Sales', 'sales_ops'),
    directoryEntry('eve', 'Finance', 'analyst'),
    directoryEntry('fay', 'Finance', 'analyst'),
  ]);
  const tables = (user: string, known: string[]) => ({ user, before: known, recent: [], days: 20 });
  const rows: HistoryRows = {
    daily: [],
    busiestHour: [],
    night: [],
    sensitive: [],
    tables: [tables('ann', ['crm.customers']), tables('bob', ['crm.customers']), tables('cat', ['hr.salaries']), tables('dan', []), tables('eve', ['hr.salaries']), tables('fay', ['hr.salaries'])],
  };
  const person = (id: string) => people.get(id)!;

  it('counts the others of the group only, the same whichever member asks first', () => {
    for (const order of [['ann', 'dan', 'cat', 'bob'], ['dan', 'cat', 'bob', 'ann']]) {
      const history = buildDayHistory(DAY, rows, detection, people);
      const got = Object.fromEntries(order.map((id) => [id, [...history.peerTables(person(id), 0.5)].sort()]));
      expect(got).toEqual({
        // Of ann's three peers one knows crm.customers (bob), one hr.salaries (cat): neither is half.
        ann: [],
        bob: [],
        // Of dan's (and cat's) three peers two know crm.customers; Finance's hr.salaries is not theirs.
        cat: ['crm.customers'],
        dan: ['crm.customers'],
      });
    }
  });

  it('has no peers to count for the only member of a group, nor for someone the directory does not know', () => {
    const history = buildDayHistory(DAY, rows, detection, people);
    expect([...history.peerTables(person('eve'), 0.5)]).toEqual(['hr.salaries']);
    const solo = peopleFrom([directoryEntry('gus', 'Legal', 'counsel')]).get('gus')!;
    expect([...history.peerTables(solo, 0.1)]).toEqual([]);
  });

  it('never counts a table only the person knows as their peers\', even with a share of 0 ("any peer")', () => {
    const history = buildDayHistory(DAY, rows, detection, people);
    // cat alone knows hr.salaries in Sales; ann and bob know crm.customers.
    expect([...history.peerTables(person('cat'), 0)].sort()).toEqual(['crm.customers']);
    expect([...history.peerTables(person('dan'), 0)].sort()).toEqual(['crm.customers', 'hr.salaries']);
  });
});
