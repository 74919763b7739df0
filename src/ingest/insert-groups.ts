// The partitions of one fetch stored in as few INSERTs as the ledger allows. ClickHouse pays for an
// insert per block more than per event (the rollup views build their aggregate states per key and
// block: `npm run bench:insert-blocks`), and kafkajs hands each partition's batch of a fetch to a worker
// of its own (ingest.concurrentPartitions of them). So each batch announces itself when it starts
// preparing its rows (begin), and the batches that are ready wait until no other batch is still
// preparing, or at most maxWaitMs, then go out together.
//
// Batches go into one insert only when their employees are apart: a rollup key (employee, hour or day,
// table) then belongs to one partition's range of the insert, which is what lets a new owner repair one
// partition's share of an insert that stopped between the views without knowing the rest
// (insert-outcome.ts). Producers key by employee, so a fetch's partitions usually share one insert.
import { InternalError } from '../errors';

export interface GroupMember {
  /** The employees of the batch's rows. */
  users: ReadonlySet<string>;
  /** Its rows, and the bytes of the messages they came from. */
  events: number;
  bytes: number;
}

/** What one shared insert may hold. */
export interface GroupLimits {
  /**
   * ClickHouse cuts an INSERT into blocks (max_insert_block_size rows; from 20.x also about 10 MiB of
   * input parsed in parallel), and the ledger is exact only while an INSERT is one block.
   */
  events: number;
  bytes: number;
  /** Each partition's range is named in the insert's query_id, which travels in the request's URL. */
  parts: number;
  /** How long ready batches wait for one still preparing (a slow dead letter, a ledger being loaded). */
  maxWaitMs: number;
}

export const GROUP_LIMITS: GroupLimits = { events: 500_000, bytes: 8 * 1024 * 1024, parts: 16, maxWaitMs: 1000 };

/** One batch's place in the groups, from begin() until it inserts or leaves (whichever comes first counts). */
export interface GroupTicket<P, R> {
  /** The prepared rows, stored with the batches ready with them; resolves or rejects for this batch alone. */
  insert(part: P): Promise<R>;
  /** The batch will not insert (no rows, or a failure): the others stop waiting for it. */
  leave(): void;
}

export interface InsertGroups<P extends GroupMember, R> {
  /** A batch starts preparing its rows: batches ready meanwhile wait for it. */
  begin(): GroupTicket<P, R>;
}

/**
 * `store` inserts one group (one or more parts) and answers for each part in order: a part's outcome
 * may differ from another's (one refused row sends each partition apart).
 */
export function createInsertGroups<P extends GroupMember, R>(store: (parts: P[]) => Promise<Array<PromiseSettledResult<R>>>, limits: GroupLimits = GROUP_LIMITS): InsertGroups<P, R> {
  let preparing = 0;
  let ready: Array<{ part: P; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  let timer: NodeJS.Timeout | undefined;

  function flush(force = false): void {
    if ((preparing > 0 && !force) || ready.length === 0) return;
    clearTimeout(timer);
    timer = undefined;
    const waiting = ready;
    ready = [];
    const groups: Array<{ users: Set<string>; events: number; bytes: number; members: typeof waiting }> = [];
    for (const item of waiting) {
      const { part } = item;
      const fits = (g: (typeof groups)[number]) =>
        g.members.length < limits.parts && g.events + part.events <= limits.events && g.bytes + part.bytes <= limits.bytes && !someShared(part.users, g.users);
      const group = groups.find(fits);
      if (group) {
        for (const u of part.users) group.users.add(u);
        group.events += part.events;
        group.bytes += part.bytes;
        group.members.push(item);
      } else groups.push({ users: new Set(part.users), events: part.events, bytes: part.bytes, members: [item] });
    }
    for (const { members } of groups) {
      store(members.map((m) => m.part)).then(
        (results) => results.forEach((r, i) => (r.status === 'fulfilled' ? members[i].resolve(r.value) : members[i].reject(r.reason))),
        (err: unknown) => members.forEach((m) => m.reject(err)),
      );
    }
  }

  return {
    begin() {
      preparing++;
      let done = false;
      const leave = () => {
        if (done) return false;
        done = true;
        preparing--;
        return true;
      };
      return {
        insert(part) {
          if (!leave()) return Promise.reject(new InternalError('a batch inserted twice, or after it left its group'));
          const promise = new Promise<R>((resolve, reject) => ready.push({ part, resolve, reject }));
          flush();
          // Still waiting for a sibling: not for longer than maxWaitMs.
          if (ready.length > 0 && timer === undefined) timer = setTimeout(() => flush(true), limits.maxWaitMs);
          return promise;
        },
        leave() {
          if (leave()) flush();
        },
      };
    },
  };
}

function someShared(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const x of small) if (large.has(x)) return true;
  return false;
}
