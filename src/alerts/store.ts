// Alerts in ClickHouse (table `alerts`, migration 0003): every revision is a row; the current alert is
// the highest revision of its alert_id. Filters reach SQL only through the escaping helper.
import { MS_PER_DAY } from '../calendar';
import { dayOfAlertId } from './alert-id';
import { fromDateTime, inList, join, POINT_READ, shardsOf, sql, toDateTime, type ClickHouse, type ShardInsertOptions, type SqlFragment } from '../store';
import { refreshListing } from './listing';
import { SEVERITIES, type AlertRecord, type Severity } from './types';

interface AlertRow {
  alert_id: string;
  revision: number;
  user: string;
  window_start: string;
  window_end: string;
  detectors: string[];
  severity: Severity;
  score: number;
  fired_at: string;
  fired_at_ms: number;
  trigger_event_id: string;
  last_event_at: string;
  observed_bytes: string;
  observed_rows: string;
  event_count: string;
  baseline_bytes: number;
  peer_bytes: number;
  peer_group: string;
  ratio: number;
  explanation: string;
  findings: string;
  evidence: string;
  created_at_wall: string;
  updated_at_wall: string;
}


function toRow(a: AlertRecord): AlertRow {
  return {
    alert_id: a.alertId,
    revision: a.revision,
    user: a.user,
    window_start: toDateTime(a.windowStart),
    window_end: toDateTime(a.windowEnd),
    detectors: a.detectors,
    severity: a.severity,
    score: a.score,
    fired_at: toDateTime(a.firedAt),
    fired_at_ms: a.firedAt % 1000,
    trigger_event_id: a.triggerEventId,
    last_event_at: toDateTime(a.lastEventAt),
    observed_bytes: String(a.observedBytes),
    observed_rows: String(a.observedRows),
    event_count: String(a.eventCount),
    baseline_bytes: a.baselineBytes,
    peer_bytes: a.peerBytes,
    peer_group: a.peerGroup,
    ratio: a.ratio,
    explanation: a.explanation,
    findings: JSON.stringify(a.findings),
    evidence: JSON.stringify(a.evidence),
    created_at_wall: toDateTime(a.createdAtWall),
    updated_at_wall: toDateTime(a.updatedAtWall),
  };
}

function fromRow(r: AlertRow): AlertRecord {
  return {
    alertId: r.alert_id,
    revision: Number(r.revision),
    user: r.user,
    windowStart: fromDateTime(r.window_start),
    windowEnd: fromDateTime(r.window_end),
    detectors: r.detectors,
    severity: r.severity,
    score: Number(r.score),
    firedAt: fromDateTime(r.fired_at) + Number(r.fired_at_ms),
    triggerEventId: r.trigger_event_id,
    lastEventAt: fromDateTime(r.last_event_at),
    observedBytes: Number(r.observed_bytes),
    observedRows: Number(r.observed_rows),
    eventCount: Number(r.event_count),
    baselineBytes: Number(r.baseline_bytes),
    peerBytes: Number(r.peer_bytes),
    peerGroup: r.peer_group,
    ratio: Number(r.ratio),
    explanation: r.explanation,
    findings: JSON.parse(r.findings) as AlertRecord['findings'],
    evidence: JSON.parse(r.evidence) as AlertRecord['evidence'],
    createdAtWall: fromDateTime(r.created_at_wall),
    updatedAtWall: fromDateTime(r.updated_at_wall),
  };
}

/** Stores alert revisions, then their rows of the listing (listing.ts). */
export async function writeAlerts(ch: ClickHouse, alerts: ReadonlyArray<AlertRecord>): Promise<void> {
  if (alerts.length === 0) return;
  await insertAlerts(ch, alerts);
  await refreshListing(ch, alerts.map((a) => a.alertId));
}

/**
 * Stores alert revisions only: the caller refreshes their listing rows (refreshListing) after. With `open`
 * (a write fence: src/live-detect/alert-writes.ts), each insert goes to one node, `open` called on it
 * first: the server, or on a cluster each shard's revisions (sharded by employee) straight to one of its
 * replicas, one shard after the other. Without it, through the server (a cluster's Distributed table).
 */
export async function insertAlerts(ch: ClickHouse, alerts: ReadonlyArray<AlertRecord>, open?: ShardInsertOptions['open']): Promise<void> {
  if (alerts.length === 0) return;
  if (!open) return ch.insert('alerts', alerts.map(toRow));
  const shards = shardsOf(ch);
  const byShard = new Map<number, AlertRow[]>();
  for (const a of alerts) {
    const shard = shards.of(a.user);
    let rows = byShard.get(shard);
    if (!rows) byShard.set(shard, (rows = []));
    rows.push(toRow(a));
  }
  for (const [shard, rows] of byShard) await shards.insert(shard, 'alerts', rows, { open });
}

/** Which revisions of these alerts ClickHouse holds (`alert_id#revision`), read from every replica on a cluster. */
export async function heldRevisions(ch: ClickHouse, alertIds: ReadonlyArray<string>): Promise<Set<string>> {
  const out = new Set<string>();
  const ids = [...new Set(alertIds)];
  for (let i = 0; i < ids.length; i += 2000) {
    const q = sql`SELECT alert_id, revision FROM alerts PREWHERE alert_id IN ${inList(ids.slice(i, i + 2000))}`;
    for (const r of await everywhere<{ alert_id: string; revision: number }>(ch, q)) out.add(`${r.alert_id}#${Number(r.revision)}`);
  }
  return out;
}

/** A read of alerts from every shard, each as complete as every answering replica makes it (the server on one). */
async function everywhere<T>(ch: ClickHouse, q: SqlFragment): Promise<T[]> {
  const shards = shardsOf(ch);
  const rows: T[] = [];
  for (let shard = 0; shard < shards.count; shard++) rows.push(...(await shards.queryShard<T>(shard, q, { table: 'alerts' })));
  return rows;
}

export interface AlertFilter {
  /** Alerts whose window ends after `from` and starts before `to` (ms). */
  from?: number;
  to?: number;
  user?: string;
  /** This severity or worse. */
  minSeverity?: Severity;
  detector?: string;
  /** Only these alert ids. */
  ids?: ReadonlyArray<string>;
  limit?: number;
}

/** Current alerts (latest revision of each), newest window first, then by score. */
export async function listAlerts(ch: ClickHouse, f: AlertFilter = {}): Promise<AlertRecord[]> {
  const where: SqlFragment[] = [sql`1 = 1`];
  // The window (a day, or a slow drip's days) narrows the partitions read before the latest revision is chosen.
  if (f.from !== undefined) where.push(sql`window_end > ${new Date(f.from)}`);
  if (f.to !== undefined) where.push(sql`window_start < ${new Date(f.to)}`);
  if (f.user !== undefined) where.push(sql`user = ${f.user}`);
  // By id: PREWHERE reads the id column first and the rest (the evidence is large) only where it matched.
  // 18.16 does not move a primary-key condition to PREWHERE by itself; a lookup then read every
  // partition's granule of every column (27x the bytes of this way).
  const prewhere = f.ids === undefined ? sql`` : f.ids.length === 0 ? sql`PREWHERE 0 = 1` : sql`PREWHERE alert_id IN ${inList([...f.ids])}`;
  const after: SqlFragment[] = [sql`1 = 1`];
  if (f.minSeverity !== undefined) after.push(sql`toInt8(severity) >= ${SEVERITIES.indexOf(f.minSeverity) + 1}`);
  if (f.detector !== undefined) after.push(sql`has(detectors, ${f.detector})`);
  const limit = f.limit ?? 1000;
  const rows = await ch.query<AlertRow>(sql`
    SELECT *
    FROM (
      SELECT * FROM alerts
      ${prewhere}
      WHERE ${join(where, ' AND ')}
      ORDER BY alert_id, revision DESC
      LIMIT 1 BY alert_id
    )
    WHERE ${join(after, ' AND ')}
    ORDER BY window_end DESC, score DESC, alert_id
    LIMIT ${limit}`, f.ids?.length === 1 ? { settings: POINT_READ } : undefined);
  return rows.map(fromRow);
}

/** Current alerts of the windows that touch the days first..last (for a restart to continue them). */
export function alertsOfDays(ch: ClickHouse, first: number, last: number): Promise<AlertRecord[]> {
  return listAlerts(ch, { from: first * MS_PER_DAY, to: (last + 1) * MS_PER_DAY, limit: 1_000_000 });
}

/**
 * Every stored revision of the alerts of days first..last, read from every replica of every shard on a
 * cluster (what one replica has just stored and the others have not fetched is included); through the
 * one server otherwise. For a detector taking over alerts another detector wrote a moment ago.
 */
export async function alertRevisionsEverywhere(ch: ClickHouse, first: number, last: number): Promise<AlertRecord[]> {
  const q = sql`SELECT * FROM alerts WHERE window_end > ${new Date(first * MS_PER_DAY)} AND window_start < ${new Date((last + 1) * MS_PER_DAY)}`;
  return (await everywhere<AlertRow>(ch, q)).map(fromRow);
}

/** An alert without what shows what was taken and how (the explanation, findings, evidence, trigger). */
export type AlertSummaryRecord = Omit<AlertRecord, 'explanation' | 'findings' | 'evidence' | 'triggerEventId'>;

const SUMMARY_COLUMNS = sql`alert_id, revision, user, window_start, window_end, detectors, severity, score, fired_at, fired_at_ms, last_event_at,
  observed_bytes, observed_rows, event_count, baseline_bytes, peer_bytes, peer_group, ratio, created_at_wall, updated_at_wall`;

/** The current revision of each of these alerts, as summaries (one indexed read; absent ids are left out). */
export async function alertSummaries(ch: ClickHouse, ids: ReadonlyArray<string>): Promise<Map<string, AlertSummaryRecord>> {
  const out = new Map<string, AlertSummaryRecord>();
  for (let i = 0; i < ids.length; i += 2000) {
    const rows = await ch.query<Omit<AlertRow, 'explanation' | 'findings' | 'evidence' | 'trigger_event_id'>>(sql`
      SELECT ${SUMMARY_COLUMNS} FROM alerts
      PREWHERE alert_id IN ${inList([...ids.slice(i, i + 2000)])}
      ORDER BY alert_id, revision DESC
      LIMIT 1 BY alert_id`);
    for (const r of rows) out.set(r.alert_id, summaryFromRow(r));
  }
  return out;
}

/**
 * Every current alert the window filter selects, as summaries, a page at a time in alert id order (keyset
 * on the id): however many there are, none is left out and memory holds one page.
 */
export async function* alertSummaryPages(ch: ClickHouse, f: Pick<AlertFilter, 'from' | 'to' | 'ids'> & { users?: ReadonlyArray<string> } = {}, pageSize = 5000): AsyncGenerator<AlertSummaryRecord[]> {
  const where: SqlFragment[] = [sql`1 = 1`];
  if (f.from !== undefined) where.push(sql`window_end > ${new Date(f.from)}`);
  if (f.to !== undefined) where.push(sql`window_start < ${new Date(f.to)}`);
  if (f.ids !== undefined) where.push(f.ids.length === 0 ? sql`0 = 1` : sql`alert_id IN ${inList([...f.ids])}`);
  if (f.users !== undefined) where.push(f.users.length === 0 ? sql`0 = 1` : sql`user IN ${inList([...f.users])}`);
  let last = '';
  for (;;) {
    const rows = await ch.query<Omit<AlertRow, 'explanation' | 'findings' | 'evidence' | 'trigger_event_id'>>(sql`
      SELECT ${SUMMARY_COLUMNS} FROM alerts
      WHERE ${join(where, ' AND ')} AND alert_id > ${last}
      ORDER BY alert_id, revision DESC
      LIMIT 1 BY alert_id
      LIMIT ${pageSize}`);
    if (rows.length === 0) return;
    yield rows.map((r) => summaryFromRow(r));
    last = rows[rows.length - 1].alert_id;
    if (rows.length < pageSize) return;
  }
}

function summaryFromRow(r: Omit<AlertRow, 'explanation' | 'findings' | 'evidence' | 'trigger_event_id'>): AlertSummaryRecord {
  const { explanation: _e, findings: _f, evidence: _v, triggerEventId: _t, ...summary } = fromRow({ ...r, explanation: '', findings: '[]', evidence: '{}', trigger_event_id: '' });
  return summary;
}

/** The current revision of one alert, or null. */
export async function getAlert(ch: ClickHouse, alertId: string): Promise<AlertRecord | null> {
  // An id the engine wrote names the alert's last day, and the engine starts every revision's window on
  // or before it (a slow drip's weeks earlier): later months' partitions cannot hold it, and are not read.
  // Found nowhere so, it is looked for everywhere: an alert written otherwise is still found.
  const day = dayOfAlertId(alertId);
  const bounded = day === null ? null : await latestRevision(ch, alertId, (day + 1) * MS_PER_DAY);
  return bounded ?? (await latestRevision(ch, alertId));
}

/**
 * The highest revision of one alert among those whose window starts before `to`: what listAlerts gives for
 * one id, in a plain point read (a third of its cost: no outer sort over the subquery's rows).
 */
async function latestRevision(ch: ClickHouse, alertId: string, to?: number): Promise<AlertRecord | null> {
  const [row] = await ch.query<AlertRow>(sql`
    SELECT * FROM alerts
    PREWHERE alert_id = ${alertId}
    WHERE ${to === undefined ? sql`1 = 1` : sql`window_start < ${new Date(to)}`}
    ORDER BY revision DESC
    LIMIT 1`, { settings: POINT_READ });
  return row ? fromRow(row) : null;
}
