// Whether live detectors run: `detect --once` over the days they judge (today and yesterday) would store
// revisions they store too, each continuing the stored alerts from its own copy (two rows of one revision,
// maybe of another severity). The backfill asks the detector group before it starts.
import type { Kafka } from 'kafkajs';

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
