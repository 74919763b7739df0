// Whether live detectors run: `detect --once` over the days they judge (today and yesterday) would store
// revisions they store too, each continuing the stored alerts from its own copy (two rows of one revision,
// maybe of another severity). The backfill asks the detector group before it starts, and again before
// each hour it judges in those days: a backfill of weeks takes long enough for one to be started meanwhile.
import type { Kafka } from 'kafkajs';
import { dayOf, MS_PER_DAY } from '../calendar';

/** How many members the detector group has now; undefined when Kafka did not answer within `timeoutMs`. */
export async function liveDetectorMembers(kafka: Kafka, groupId: string, timeoutMs = 10_000): Promise<number | undefined> {
  const admin = kafka.admin();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  const asked = (async () => {
    await admin.connect();
    const { groups } = await admin.describeGroups([groupId]);
    return groups[0]?.members.length ?? 0;
  })().catch(() => undefined);
  try {
    return await Promise.race([asked, timedOut]);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => {});
  }
}

/** The first moment of the days live detectors judge now: yesterday's start. */
export const liveFrom = (now: number): number => (dayOf(now) - 1) * MS_PER_DAY;

/** Live detectors found where a backfill would store what they store. */
export interface LiveDetectorsFound {
  members: number;
  /** The start of the days they judge, when they were found. */
  liveFrom: number;
}

/**
 * The backfill's checks of the detector group: `atStart` when its period reaches the days live detectors
 * judge, `beforeHour` before each hour it judges in them (those days as of that moment: asked again each
 * hour, a detector may be started at any time). Each resolves to the detectors found (the backfill must
 * stop), or null; `unknown` is told when Kafka did not answer, which is then not asked again.
 * Not covered: a detector started while an hour is judged (found at the next hour), and one still judging
 * the day before yesterday just after midnight (live detectors change day by their events' time).
 */
export function liveDetectorChecks(members: () => Promise<number | undefined>, unknown: () => void, now: () => number = Date.now) {
  /** Kafka did not answer once: not asked again (each ask waits out its time-out, every hour). */
  let silent = false;
  const ask = async (): Promise<LiveDetectorsFound | null> => {
    if (silent) return null;
    const found = await members();
    if (found === undefined) {
      silent = true;
      unknown();
    }
    return found ? { members: found, liveFrom: liveFrom(now()) } : null;
  };
  /** Whether a span of time ending at `end` reaches the days live detectors judge now. */
  const reaches = (end: number) => end > liveFrom(now());
  return {
    atStart: (to: number) => (reaches(to) ? ask() : Promise.resolve(null)),
    /** Before the hour [start, end) is judged (the last one may end before a whole hour). */
    beforeHour: (hour: { start: number; end: number }) => (reaches(hour.end) ? ask() : Promise.resolve(null)),
  };
}
