// The directory as the detector needs it: per user, who they are (department, role, account type),
// where (time zone, for off-hours) and since/until when (tenure, the departing watchlist).
import { dayOf } from '../calendar';
import type { DirectoryEntry } from '../directory';

export interface Person {
  id: string;
  department: string;
  role: string;
  accountType: 'human' | 'service';
  timezone: string;
  hireDay: number | null;
  noticeDay: number | null;
  endDay: number | null;
  /** false for a user the directory does not know (judged as a human, by their own history only). */
  known: boolean;
}

const dayOfDate = (d: string | null) => (d === null ? null : dayOf(Date.parse(`${d}T00:00:00Z`)));

export function peopleFrom(entries: ReadonlyArray<DirectoryEntry>): Map<string, Person> {
  return new Map(
    entries.map((e) => [
      e.id,
      {
        id: e.id,
        department: e.department,
        role: e.role,
        accountType: e.account_type,
        timezone: e.timezone || 'UTC',
        hireDay: dayOfDate(e.hire_date),
        noticeDay: dayOfDate(e.notice_date),
        endDay: dayOfDate(e.end_date),
        known: true,
      },
    ]),
  );
}

export function unknownPerson(id: string): Person {
  return { id, department: '', role: '', accountType: 'human', timezone: 'UTC', hireDay: null, noticeDay: null, endDay: null, known: false };
}

/** Department and role, the peer group; "Department/*" when the role group is too small. */
export function peerGroupKey(p: Pick<Person, 'department' | 'role'>, wholeDepartment = false): string {
  return wholeDepartment ? `${p.department}/*` : `${p.department}/${p.role}`;
}
