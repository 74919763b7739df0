// Whether a policy limit is routine for a person's role (and for the person), and up to where: the
// exemption that keeps a heavy role's usual days from alerting on a fixed limit.
import { median } from 'simple-statistics';
import type { UserDayValue } from './history-source';
import { MIN_OWN_DAYS_FOR_PEERS, type Expectations, type HistoryContext } from './history-expectations';
import { packDays, ROWS_PER_STEP, USERS_PER_STEP, type PackedDays, type SeriesLookup, type Steps } from './history-series';
import { peerGroupKey, type Person } from './people';
import { expectationOf, robustSummary, upperOf, type Expectation } from './statistics/expectation';

export interface Routine {
  group: string;
  /** Share of the group's active user-days at or above the limit, and of the person's own. */
  share: number;
  own: number;
  /** The probability of a day of theirs at or above it, by their own expectation (volume, or sensitive volume). */
  probability: number;
  /**
   * The most a routine exemption covers (bytes): ROUTINE_HEADROOM x the largest day of the typical routine
   * member of the group, or of the person's own; 0 when nothing is routine. Beyond it the limit is not routine.
   */
  cap: number;
}

/** Members of a group who must exceed a limit routinely before it is routine for the role. */
const ROUTINE_MIN_MEMBERS = 3;
/** A routine exemption covers up to this multiple of the largest routine day (heavy-tailed roles reach 3x their month's largest now and then). */
export const ROUTINE_HEADROOM = 4;

/**
 * Each person's bytes from sensitive tables on the baseline window's days, in the order read (exact: the
 * limits compare them), packed (history-series.ts: packDays): the history holds them all day, and two
 * histories are held at once. The window's days only: no other day is read.
 */
function* sensitiveDays(rows: ReadonlyArray<UserDayValue>, from: number, to: number): Steps<PackedDays> {
  const read = new Map<string, Array<[number, number]>>();
  for (let i = 0; i < rows.length; i++) {
    if ((i + 1) % ROWS_PER_STEP === 0) yield;
    const r = rows[i];
    if (!(r.bytes > 0) || r.day < from || r.day >= to) continue;
    let d = read.get(r.user);
    if (!d) read.set(r.user, (d = []));
    d.push([r.day, r.bytes]);
  }
  const byUser = new Map<string, { days: Int32Array; bytes: Float64Array }>();
  let n = 0;
  for (const [user, d] of read) {
    if (n++ % USERS_PER_STEP === 0) yield;
    byUser.set(user, { days: Int32Array.from(d, (x) => x[0]), bytes: Float64Array.from(d, (x) => x[1]) });
  }
  return yield* packDays(byUser, (t) => t.bytes);
}

function sensitiveValues(d: { days: Int32Array; values: Float64Array } | undefined, dayOk: (day: number) => boolean): number[] {
  const out: number[] = [];
  if (d) for (let i = 0; i < d.days.length; i++) if (dayOk(d.days[i])) out.push(d.values[i]);
  return out;
}

/** The routine of `kind` at `limit` for a person, judged against today's expectations (memoised by group); its rows packed in steps. */
export function* routineJudge(
  ctx: Pick<HistoryContext, 'day' | 'detection' | 'people' | 'users'> & { volumes: SeriesLookup },
  today: Expectations,
  sensitiveRows: ReadonlyArray<UserDayValue>,
): Steps<(person: Person, kind: 'daily' | 'sensitive', limit: number) => Routine> {
  const { day, detection, people, users, volumes } = ctx;
  const B = detection.baselineDays;
  const routineCache = new Map<string, Routine>();
  const sensitiveByUser = yield* sensitiveDays(sensitiveRows, day - B, day);
  const groupOf = (p: Person) => peerGroupKey(p);
  return (person, kind, limit) => {
    const dayOk = (d: number) => d >= day - B && d < day;
    const activeOf = (u: string) => (volumes.get(u)?.days ?? []).filter(dayOk).length;
    const valuesOf = (u: string): number[] => {
      if (kind !== 'daily') return sensitiveValues(sensitiveByUser.get(u), dayOk);
      // Looked up once: a packed series is made (two views) at each lookup.
      const s = volumes.get(u);
      return s ? [...s.days].flatMap((d, i) => (dayOk(d) ? [Math.exp(s.logs[i])] : [])) : [];
    };
    const shareOf = (u: string) => {
      const active = activeOf(u);
      return active > 0 ? valuesOf(u).filter((v) => v >= limit).length / active : 0;
    };
    const maxOf = (u: string) => valuesOf(u).reduce((m, v) => Math.max(m, v), 0);
    const key = `${groupOf(person)}|${kind}|${limit}`;
    let group = routineCache.get(key);
    if (!group) {
      // Routine for the role when its typical member exceeds the limit routinely (the median member's share
      // of days), and at least ROUTINE_MIN_MEMBERS members do: one or two heavy members of a small group do
      // not make it routine for the others. The range it covers follows the typical routine member's
      // largest day (median, not maximum: one extreme member does not stretch it).
      const members = users.filter((u) => {
        const q = people.get(u);
        return q !== undefined && groupOf(q) === groupOf(person) && activeOf(u) >= MIN_OWN_DAYS_FOR_PEERS;
      });
      const shares = members.map(shareOf);
      const routineMembers = members.filter((_, i) => shares[i] >= detection.routineShare);
      const enough = routineMembers.length >= ROUTINE_MIN_MEMBERS;
      group = {
        group: groupOf(person),
        share: enough ? median(shares) : 0,
        own: 0,
        probability: 0,
        cap: enough ? ROUTINE_HEADROOM * median(routineMembers.map(maxOf)) : 0,
      };
      routineCache.set(key, group);
    }
    let expected: Expectation | null = null;
    if (kind === 'daily') expected = today.volume.get(person.id) ?? null;
    else {
      const logs = valuesOf(person.id).map((v) => Math.log(v));
      expected = logs.length >= 3 ? expectationOf(robustSummary(logs), null, { sigmaFloor: detection.sigmaFloor, priorDays: detection.priorDays, mixture: 0 }, 1) : null;
    }
    const own = shareOf(person.id);
    const probability = expected ? upperOf(expected, Math.log(limit)) : 0;
    // The person's own routine covers up to their own largest day, with the same headroom.
    const ownCap = own >= detection.routineShare || probability >= detection.routineRate ? ROUTINE_HEADROOM * maxOf(person.id) : 0;
    return { ...group, own, probability, cap: Math.max(group.share >= detection.routineShare ? group.cap : 0, ownCap) };
  };
}
