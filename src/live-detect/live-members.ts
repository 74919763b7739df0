// Whether live detectors run: `detect --once` over the days they judge (today and yesterday) would store
// revisions they store too, each continuing the stored alerts from its own copy (two rows of one revision,
// maybe of another severity). The backfill asks the detector group before it starts, and again when it
// reaches those days: a backfill of weeks takes long enough for a detector to be started meanwhile.
import type { Kafka } from 'kafkajs';
import { dayOf, MS_PER_DAY, MS_PER_HOUR } from '../calendar';

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
 * judge, `beforeHour` at the first hour it judges in them (those days as of that moment). Each resolves to
 * the detectors found (the backfill must stop), or null; `unknown` is told when Kafka did not answer.
 */
export function liveDetectorChecks(members: () => Promise<number | undefined>, unknown: () => void, now: () => number = Date.now) {
  let entered = false;
  const ask = async (): Promise<LiveDetectorsFound | null> => {
    const found = await members();
    if (found === undefined) unknown();
    return found ? { members: found, liveFrom: liveFrom(now()) } : null;
  };
  return {
    atStart: (to: number) => (to > liveFrom(now()) ? ask() : Promise.resolve(null)),
    async beforeHour(hourStart: number): Promise<LiveDetectorsFound | null> {
      if (entered || hourStart + MS_PER_HOUR <= liveFrom(now())) return null;
      entered = true;
      return ask();
    },
  };
}
