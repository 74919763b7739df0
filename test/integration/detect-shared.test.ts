// Several live detectors in one consumer group share the partitions (issue 17, item 3). Each takes over
// the partitions the group gives it: their employees' running totals rebuilt from what the ingester
// stored, their alerts continued. The real `insider ingest` and `insider detect` processes: one detector
// alone, a second joining, the first killed (SIGKILL) while it judges, a third joining and the second
// stopping, a fourth joining and the third paused (SIGSTOP) past its session, then resumed. Afterwards the stored alerts, every revision of them, equal what one engine gives judging
// the same events in order from ClickHouse: none raised twice, none missed, none revised differently.
import fs from 'node:fs';
import { MS_PER_DAY, dayOf } from '../../src/calendar';
import { storeDirectory } from '../../src/directory';
import { directory, history, PEOPLE } from '../helpers/api-fixture';
import { exitedWithin, ingestFixture, killIngesters, produce, stableMembers, startDetector, startIngester, waitForGroupAtEnd, waitUntil, type IngestFixture, type RunningIngester } from '../helpers/ingest-run';
import { exportMessage, oneEngineRevisions, storedRevisions } from '../helpers/one-engine';

const today = dayOf(Date.now());
const noon = today * MS_PER_DAY + 12 * 3_600_000;
/** Each person exports in chunks of this size, spread over the phases: everyone alerts, revised as it grows. */
const CHUNK = 150_000_000;

/** Phase `n` of everyone's export: four chunks each, a second apart, in time order per person. */
const phase = (n: number) => PEOPLE.flatMap((u, i) => Array.from({ length: 4 }, (_, c) => exportMessage(u, noon + n * 600_000 + i * 10_000 + c * 1000, CHUNK)));

describe('detectors sharing the partitions of one group (real Kafka, ClickHouse and processes)', () => {
  let f: IngestFixture;
  const group = () => `${f.name}-detect`;

  beforeAll(async () => {
    f = await ingestFixture('it_detect_shared', { partitions: 4 });
    // Detectors that notice a dead member within seconds (the default session is 30 s).
    fs.appendFileSync(f.configFile, `\ndetection: { groupId: "${f.name}-detect", consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 } }\n`);
    await storeDirectory(f.ch, directory(), { source: 'test', checksum: 'test' });
    await f.ch.insert('access_events', history(today));
  }, 120_000);

  afterAll(async () => {
    killIngesters();
    await f?.cleanup();
  });

  const members = () => stableMembers(f.kafka, group());
  const allJudged = async () => {
    await waitForGroupAtEnd(f.kafka, f.groupId, f.topic, 120_000);
    await waitForGroupAtEnd(f.kafka, group(), f.topic, 120_000);
  };
  const log = (d: RunningIngester) => fs.readFileSync(d.logFile, 'utf8');

  it('gives the alerts, revision for revision, of one engine judging the same events, while detectors join, die, leave and pause', async () => {
    const ingester = startIngester(f, 'ingest');
    await ingester.started();
    const a = startDetector(f, 'detect-a');
    await a.started();
    await produce(f.kafka, f.topic, phase(0));
    await allJudged();

    // A second detector joins: the group splits the partitions, and b takes over its share from a.
    const b = startDetector(f, 'detect-b');
    await b.started();
    await waitUntil('two detectors in the group', async () => (await members()) === 2 || undefined, 60_000, 500);
    await produce(f.kafka, f.topic, phase(1));
    await allJudged();
    expect(log(b)).toContain('partition taken over');
    expect(log(a)).toContain('partitions went to another detector');

    // a dies while its partitions' events arrive; b takes them over once the group notices.
    const more = phase(2);
    await produce(f.kafka, f.topic, more.slice(0, 12));
    a.child.kill('SIGKILL');
    await produce(f.kafka, f.topic, more.slice(12));
    await waitUntil('b alone in the group', async () => (await members()) === 1 || undefined, 60_000, 500);
    await allJudged();

    // A third joins, then b stops (SIGTERM): c ends with every partition.
    const c = startDetector(f, 'detect-c');
    await c.started();
    await waitUntil('two detectors in the group again', async () => (await members()) === 2 || undefined, 60_000, 500);
    await produce(f.kafka, f.topic, phase(3));
    await allJudged();
    b.child.kill('SIGTERM');
    expect(await exitedWithin(b, 60_000)).toBe(0);
    await produce(f.kafka, f.topic, phase(4));
    await allJudged();
    expect(log(c)).toContain('partition taken over');

    // A fourth joins; c is paused (SIGSTOP) past its session while events arrive, d takes everything,
    // then c resumes: expelled meanwhile, it must not go on from the totals it held before the pause.
    const d = startDetector(f, 'detect-d');
    await d.started();
    await waitUntil('c and d in the group', async () => (await members()) === 2 || undefined, 60_000, 500);
    const paused = phase(5);
    await produce(f.kafka, f.topic, paused.slice(0, 12));
    c.child.kill('SIGSTOP');
    await produce(f.kafka, f.topic, paused.slice(12));
    await waitUntil('d alone in the group', async () => (await members()) === 1 || undefined, 60_000, 500);
    await allJudged();
    await produce(f.kafka, f.topic, phase(6));
    await allJudged();
    c.child.kill('SIGCONT');
    await waitUntil('c back in the group', async () => (await members()) === 2 || undefined, 60_000, 500);
    await produce(f.kafka, f.topic, phase(7));
    await allJudged();
    expect(log(c)).toContain('had left the group');

    const live = await storedRevisions(f.ch);
    const expected = await oneEngineRevisions(f.ch, f.config.detection, today);
    // Everyone exported 4.8 GB: six alerts, each revised as the export grew, the last revision at the full volume.
    expect(new Set(expected.map((e) => e.alertId)).size).toBe(PEOPLE.length);
    expect(expected.filter((e) => e.revision > 1).length).toBeGreaterThanOrEqual(PEOPLE.length);
    expect(live).toEqual(expected);
  }, 600_000);
});
