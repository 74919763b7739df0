// A retention run: whole partitions older than each class's retention are dropped (18.16 has no TTL;
// ALTER TABLE ... DROP PARTITION ID works on every version), held data first kept:
//   1. seal the chains, so every row about to go is linked;
//   2. per partition due: copy a held employee's or alert's rows of bulk tables into <table>_held, or keep
//      a chained table's partition that holds held data (tables.ts says which);
//   3. record what is done in retention_log and seal that chain at once: the verifier then knows the
//      rows of a dropped partition are gone by retention, not deleted (a retained prefix is sealed);
//   4. drop the partitions; 5. audit the run.
// A run that stops halfway is run again: copies are not repeated, records of partitions still there are harmless.
import crypto from 'node:crypto';
import { sealChains } from '../chain';
import { MS_PER_DAY } from '../calendar';
import { ident, inList, join, sql, type ClickHouse, type SqlFragment } from '../store';
import { audit, entryOf, type Actor } from '../triage';
import { TriageError } from '../errors';
import { heldSubjects, listHolds, type HeldSubjects } from './holds';
import { recordRetention, type RetentionRow } from './record';
import { partitionEnd, RETAINED_TABLES, type RetainedTable, type RetentionClass } from './tables';

export interface RetentionSettings {
  /** Days each class is kept; 0 keeps it for ever. */
  days: Record<RetentionClass, number>;
}

export interface RetentionOptions {
  settings: RetentionSettings;
  actor: Actor;
  now?: number;
  /** Plan only: nothing copied, recorded or dropped. */
  dryRun?: boolean;
  /** The sealer's grace period (chain/seal.ts sealGraceMs of the configuration); default DEFAULT_GRACE_MS. */
  sealGraceMs?: number;
  progress?: (line: string) => void;
}

export interface PlannedPartition {
  table: string;
  partition: string;
  rows: number;
  /** Rows of held subjects in it. */
  heldRows: number;
  action: 'drop' | 'copy_and_drop' | 'keep_held';
}

export interface RetentionResult {
  runId: string;
  dryRun: boolean;
  partitions: PlannedPartition[];
  droppedRows: number;
  copiedRows: number;
}

/** SQL: the rows of a table that active holds pin. null when nothing is held. */
function heldFilter(t: RetainedTable, held: HeldSubjects, heldAlertIds: ReadonlyArray<string>): SqlFragment | null {
  const any: SqlFragment[] = [];
  const employees = [...held.employees];
  if (t.hold.mode === 'copy') {
    if (employees.length > 0) any.push(sql`${t.hold.user} IN ${inList(employees)}`);
    // What a held employee did through a shared database role is theirs too.
    if (t.hold.identity && employees.length > 0) any.push(sql`${t.hold.identity} IN ${inList(employees)}`);
    for (const a of held.alerts) any.push(sql`(${t.hold.user} = ${a.user} AND ${t.hold.time} >= ${new Date(a.from)} AND ${t.hold.time} < ${new Date(a.to)})`);
  } else {
    if (t.hold.alertId && heldAlertIds.length > 0) any.push(sql`${t.hold.alertId} IN ${inList([...heldAlertIds])}`);
    if (t.hold.user && employees.length > 0) any.push(sql`${t.hold.user} IN ${inList(employees)}`);
    // The audit trail's entries about a held employee name them as the target.
    if (t.table === 'audit_log' && employees.length > 0) any.push(sql`target IN ${inList(employees)}`);
  }
  return any.length > 0 ? sql`(${join(any, ' OR ')})` : null;
}

async function count(ch: ClickHouse, table: string, where: SqlFragment): Promise<number> {
  const [r] = await ch.query<{ n: string }>(sql`SELECT count() AS n FROM ${ident(table)} WHERE ${where}`);
  return Number(r.n);
}

export async function planRetention(ch: ClickHouse, settings: RetentionSettings, now: number): Promise<{ plan: PlannedPartition[]; held: HeldSubjects; heldAlertIds: string[] }> {
  const held = await heldSubjects(ch);
  // A held employee's alerts are held too (their triage actions and audit entries name the alert).
  const heldAlertIds = [...held.alerts.map((a) => a.alertId)];
  if (held.employees.size > 0) {
    const rows = await ch.query<{ alert_id: string }>(sql`SELECT DISTINCT alert_id FROM alerts WHERE user IN ${inList([...held.employees])}`);
    heldAlertIds.push(...rows.map((r) => r.alert_id));
  }
  const plan: PlannedPartition[] = [];
  for (const t of RETAINED_TABLES) {
    const days = settings.days[t.class];
    if (!days) continue;
    const cutoff = now - days * MS_PER_DAY;
    const parts = await ch.query<{ partition_id: string; rows: string }>(sql`
      SELECT partition_id, sum(rows) AS rows FROM system.parts
      WHERE database = ${ch.database} AND table = ${t.table} AND active
      GROUP BY partition_id ORDER BY partition_id`);
    const filter = heldFilter(t, held, heldAlertIds);
    for (const p of parts) {
      const end = partitionEnd(t, p.partition_id);
      if (end === null || end > cutoff) continue;
      const heldRows = filter ? await count(ch, t.table, sql`${t.partitionId} = ${p.partition_id} AND ${filter}`) : 0;
      const action = heldRows === 0 ? 'drop' : t.hold.mode === 'copy' ? 'copy_and_drop' : 'keep_held';
      plan.push({ table: t.table, partition: p.partition_id, rows: Number(p.rows), heldRows, action });
    }
  }
  return { plan, held, heldAlertIds };
}

export async function runRetention(ch: ClickHouse, opts: RetentionOptions): Promise<RetentionResult> {
  const now = opts.now ?? Date.now();
  // What the run writes is stamped when written, not when the run began: a sealer running meanwhile (audit
  // seal-every, a report) seals every chain up to its clock minus the grace period, and a row stamped behind
  // a sealed head would be sealed only late, or past an hour never (verify names it, and an unsealed
  // retention record proves no drop).
  const started = Date.now();
  const clock = () => now + (Date.now() - started);
  const progress = opts.progress ?? (() => {});
  const runId = `ret_${crypto.randomBytes(6).toString('hex')}`;
  // 1. Everything about to go is linked first (rows past the grace period: partitions due are older).
  if (!opts.dryRun) await sealChains(ch, { now, graceMs: opts.sealGraceMs, sealer: `retention ${runId}` });
  const holdsAtStart = new Set((await listHolds(ch, { active: true })).map((h) => h.holdId));
  const { plan, held, heldAlertIds } = await planRetention(ch, opts.settings, now);
  const result: RetentionResult = { runId, dryRun: opts.dryRun === true, partitions: plan, droppedRows: 0, copiedRows: 0 };
  if (opts.dryRun || plan.length === 0) return result;

  // 2. Held rows of bulk tables copied aside, not twice (a run that stopped after copying is run again),
  // row by row: a partition already copied for one hold may since hold another's rows.
  const records: RetentionRow[] = [];
  for (const p of plan) {
    const t = RETAINED_TABLES.find((x) => x.table === p.table)!;
    if (p.action === 'copy_and_drop' && t.hold.mode === 'copy') {
      const where = sql`${t.partitionId} = ${p.partition} AND ${heldFilter(t, held, heldAlertIds)!}`;
      await ch.exec(sql`
        INSERT INTO ${ident(t.hold.heldTable)} SELECT * FROM ${ident(t.table)}
        WHERE ${where} AND (${t.hold.key}) NOT IN (SELECT ${t.hold.key} FROM ${ident(t.hold.heldTable)} WHERE ${where})`);
      progress(`${p.table} ${p.partition}: ${p.heldRows} held row(s) copied to ${t.hold.heldTable}`);
      result.copiedRows += p.heldRows;
      records.push({ table: p.table, partition: p.partition, action: 'copied_held', rows: p.heldRows, detail: t.hold.heldTable });
    }
    if (p.action === 'keep_held') records.push({ table: p.table, partition: p.partition, action: 'kept_held', rows: p.heldRows, detail: 'holds data under legal hold' });
    else records.push({ table: p.table, partition: p.partition, action: 'dropped', rows: p.rows, detail: '' });
  }
  // 3. Recorded and sealed before anything goes.
  const recordedAt = clock();
  await recordRetention(ch, { runId, at: recordedAt, rows: records });
  await sealChains(ch, { now: recordedAt + 1000, graceMs: 0, chains: ['retention_log'], sealer: `retention ${runId}` });
  // 4. Dropped, unless a hold was placed since the plan was made: its data may be in a partition planned
  // as unheld. Nothing is dropped then; the next run plans with it.
  const placed = (await listHolds(ch, { active: true })).filter((h) => !holdsAtStart.has(h.holdId));
  if (placed.length > 0) {
    throw new TriageError('TRIAGE_CONFLICT', `legal hold ${placed.map((h) => `${h.holdId} (${h.kind} ${h.subject})`).join(', ')} was placed during retention run ${runId}: nothing was dropped; run retention again`);
  }
  for (const p of plan) {
    if (p.action === 'keep_held') {
      progress(`${p.table} ${p.partition}: kept (${p.heldRows} row(s) under legal hold)`);
      continue;
    }
    await ch.exec(sql`ALTER TABLE ${ident(p.table)} DROP PARTITION ID ${p.partition}`);
    result.droppedRows += p.rows;
    progress(`${p.table} ${p.partition}: dropped (${p.rows} row(s))`);
  }
  // 5. Audited.
  const summary = plan.reduce<Record<string, number>>((m, p) => ({ ...m, [p.action]: (m[p.action] ?? 0) + 1 }), {});
  await audit(ch, entryOf(opts.actor, clock(), 'retention.run', runId, { partitions: summary, droppedRows: result.droppedRows, copiedRows: result.copiedRows }));
  return result;
}
