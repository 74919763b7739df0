// The alert listing (table `alert_listing`, migration 0014): filters, sorting, exact counts and keyset pages
// of every current alert with its triage status, computed in ClickHouse, never over a scan of the newest N.
//
//   write   refreshListing(ids) after every write of revisions (writeAlerts) and of lifecycle actions
//           (recordAction): one INSERT ... SELECT that derives each alert's row from all its stored
//           revisions and actions, with version = revision rows + action rows. Every writer derives after
//           its own insert, so the highest version of an alert is derived from all of them.
//   read    per alert the row with the highest version (argMax), then the filters on the current values.
//           Filters on what never changes for an alert (employee, department, window end) narrow the rows
//           first; filters on what changes (status, severity, detector, window start) pick the candidate
//           alerts (k IN ...: any row that matches) before the grouping, so the grouping reads only them.
//   repair  repairListing() rewrites the rows of alerts whose listed version is behind (a writer that
//           stopped between its insert and the refresh): at the API's start and then every few minutes.
//
// The state fold below is the SQL twin of deriveState (src/triage/lifecycle.ts): the status before a
// snooze ends by itself, the snooze's end and where it returns to; readers apply the snooze at `now`.
// test/integration/alert-listing.test.ts checks the two agree on random action sequences.
import { after, decodeCursor, encodeCursor, orderBy, type KeyColumn, type KeyValue, ident, inList, join, sql, type ClickHouse, type SqlFragment } from '../store';
import { SEVERITIES, STATUSES, type AlertStatus, type Severity } from './types';

export { STATUSES, type AlertStatus } from './types';

export const SORTS = ['window', 'severity', 'volume', 'ratio', 'fired', 'status'] as const;
export type SortKey = (typeof SORTS)[number];
export type SortDir = 'asc' | 'desc';

/** The direction a sort starts with: biggest, newest, worst first; lifecycle order (open first) for status. */
export function defaultDir(sort: SortKey): SortDir {
  return sort === 'status' ? 'asc' : 'desc';
}

export interface ListingFilter {
  status?: AlertStatus;
  /** Any of these statuses. */
  statuses?: ReadonlyArray<AlertStatus>;
  /** Exactly this severity. */
  severity?: Severity;
  /** This severity or worse. */
  minSeverity?: Severity;
  /** These employee ids (an empty list matches nothing). */
  users?: ReadonlyArray<string>;
  /** These alerts (an empty list matches nothing). */
  ids?: ReadonlyArray<string>;
  /** Employees of a department in a directory version. */
  department?: { version: number; name: string };
  detector?: string;
  /** Alerts whose window ends after `from` and starts before `to` (ms). */
  from?: number;
  to?: number;
}

export interface ListingOrder {
  sort: SortKey;
  dir: SortDir;
}

export interface ListingRow {
  alertId: string;
  /** The row's values of the order's columns (what a cursor carries). */
  key: KeyValue[];
}

const IDS_PER_REFRESH = 1000;

// ---------------------------------------------------------------------------------------------------
// Writing

/** The listing rows of the alerts `where` selects (on both alerts and alert_actions), derived afresh. */
function derivation(where: SqlFragment): SqlFragment {
  const key = sql`(at, at_ms, action_id)`;
  const statusActions = sql`action IN ('acknowledge', 'resolve', 'snooze', 'reopen')`;
  return sql`
    INSERT INTO alert_listing (alert_id, user, window_end, version, written_at, revision, window_start, severity, score, detectors, fired_at, fired_at_ms, observed_bytes, ratio, status, snooze_until, after_snooze, assignee, disposition)
    SELECT alert_id, l_user, l_window_end, l_revisions + l_actions, now(), l_revision, l_window_start, l_severity, l_score, l_detectors, l_fired_at, l_fired_at_ms, l_bytes, l_ratio,
      multiIf(l_last = 'acknowledge', 'acknowledged', l_last = 'resolve', 'resolved', l_last = 'snooze', 'snoozed', 'open'),
      if(l_last = 'snooze', l_last_until, toDateTime(0, 'UTC')),
      multiIf(l_before = 'acknowledge', 'acknowledged', l_before = 'resolve', 'resolved', 'open'),
      l_assignee,
      if(l_closing = 'resolve', l_disposition, '')
    FROM (
      SELECT alert_id, count() AS l_revisions, max(revision) AS l_revision,
        argMax(user, revision) AS l_user, argMax(window_start, revision) AS l_window_start, argMax(window_end, revision) AS l_window_end,
        argMax(severity, revision) AS l_severity, argMax(score, revision) AS l_score, argMax(detectors, revision) AS l_detectors,
        argMax(fired_at, revision) AS l_fired_at, argMax(fired_at_ms, revision) AS l_fired_at_ms,
        argMax(observed_bytes, revision) AS l_bytes, argMax(ratio, revision) AS l_ratio
      FROM alerts
      WHERE ${where}
      GROUP BY alert_id
    ) AS revisions
    ANY LEFT JOIN (
      SELECT alert_id, count() AS l_actions,
        argMaxIf(toString(action), ${key}, ${statusActions}) AS l_last,
        argMaxIf(snooze_until, ${key}, ${statusActions}) AS l_last_until,
        argMaxIf(toString(action), ${key}, action IN ('acknowledge', 'resolve', 'reopen')) AS l_before,
        argMaxIf(toString(action), ${key}, action IN ('resolve', 'reopen')) AS l_closing,
        argMaxIf(disposition, ${key}, action = 'resolve') AS l_disposition,
        argMaxIf(assignee, ${key}, action = 'assign') AS l_assignee
      FROM alert_actions
      WHERE ${where}
      GROUP BY alert_id
    ) AS actions USING alert_id`;
}

const epochs = new WeakMap<ClickHouse, number>();

/** Grows with every refresh through this connection: readers that share answers must not share across one. */
export function listingEpoch(ch: ClickHouse): number {
  return epochs.get(ch) ?? 0;
}

/** Derives the listing rows of these alerts from everything stored for them now. Call after writing. */
export async function refreshListing(ch: ClickHouse, alertIds: ReadonlyArray<string>): Promise<void> {
  const ids = [...new Set(alertIds)];
  try {
    for (let i = 0; i < ids.length; i += IDS_PER_REFRESH) {
      await ch.exec(derivation(sql`alert_id IN ${inList(ids.slice(i, i + IDS_PER_REFRESH))}`));
    }
  } finally {
    epochs.set(ch, listingEpoch(ch) + 1);
  }
}

/** Derives the rows of every stored alert in one statement (what migration 0014 does; bulk loads). */
export async function rebuildListing(ch: ClickHouse): Promise<void> {
  try {
    await ch.exec(derivation(sql`1 = 1`));
  } finally {
    epochs.set(ch, listingEpoch(ch) + 1);
  }
}

/**
 * Rewrites the rows of alerts whose listed version is behind what is stored (a writer stopped between its
 * insert and its refresh, or rows written by a version without the listing). `recentSeconds`: only alerts
 * written or acted on in that many seconds (by the server's clock); without it, every alert. Returns how
 * many alerts were behind.
 */
export async function repairListing(ch: ClickHouse, opts: { recentSeconds?: number } = {}): Promise<number> {
  const scope =
    opts.recentSeconds === undefined
      ? sql`1 = 1`
      : sql`alert_id IN (SELECT alert_id FROM alerts WHERE updated_at_wall >= now() - ${opts.recentSeconds}
                        UNION ALL SELECT alert_id FROM alert_actions WHERE at >= now() - ${opts.recentSeconds})`;
  const behind = await ch.query<{ alert_id: string }>(sql`
    SELECT alert_id FROM (
      SELECT alert_id, r_rows + a_rows AS expected FROM (
        SELECT alert_id, count() AS r_rows FROM alerts WHERE ${scope} GROUP BY alert_id
      ) AS r ANY LEFT JOIN (
        SELECT alert_id, count() AS a_rows FROM alert_actions WHERE ${scope} GROUP BY alert_id
      ) AS a USING alert_id
    ) AS e ANY LEFT JOIN (
      SELECT alert_id, max(version) AS listed FROM alert_listing WHERE ${scope} GROUP BY alert_id
    ) AS l USING alert_id
    WHERE listed < expected`);
  await refreshListing(
    ch,
    behind.map((r) => r.alert_id),
  );
  return behind.length;
}

// ---------------------------------------------------------------------------------------------------
// Reading

/** A value of the current (highest-version) row of an alert, named c_<what> in the grouped select. */
const CURRENT: Record<string, SqlFragment> = {
  c_id: sql`any(alert_id)`,
  c_window_end: sql`toUInt32(any(window_end))`,
  c_window_start: sql`toUInt32(argMax(window_start, version))`,
  c_severity: sql`argMax(toInt8(severity), version)`,
  c_score: sql`argMax(score, version)`,
  c_detectors: sql`argMax(detectors, version)`,
  c_fired: sql`toUInt32(argMax(fired_at, version))`,
  c_fired_ms: sql`argMax(fired_at_ms, version)`,
  c_bytes: sql`argMax(observed_bytes, version)`,
  c_ratio: sql`argMax(ratio, version)`,
  c_status: sql`argMax(toInt8(status), version)`,
  c_snooze_until: sql`toUInt32(argMax(snooze_until, version))`,
  c_after_snooze: sql`argMax(toInt8(after_snooze), version)`,
};

/** The status code (1..4, STATUSES order) a row stands for at `now`: a snooze that ended is its return. */
function statusAt(now: number, s: SqlFragment, until: SqlFragment, back: SqlFragment): SqlFragment {
  return sql`multiIf(${s} = 3 AND ${until} <= ${Math.floor(now / 1000)}, ${back}, ${s})`;
}
const CURRENT_STATUS = (now: number) => statusAt(now, sql`c_status`, sql`c_snooze_until`, sql`c_after_snooze`);
const ROW_STATUS = (now: number) => statusAt(now, sql`toInt8(status)`, sql`toUInt32(snooze_until)`, sql`toInt8(after_snooze)`);

const col = (name: string, kind: KeyColumn['kind'], sameAsDir: boolean) => ({ name, kind, sameAsDir });
/** Each sort's columns: `sameAsDir` ones follow the direction asked for, the others the opposite way. */
const ORDERS: Record<SortKey, Array<{ name: string; kind: KeyColumn['kind']; sameAsDir: boolean }>> = {
  window: [col('c_window_end', 'number', true), col('c_score', 'number', true), col('c_id', 'string', false)],
  severity: [col('c_severity', 'number', true), col('c_score', 'number', true), col('c_window_end', 'number', true), col('c_id', 'string', false)],
  volume: [col('c_bytes', 'uint64', true), col('c_id', 'string', false)],
  ratio: [col('c_ratio', 'number', true), col('c_id', 'string', false)],
  fired: [col('c_fired', 'number', true), col('c_fired_ms', 'number', true), col('c_id', 'string', false)],
  status: [col('c_state', 'number', true), col('c_window_end', 'number', false), col('c_id', 'string', true)],
};

function keyColumns(order: ListingOrder): KeyColumn[] {
  return ORDERS[order.sort].map((c) => ({ expr: ident(c.name), kind: c.kind, desc: c.sameAsDir === (order.dir === 'desc') }));
}

/** The name a cursor is made for: a cursor of another sort or direction is refused. */
function orderName(order: ListingOrder): string {
  return `alerts:${order.sort}:${order.dir}`;
}

export function listingCursor(order: ListingOrder, key: ReadonlyArray<KeyValue>): string {
  return encodeCursor(orderName(order), key);
}

/** The key values of a cursor made for this order, or null when it is not a valid one. */
export function readListingCursor(order: ListingOrder, cursor: string): KeyValue[] | null {
  return decodeCursor(cursor, orderName(order), keyColumns(order));
}

interface Parts {
  /** On every row: what never changes for an alert. */
  fixed: SqlFragment[];
  /** On every row: a row that could be the current one of a match (picks candidate alerts). */
  rowLevel: SqlFragment[];
  /** On the current values. */
  current: SqlFragment[];
  /** Current values the filters need. */
  needs: Set<string>;
}

function partsOf(f: ListingFilter, now: number): Parts {
  const p: Parts = { fixed: [], rowLevel: [], current: [], needs: new Set(['c_id']) };
  if (f.users !== undefined) p.fixed.push(f.users.length === 0 ? sql`0 = 1` : sql`user IN ${inList([...f.users])}`);
  if (f.ids !== undefined) p.fixed.push(f.ids.length === 0 ? sql`0 = 1` : sql`alert_id IN ${inList([...f.ids])}`);
  if (f.department !== undefined) {
    p.fixed.push(sql`user IN (SELECT id FROM directory_entries WHERE version = ${f.department.version} AND department = ${f.department.name})`);
  }
  if (f.from !== undefined) p.fixed.push(sql`window_end > ${new Date(f.from)}`);
  if (f.to !== undefined) {
    p.rowLevel.push(sql`toUInt32(window_start) < ${Math.ceil(f.to / 1000)}`);
    p.current.push(sql`c_window_start < ${Math.ceil(f.to / 1000)}`);
    p.needs.add('c_window_start');
  }
  if (f.status !== undefined) {
    const code = STATUSES.indexOf(f.status) + 1;
    p.rowLevel.push(sql`${ROW_STATUS(now)} = ${code}`);
    p.current.push(sql`${CURRENT_STATUS(now)} = ${code}`);
    for (const c of ['c_status', 'c_snooze_until', 'c_after_snooze']) p.needs.add(c);
  }
  if (f.statuses !== undefined) {
    const codes = f.statuses.map((x) => STATUSES.indexOf(x) + 1);
    p.rowLevel.push(codes.length === 0 ? sql`0 = 1` : sql`${ROW_STATUS(now)} IN ${inList(codes)}`);
    p.current.push(codes.length === 0 ? sql`0 = 1` : sql`${CURRENT_STATUS(now)} IN ${inList(codes)}`);
    for (const c of ['c_status', 'c_snooze_until', 'c_after_snooze']) p.needs.add(c);
  }
  if (f.severity !== undefined) {
    const rank = SEVERITIES.indexOf(f.severity) + 1;
    p.rowLevel.push(sql`toInt8(severity) = ${rank}`);
    p.current.push(sql`c_severity = ${rank}`);
    p.needs.add('c_severity');
  }
  if (f.minSeverity !== undefined) {
    const rank = SEVERITIES.indexOf(f.minSeverity) + 1;
    p.rowLevel.push(sql`toInt8(severity) >= ${rank}`);
    p.current.push(sql`c_severity >= ${rank}`);
    p.needs.add('c_severity');
  }
  if (f.detector !== undefined) {
    p.rowLevel.push(sql`has(detectors, ${f.detector})`);
    p.current.push(sql`has(c_detectors, ${f.detector})`);
    p.needs.add('c_detectors');
  }
  return p;
}

const and = (xs: SqlFragment[]) => (xs.length === 0 ? sql`1 = 1` : join(xs, ' AND '));

/** The current value of each alert the fixed filters keep (and, with changing filters, the candidates). */
function grouped(p: Parts, needs: Iterable<string>, extraFixed: SqlFragment[] = []): SqlFragment {
  const fixed = and([...p.fixed, ...extraFixed]);
  const candidates = p.rowLevel.length === 0 ? sql`` : sql`AND k IN (SELECT k FROM alert_listing WHERE ${fixed} AND ${and(p.rowLevel)})`;
  const select = join([...new Set(needs)].filter((n) => n !== 'c_state').map((n) => sql`${CURRENT[n]} AS ${ident(n)}`));
  return sql`SELECT k, ${select} FROM alert_listing WHERE ${fixed} ${candidates} GROUP BY k`;
}

/** How many alerts match, exactly. */
export async function countListing(ch: ClickHouse, f: ListingFilter, now: number): Promise<number> {
  const p = partsOf(f, now);
  const rows =
    p.rowLevel.length === 0
      ? await ch.query<{ n: string }>(sql`SELECT uniqExact(k) AS n FROM alert_listing WHERE ${and(p.fixed)}`)
      : await ch.query<{ n: string }>(sql`SELECT count() AS n FROM (${grouped(p, p.needs)}) WHERE ${and(p.current)}`);
  return Number(rows[0]?.n ?? 0);
}

/**
 * One page of matching alerts in `order`: after the cursor's key when there is one (keyset), else from
 * `offset`. Each row carries its key, from which the next page's cursor is made.
 */
export async function listingPage(
  ch: ClickHouse,
  f: ListingFilter,
  order: ListingOrder,
  page: { limit: number; offset?: number; after?: ReadonlyArray<KeyValue> },
  now: number,
): Promise<ListingRow[]> {
  const p = partsOf(f, now);
  const columns = keyColumns(order);
  const names = ORDERS[order.sort].map((c) => c.name);
  const needs = new Set([...p.needs, ...names]);
  if (needs.has('c_state')) for (const c of ['c_status', 'c_snooze_until', 'c_after_snooze']) needs.add(c);
  // The window's end never changes for an alert: a keyset on it narrows the rows read, not only the result.
  const extraFixed: SqlFragment[] = [];
  if (page.after && order.sort === 'window') {
    const end = new Date(Number(page.after[0]) * 1000);
    extraFixed.push(columns[0].desc ? sql`window_end <= ${end}` : sql`window_end >= ${end}`);
  }
  const where = [...p.current];
  if (page.after) where.push(after(columns, page.after));
  const state = needs.has('c_state') ? sql`, ${CURRENT_STATUS(now)} AS c_state` : sql``;
  const keys = join(names.map((n) => ident(n)));
  const rows = await ch.query<Record<string, string | number>>(sql`
    SELECT ${keys} FROM (SELECT * ${state} FROM (${grouped(p, needs, extraFixed)}))
    WHERE ${and(where)}
    ORDER BY ${orderBy(columns)}
    LIMIT ${page.limit} ${page.after || !page.offset ? sql`` : sql`OFFSET ${page.offset}`}`);
  return rows.map((r) => ({
    alertId: String(r.c_id),
    key: ORDERS[order.sort].map((c) => (c.kind === 'number' ? Number(r[c.name]) : String(r[c.name]))),
  }));
}

/** The ids of every matching alert, a keyset page at a time (for batch work such as reports). */
export async function* listingIds(ch: ClickHouse, f: ListingFilter, now: number, pageSize = 10_000): AsyncGenerator<string[]> {
  const order: ListingOrder = { sort: 'window', dir: 'desc' };
  let afterKey: KeyValue[] | undefined;
  for (;;) {
    const rows = await listingPage(ch, f, order, { limit: pageSize, after: afterKey }, now);
    if (rows.length === 0) return;
    yield rows.map((r) => r.alertId);
    if (rows.length < pageSize) return;
    afterKey = rows[rows.length - 1].key;
  }
}

/**
 * The exact count and one page, in one query (one grouping of the candidates instead of two): the
 * matching alerts' keys are gathered and sorted in ClickHouse (arraySort), the page sliced from them.
 * Keys are sorted with every number ascending or negated and the id ascending; an order whose id runs
 * descending is that order reversed (arrayReverseSort).
 */
export async function listingPageAndCount(
  ch: ClickHouse,
  f: ListingFilter,
  order: ListingOrder,
  page: { limit: number; offset?: number; after?: ReadonlyArray<KeyValue> },
  now: number,
): Promise<{ total: number; rows: ListingRow[] }> {
  const p = partsOf(f, now);
  const spec = ORDERS[order.sort];
  const columns = keyColumns(order);
  const names = spec.map((c) => c.name);
  const needs = new Set([...p.needs, ...names]);
  if (needs.has('c_state')) for (const c of ['c_status', 'c_snooze_until', 'c_after_snooze']) needs.add(c);
  const state = needs.has('c_state') ? sql`, ${CURRENT_STATUS(now)} AS c_state` : sql``;
  // Sort key with the id ascending: the id's column follows `dir` when sameAsDir, so for this key the
  // direction is the one where the id runs ascending; numbers running the other way are negated.
  const idSame = spec[spec.length - 1].sameAsDir;
  const keyDir: SortDir = idSame ? 'asc' : 'desc';
  const key = join(
    spec.map((c, i) => {
      const element = sql`t.${i + 1}`;
      if (c.kind === 'string') return element;
      const desc = c.sameAsDir === (keyDir === 'desc');
      const numeric = c.kind === 'uint64' ? sql`toInt64(${element})` : sql`toFloat64(${element})`;
      return desc ? sql`-${numeric}` : numeric;
    }),
  );
  const sorter = order.dir === keyDir ? sql`arraySort` : sql`arrayReverseSort`;
  const tuple = sql`(${join(names.map((n) => ident(n)))})`;
  const inPage = page.after ? after(columns, page.after) : sql`1 = 1`;
  const first = page.after || !page.offset ? 1 : page.offset + 1;
  const [r] = await ch.query<{ total: string; page: Array<Array<string | number>> }>(sql`
    SELECT count() AS total, arraySlice(${sorter}(t -> (${key}), groupArrayIf(${tuple}, ${inPage})), ${first}, ${page.limit}) AS page
    FROM (SELECT * ${state} FROM (${grouped(p, needs)}))
    WHERE ${and(p.current)}`);
  return {
    total: Number(r?.total ?? 0),
    rows: (r?.page ?? []).map((t) => ({ alertId: String(t[t.length - 1]), key: spec.map((c, i) => (c.kind === 'number' ? Number(t[i]) : String(t[i]))) })),
  };
}
