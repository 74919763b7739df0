// The batch processor with fakes for ClickHouse and the producer: ordering of side effects, skipping of
// offsets ClickHouse holds, retries, bisection of rejected rows, abandonment without commit.
import crypto from 'node:crypto';
import { createSources, type Sources } from '../../src/sources';
import type { KafkaMessage, Producer } from 'kafkajs';
import { ClickHouseError } from '../../src/errors';
import { messageBoundary, SchemaMissingError } from '../../src/ingest/refused-rows';
import { Abandoned } from '../../src/kafka/retry';
import type { ClickHouse, SqlFragment } from '../../src/store';
import { testBatchProcessor } from '../helpers/batch-processor';

type Row = Record<string, unknown>;

function fakeClickHouse(opts: { ledger?: Array<[number, number]>; failInserts?: number; rejectWhen?: (rows: Row[]) => ClickHouseError | undefined } = {}) {
  const calls: string[] = [];
  const tables: Record<string, Row[]> = { access_events: [], dead_letters: [] };
  let failures = opts.failInserts ?? 0;
  const options: object[] = [];
  const ch = {
    database: 'fake',
    withRequestTimeout: () => ch,
    async query(q: SqlFragment) {
      calls.push('query');
      if (q.text.includes('FROM ingest_batches')) return (opts.ledger ?? []).map(([min_offset, max_offset]) => ({ min_offset: String(min_offset), max_offset: String(max_offset) }));
      return [];
    },
    // The fence: opening an insert's session, then (after a lost answer) probing it: the session is gone.
    async exec(_q: SqlFragment, o: { session?: { check?: boolean } } = {}) {
      calls.push(o.session?.check ? 'probe fence' : 'open fence');
      if (o.session?.check) throw new ClickHouseError('ClickHouse rejected the statement: Session not found.', { retriable: false, serverCode: 372 });
    },
    async insert(table: string, rows: Row[], o: object = {}) {
      calls.push(`insert ${table} ${rows.length}`);
      options.push(o);
      if (table === 'access_events' && failures > 0) {
        failures--;
        throw new ClickHouseError('ClickHouse unreachable during insert: ECONNREFUSED', { retriable: true });
      }
      const rejection = table === 'access_events' ? opts.rejectWhen?.(rows) : undefined;
      if (rejection) throw rejection;
      tables[table].push(...rows);
    },
  } as unknown as ClickHouse;
  return { ch, calls, tables, options };
}

function fakeProducer(calls: string[]) {
  const sent: Array<{ topic: string; messages: Array<{ value: Buffer | null; headers: Record<string, unknown> }> }> = [];
  const producer = {
    async sendBatch({ topicMessages }: { topicMessages: typeof sent }) {
      calls.push(`dlq ${topicMessages.reduce((n, t) => n + t.messages.length, 0)}`);
      sent.push(...topicMessages);
    },
  } as unknown as Producer;
  return { producer, sent };
}

const message = (offset: number, value: unknown): KafkaMessage =>
  ({ offset: String(offset), value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), key: null, timestamp: '1764400000000', headers: {}, attributes: 0 }) as KafkaMessage;

const event = (i: number, extra: Row = {}) => ({ event_id: `e${i}`, ts: '2026-11-28T10:00:00Z', user: 'alice', action: 'SELECT', bytes: 100 * i, ...extra });

function setup(chOpts: Parameters<typeof fakeClickHouse>[0] = {}, deps: { deduplicationTokens?: boolean } = {}) {
  const fake = fakeClickHouse(chOpts);
  const { producer, sent } = fakeProducer(fake.calls);
  const processor = testBatchProcessor({ ch: fake.ch, producer, retry: { initialDelayMs: 1, maxDelayMs: 5 }, fenceExpiryMs: 1, ...deps });
  return { ...fake, sent, processor };
}

const batch = (messages: KafkaMessage[]) => ({ topic: 'events', partition: 2, messages, highWatermark: String(Number(messages[messages.length - 1].offset) + 1) });
const always = { owned: () => true, confirm: async () => {} };

describe('batch processor', () => {
  it('dead-letters first (topic, then table), then inserts events, then returns the next offset', async () => {
    const { processor, calls, tables, sent } = setup();
    const result = await processor.process(batch([message(5, event(1)), message(6, 'not json'), message(7, event(2))]), always);
    expect(result).toEqual({ next: 8, received: 3, inserted: 2, deadLettered: 1, skipped: 0 });
    // Wait for a previous owner's inserts and deletes, repair, load the ledger (6 queries); then the side effects in order.
    expect(calls).toEqual(['query', 'query', 'query', 'query', 'query', 'query', 'dlq 1', 'insert dead_letters 1', 'open fence', 'insert access_events 2']);
    expect(tables.access_events.map((r) => [r.event_id, r.kafka_topic, r.kafka_partition, r.kafka_offset])).toEqual([
      ['e1', 'events', 2, 5],
      ['e2', 'events', 2, 7],
    ]);
    expect(sent[0].topic).toBe('events.dlq');
    expect(String(sent[0].messages[0].value)).toBe('not json');
    expect(sent[0].messages[0].headers).toMatchObject({
      'x-dlq-reason-code': 'invalid_json',
      'x-dlq-source-topic': 'events',
      'x-dlq-source-partition': '2',
      'x-dlq-source-offset': '6',
    });
    expect(tables.dead_letters[0]).toMatchObject({ kafka_offset: 6, reason_code: 'invalid_json', payload_preview: 'not json' });
  });

  it('skips offsets that ClickHouse already holds (redelivery after a crash)', async () => {
    const { processor, tables } = setup({ ledger: [[10, 11]] });
    const result = await processor.process(batch([message(10, event(1)), message(11, event(2)), message(12, event(3))]), always);
    expect(result?.skipped).toBe(2);
    expect(tables.access_events.map((r) => r.kafka_offset)).toEqual([12]);
    const again = await processor.process(batch([message(12, event(3)), message(13, event(4))]), always);
    expect(again?.skipped).toBe(1);
    expect(tables.access_events.map((r) => r.kafka_offset)).toEqual([12, 13]);
  });

  it('dead-letters an event_id seen before on the partition, within and across batches', async () => {
    const { processor, tables, sent } = setup();
    await processor.process(batch([message(0, event(1)), message(1, event(1))]), always);
    await processor.process(batch([message(2, event(1))]), always);
    expect(tables.access_events).toHaveLength(1);
    expect(sent.flatMap((t) => t.messages.map((m) => [m.headers['x-dlq-reason-code'], m.headers['x-dlq-source-offset']]))).toEqual([
      ['duplicate_event_id', '1'],
      ['duplicate_event_id', '2'],
    ]);
  });

  it('retries an unavailable ClickHouse until it answers, inserting once', async () => {
    const { processor, tables, calls } = setup({ failInserts: 3 });
    const result = await processor.process(batch([message(0, event(1))]), always);
    expect(result?.inserted).toBe(1);
    expect(calls.filter((c) => c.startsWith('insert access_events'))).toHaveLength(4);
    expect(tables.access_events).toHaveLength(1);
  });

  it('after an insert whose answer was lost, waits for its fence and settles what ClickHouse holds before sending again', async () => {
    const { processor, tables, calls } = setup({ failInserts: 1 });
    await processor.process(batch([message(0, event(1))]), always);
    const from = calls.indexOf('open fence');
    // Settling reads the events and the ledger of the batch (2 queries); it found nothing, so it resends.
    expect(calls.slice(from)).toEqual(['open fence', 'insert access_events 1', 'probe fence', 'query', 'query', 'open fence', 'insert access_events 1']);
    expect(tables.access_events).toHaveLength(1);
  });

  it('on a server that deduplicates by token, inserts in a fence opened before the ownership proof, with the range\'s token', async () => {
    const { processor, tables, calls, options } = setup({}, { deduplicationTokens: true });
    await processor.process(batch([message(0, event(1)), message(1, event(2))]), { owned: () => true, confirm: async () => void calls.push('proof') });
    expect(calls.slice(calls.indexOf('open fence'))).toEqual(['open fence', 'proof', 'insert access_events 2']);
    expect(options.at(-1)).toMatchObject({
      session: { check: true },
      queryId: expect.stringMatching(/^insider-ingest:events:2:0-1:/),
      settings: { insert_deduplication_token: 'events:2:0-1:2' },
    });
    expect(tables.access_events).toHaveLength(2);
  });

  it('abandons the batch without a commit offset when the partition is lost while retrying', async () => {
    const { processor, tables } = setup({ failInserts: 1000 });
    let owned = 3;
    await expect(processor.process(batch([message(0, event(1))]), { owned: () => owned-- > 0, confirm: async () => {} })).rejects.toBeInstanceOf(Abandoned);
    expect(tables.access_events).toHaveLength(0);
  });

  it('isolates rows ClickHouse rejects as data by bisection and dead-letters only those', async () => {
    const bad = (rows: Row[]) =>
      rows.some((r) => r.event_id === 'e3') ? new ClickHouseError('ClickHouse rejected the insert: Cannot parse input', { retriable: false, serverCode: 27 }) : undefined;
    const { processor, tables, sent } = setup({ rejectWhen: bad });
    const result = await processor.process(batch([1, 2, 3, 4, 5].map((i) => message(i, event(i)))), always);
    expect(tables.access_events.map((r) => r.event_id)).toEqual(['e1', 'e2', 'e4', 'e5']);
    expect(result).toMatchObject({ inserted: 4, deadLettered: 1, next: 6 });
    expect(sent[0].messages[0].headers).toMatchObject({ 'x-dlq-reason-code': 'clickhouse_rejected', 'x-dlq-source-offset': '3' });
  });

  describe('the partitions of one fetch', () => {
    const on = (partition: number, user: string, offsets: number[]) => ({
      topic: 'events',
      partition,
      messages: offsets.map((o) => message(o, event(o, { event_id: `p${partition}-${o}`, user }))),
      highWatermark: String(offsets[offsets.length - 1] + 1),
    });
    const partitionsOf = (rows: Row[]) => new Set(rows.map((r) => r.kafka_partition)).size;

    it('share one insert when their employees are apart, and each batch commits its own offset', async () => {
      const { processor, calls, tables } = setup();
      const results = await Promise.all([processor.process(on(1, 'alice', [10, 11]), always), processor.process(on(2, 'bob', [5, 6, 7]), always)]);
      expect(results.map((r) => r?.next)).toEqual([12, 8]);
      expect(calls.filter((c) => c.startsWith('insert access_events'))).toEqual(['insert access_events 5']);
      expect(tables.access_events).toHaveLength(5);
      expect(processor.stats()).toEqual({ inserts: 1, batchesInserted: 2 });
    });

    it('insert apart when an employee is in both', async () => {
      const { processor, calls } = setup();
      await Promise.all([processor.process(on(1, 'alice', [10, 11]), always), processor.process(on(2, 'alice', [5, 6, 7]), always)]);
      expect(calls.filter((c) => c.startsWith('insert access_events'))).toEqual(['insert access_events 2', 'insert access_events 3']);
    });

    it('go apart when ClickHouse refuses them together as too large (too many day partitions in one block)', async () => {
      const tooMany = (rows: Row[]) =>
        partitionsOf(rows) > 1 ? new ClickHouseError('ClickHouse rejected the insert: Too many partitions for single INSERT block', { retriable: true, serverCode: 252 }) : undefined;
      const { processor, calls, tables } = setup({ rejectWhen: tooMany });
      const results = await Promise.all([processor.process(on(1, 'alice', [10, 11]), always), processor.process(on(2, 'bob', [5, 6, 7]), always)]);
      expect(results.map((r) => r?.inserted)).toEqual([2, 3]);
      expect(calls.filter((c) => c.startsWith('insert access_events'))).toEqual(['insert access_events 5', 'insert access_events 2', 'insert access_events 3']);
      expect(tables.access_events.map((r) => r.event_id).sort()).toEqual(['p1-10', 'p1-11', 'p2-5', 'p2-6', 'p2-7']);
    });

    it('isolate a row refused as data within its own partition, the other partition stored whole', async () => {
      const bad = (rows: Row[]) => (rows.some((r) => r.event_id === 'p2-6') ? new ClickHouseError('ClickHouse rejected the insert: Cannot parse input', { retriable: false, serverCode: 27 }) : undefined);
      const { processor, tables, sent } = setup({ rejectWhen: bad });
      const results = await Promise.all([processor.process(on(1, 'alice', [10, 11]), always), processor.process(on(2, 'bob', [5, 6, 7]), always)]);
      expect(results.map((r) => [r?.inserted, r?.deadLettered])).toEqual([
        [2, 0],
        [2, 1],
      ]);
      expect(tables.access_events.map((r) => r.event_id).sort()).toEqual(['p1-10', 'p1-11', 'p2-5', 'p2-7']);
      expect(sent[0].messages[0].headers).toMatchObject({ 'x-dlq-reason-code': 'clickhouse_rejected', 'x-dlq-source-partition': '2', 'x-dlq-source-offset': '6' });
    });
  });

  it('bisects between messages: the events of one message (a log line may give several) are never split', () => {
    const at = (...offsets: number[]) => offsets.map((kafka_offset) => ({ kafka_offset }));
    expect(messageBoundary(at(1, 2, 3, 4))).toBe(2);
    // The middle falls inside message 7's three events: the nearest boundary is taken instead.
    expect(messageBoundary(at(5, 7, 7, 7, 9))).toBe(1);
    expect(messageBoundary(at(5, 5, 7, 7, 7, 7, 9))).toBe(2);
    expect(messageBoundary(at(7, 7, 7, 9))).toBe(3);
    expect(messageBoundary(at(7, 7, 7))).toBeUndefined();
    expect(messageBoundary(at(7))).toBeUndefined();
  });

  it('stops with a clear error when the schema is missing', async () => {
    const missing = () => new ClickHouseError("ClickHouse rejected the insert: Table insider.access_events doesn't exist.", { retriable: false, serverCode: 60 });
    const { processor } = setup({ rejectWhen: missing });
    await expect(processor.process(batch([message(0, event(1))]), always)).rejects.toThrow(SchemaMissingError);
    await expect(processor.process(batch([message(0, event(1))]), always)).rejects.toThrow(/run `insider migrate`/);
  });
});

describe('batch processor on a cluster of 2 shards x 2 replicas', () => {
  // shardOfUser: bob is on shard 0, alice on shard 1 (halfMD5 % 2, as ClickHouse computes it).
  const on = (user: string, i: number, offset: number) => message(offset, event(i, { user }));

  type Fail = { shard: number; replica: number; error?: ClickHouseError };
  function fakeCluster(
    opts: {
      ledgers?: Array<Array<[number, number]>>;
      failOnce?: Fail;
      sources?: Sources;
      beforeInsert?: (shard: number) => Promise<void>;
      /** A failure of every fence opening (a session refused by the server). */
      openFails?: ClickHouseError;
      /** How many queries of the partition a replica's system.processes shows, or its failure. */
      processes?: (shard: number, replica: number) => number | Error;
    } = {},
  ) {
    const inserts: Array<{ shard: number; replica: number; table: string; rows: Row[]; session?: string; queryId?: string }> = [];
    const failed: Row[][] = [];
    const deadLetters: Row[] = [];
    /** What each replica was asked, in order: sessions opened, inserts and the session they named. */
    const calls: string[] = [];
    const open = new Set<string>();
    let fail = opts.failOnce;
    const node = (shard: number, replica: number, database = 'fake_local') =>
      ({
        database,
        async query(q: SqlFragment) {
          if (q.text.includes('system.clusters')) {
            return [1, 2].map((n) => ({ shard_num: n, shard_weight: 1, replicas: '2', local: n === shard + 1 ? 1 : 0 }));
          }
          const probe = /halfMD5\('([^']*)'\)/.exec(q.text);
          if (probe) return [{ h: crypto.createHash('md5').update(probe[1], 'utf8').digest().readBigUInt64BE(0).toString() }];
          if (q.text.includes('FROM system.processes')) {
            const n = opts.processes?.(shard, replica) ?? 0;
            if (n instanceof Error) throw n;
            return [{ n: String(n) }];
          }
          if (q.text.includes('FROM ingest_batches')) {
            return (opts.ledgers?.[shard] ?? []).map(([min, max]) => ({ min_offset: String(min), max_offset: String(max) }));
          }
          return [];
        },
        async exec(_q: SqlFragment, o: { session?: { id: string; check?: boolean } } = {}) {
          if (opts.openFails) throw opts.openFails;
          if (o.session && !o.session.check) open.add(o.session.id);
          calls.push(`${shard}/${replica} ${o.session?.check ? 'probe' : 'open'} ${o.session?.id}`);
        },
        async insert(table: string, rows: Row[], o: { session?: { id: string; check?: boolean }; queryId?: string } = {}) {
          calls.push(`${shard}/${replica} insert ${o.session?.id}`);
          await opts.beforeInsert?.(shard);
          if (fail && fail.shard === shard && fail.replica === replica) {
            const error = fail.error ?? new ClickHouseError('ClickHouse unreachable during insert into access_events: socket hang up', { retriable: true });
            fail = undefined;
            failed.push(structuredClone(rows));
            throw error;
          }
          if (o.session?.check && !open.has(o.session.id)) throw new ClickHouseError('ClickHouse rejected the insert: Session not found', { retriable: false, serverCode: 372 });
          inserts.push({ shard, replica, table, rows: structuredClone(rows), session: o.session?.id, queryId: o.queryId });
        },
      }) as unknown as ClickHouse;
    const ch = {
      database: 'fake',
      async query() {
        return [];
      },
      async insert(_table: string, rows: Row[]) {
        deadLetters.push(...rows);
      },
      cluster: { name: 'c', shards: [['http://a0', 'http://a1'], ['http://b0', 'http://b1']], localDatabase: 'fake_local', node },
      withRequestTimeout() {
        return this;
      },
    } as unknown as ClickHouse;
    const processor = testBatchProcessor({ ch, producer: fakeProducer([]).producer, retry: { initialDelayMs: 1, maxDelayMs: 5 }, ...(opts.sources && { sources: opts.sources }) });
    return { processor, inserts, failed, deadLetters, calls };
  }

  it("splits a batch by employee: one insert per shard, into the shard's own table on its first replica", async () => {
    const { processor, inserts } = fakeCluster();
    const result = await processor.process(batch([on('alice', 1, 0), on('bob', 2, 1), on('alice', 3, 2), on('bob', 4, 3)]), always);
    expect(result).toMatchObject({ inserted: 4, skipped: 0, next: 4 });
    expect(inserts.map((i) => [i.shard, i.replica, i.table, i.rows.map((r) => r.kafka_offset)]).sort()).toEqual([
      [0, 0, 'access_events', [1, 3]],
      [1, 0, 'access_events', [0, 2]],
    ]);
  });

  it("after a crash between two shards' inserts, skips what one shard holds and stores the other shard's part", async () => {
    // Shard 1 stored alice's events of offsets 10..13; shard 0 never got bob's.
    const { processor, inserts } = fakeCluster({ ledgers: [[], [[10, 13]]] });
    const result = await processor.process(batch([on('alice', 1, 10), on('bob', 2, 11), on('alice', 3, 12), on('bob', 4, 13), on('alice', 5, 14)]), always);
    expect(result).toMatchObject({ inserted: 3, skipped: 2, next: 15 });
    expect(inserts.map((i) => [i.shard, i.rows.map((r) => r.event_id)]).sort()).toEqual([
      [0, ['e2', 'e4']],
      [1, ['e5']],
    ]);
  });

  it("skips, shard by shard, the events of a message that gave several when some shards hold them", async () => {
    // A log line that gives an event for bob (shard 0) and one for alice (shard 1); shard 1 stored its part.
    const canonical = createSources({ settings: { sources: {} } as never, role: 'reader' });
    const twoEach: Sources = {
      ...canonical,
      decodeBatch: async (topic, messages, limits, now) =>
        (await canonical.decodeBatch(topic, messages, limits, now)).map((o) =>
          o.ok ? { ...o, events: o.events.flatMap((e) => [{ ...e, user: 'bob', event_id: `${e.event_id}-b` }, { ...e, user: 'alice', event_id: `${e.event_id}-a` }]) } : o,
        ),
    };
    const { processor, inserts } = fakeCluster({ ledgers: [[], [[20, 21]]], sources: twoEach });
    const result = await processor.process(batch([on('x', 1, 20), on('x', 2, 21), on('x', 3, 22)]), always);
    expect(result).toMatchObject({ inserted: 4, skipped: 0, next: 23 });
    expect(inserts.map((i) => [i.shard, i.rows.map((r) => r.event_id)]).sort()).toEqual([
      [0, ['e1-b', 'e2-b', 'e3-b']],
      [1, ['e3-a']],
    ]);
  });

  it("sends a block that failed without an answer again, unchanged, to the shard's other replica", async () => {
    const { processor, inserts, failed } = fakeCluster({ failOnce: { shard: 1, replica: 0 } });
    await processor.process(batch([on('alice', 1, 0), on('bob', 2, 1), on('alice', 3, 2)]), always);
    const alice = inserts.filter((i) => i.shard === 1);
    expect(alice.map((i) => i.replica)).toEqual([1]);
    expect(alice[0].rows.map((r) => r.event_id)).toEqual(['e1', 'e3']);
    // The same block, ingested_at included: had the first replica stored it, ZooKeeper knows its id.
    expect(alice[0].rows).toEqual(failed[0]);
    // The next batch of that shard stays on the replica that answered.
    await processor.process(batch([on('alice', 4, 3)]), always);
    expect(inserts.filter((i) => i.shard === 1).map((i) => i.replica)).toEqual([1, 1]);
  });

  it('opens each insert\'s fence on the replica it goes to, proves ownership, then inserts in that fence under the partition\'s query id', async () => {
    const { processor, inserts, calls } = fakeCluster();
    const own = { owned: () => true, confirm: async () => void calls.push('proof') };
    await processor.process(batch([on('alice', 1, 0), on('bob', 2, 1), on('alice', 3, 2)]), own);
    expect(inserts).toHaveLength(2);
    for (const i of inserts) {
      expect(i.session).toMatch(/^insider-fence-/);
      expect(i.queryId).toMatch(/^insider-ingest:events:2:/);
      const opened = calls.indexOf(`${i.shard}/${i.replica} open ${i.session}`);
      const inserted = calls.indexOf(`${i.shard}/${i.replica} insert ${i.session}`);
      expect(opened).toBeGreaterThanOrEqual(0);
      expect(calls.slice(opened, inserted)).toContain('proof');
    }
    expect(calls.filter((c) => c === 'proof')).toHaveLength(2);
  });

  it('sends an insert refused because its fence closed (a pause after the proof) again in a new fence after a new proof, and abandons it once the partition is lost', async () => {
    const closed = new ClickHouseError('ClickHouse rejected the insert: Session not found', { retriable: false, serverCode: 372 });
    // Still owned at the second proof: stored once, in the second fence.
    const kept = fakeCluster({ failOnce: { shard: 1, replica: 0, error: closed } });
    let proofs = 0;
    const result = await kept.processor.process(batch([on('alice', 1, 0)]), { owned: () => true, confirm: async () => void proofs++ });
    expect(result).toMatchObject({ inserted: 1, deadLettered: 0 });
    expect(proofs).toBe(2);
    expect(kept.inserts.map((i) => i.rows.map((r) => r.event_id))).toEqual([['e1']]);
    // Lost meanwhile: abandoned, nothing stored, nothing dead-lettered (the refusal is not the rows' fault).
    const lost = fakeCluster({ failOnce: { shard: 1, replica: 0, error: closed } });
    let owned = true;
    const abandoned = lost.processor.process(batch([on('alice', 1, 0)]), {
      owned: () => owned,
      confirm: async () => {
        if (!owned) throw new Abandoned('write');
        owned = false;
      },
    });
    await expect(abandoned).rejects.toBeInstanceOf(Abandoned);
    expect(lost.inserts).toEqual([]);
    expect(lost.deadLetters).toEqual([]);
  });

  it("ends a batch given up on one shard only once the other shard's insert can no longer run: none is left to store after a new proof", async () => {
    // Shard 1 (alice) finds its replica unreachable, and the retry's proof fails: the partition moved.
    // Shard 0's (bob) first attempt is still under way then; it fails without an answer just after, by
    // which time the member has rejoined the group and been given the partition again: proofs pass.
    let lost = false;
    let regained = false;
    let proofFailed!: () => void;
    const afterProofFailed = new Promise<void>((r) => (proofFailed = r));
    const unreachable = () => new ClickHouseError('ClickHouse unreachable during insert into access_events: ECONNREFUSED', { retriable: true });
    const { processor, inserts } = fakeCluster({
      beforeInsert: async (shard) => {
        if (regained) return;
        if (shard === 1) {
          lost = true;
          throw unreachable();
        }
        await afterProofFailed;
        regained = true;
        throw unreachable();
      },
    });
    const own = {
      owned: () => true,
      confirm: async () => {
        if (lost && !regained) {
          proofFailed();
          throw new Abandoned('write');
        }
      },
    };
    await expect(processor.process(batch([on('alice', 1, 0), on('bob', 2, 1)]), own)).rejects.toBeInstanceOf(Abandoned);
    expect(regained).toBe(true);
    // A retry of shard 0 would come within the policy's 5 ms.
    await new Promise((r) => setTimeout(r, 100));
    expect(inserts).toEqual([]);
  });

  it('never takes a refusal of the fence for the rows\' fault: a session refused stops the batch, a session still held is tried again', async () => {
    const tooMany = new ClickHouseError('ClickHouse rejected the statement: Too many simultaneous sessions', { retriable: false, serverCode: 731 });
    const refused = fakeCluster({ openFails: tooMany });
    await expect(refused.processor.process(batch([on('alice', 1, 0)]), always)).rejects.toBe(tooMany);
    expect(refused.deadLetters).toEqual([]);
    const locked = new ClickHouseError('ClickHouse rejected the insert: Session is locked by a concurrent client', { retriable: false, serverCode: 373 });
    const held = fakeCluster({ failOnce: { shard: 1, replica: 0, error: locked } });
    expect(await held.processor.process(batch([on('alice', 1, 0)]), always)).toMatchObject({ inserted: 1, deadLettered: 0 });
  });

  it("waits, before reading a partition's ledger, for its inserts running on any replica; passes over one where no server listens, not one that times out", async () => {
    const refused = () => new ClickHouseError('ClickHouse unreachable during query: connect ECONNREFUSED', { retriable: true, cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const timedOut = () => new ClickHouseError('ClickHouse unreachable during query: Timeout error.', { retriable: true, cause: new Error('Timeout error.') });
    // Shard 0's second replica runs an insert of the partition for two polls; shard 1's first is down.
    let running = 2;
    let timeouts = 1;
    const { processor, inserts, calls } = fakeCluster({
      processes: (shard, replica) => {
        if (shard === 1 && replica === 0) return refused();
        if (shard === 0 && replica === 1) {
          calls.push('poll 0/1');
          if (timeouts-- > 0) return timedOut();
          return running-- > 0 ? 1 : 0;
        }
        return 0;
      },
    });
    await processor.process(batch([on('alice', 1, 0), on('bob', 2, 1)]), always);
    expect(inserts).toHaveLength(2);
    // The time-out was not taken for "nothing runs there": the poll went on until the insert had ended.
    const firstInsert = calls.findIndex((c) => / insert /.test(c));
    expect(calls.slice(0, firstInsert).filter((c) => c === 'poll 0/1')).toHaveLength(4);
  });
});
