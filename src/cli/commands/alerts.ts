// `insider alerts`: list, show and triage alerts straight in ClickHouse, through the same triage service as
// the HTTP API. The operator holds the database credentials and is trusted like an admin; every action is
// recorded in the audit trail as "cli:<login name>" (or --as NAME).
import { Command, Option } from 'commander';
import { SEVERITIES, SORTS, type Severity, type SortKey } from '../../alerts';
import { formatBytes, formatMultiple, formatPercent } from '../../format';
import { MAX_FACTOR, MIN_FACTOR } from '../../detect';
import {
  actOnAlert,
  adjustmentsView,
  DISPOSITIONS,
  queryAlerts,
  SCOPES,
  showAlert,
  STATUSES,
  suppressionsView,
  type ActRequest,
  type AdjustmentView,
  type AlertAdjustments,
  type AlertStatus,
  type AlertSummary,
  type AlertView,
  type Disposition,
  type Scope,
  type SuppressionView,
  type TriageState,
} from '../../triage';
import type { CliContext } from '../context';
import { printJson, printTable, printText } from '../output';
import { asOption, cliActor, employeeArg, isoTime, parseFactor, parseUntil, parseUntilOrDate, PSEUDONYM_HELP, triageDeps, usageError } from '../triage-context';
import { integer, parseTime } from '../options';

interface ListOptions {
  from?: number;
  to?: number;
  user?: string;
  severity?: Severity;
  status?: AlertStatus;
  department?: string;
  detector?: string;
  sort?: SortKey;
  asc?: boolean;
  limit: number;
  all?: boolean;
  json?: boolean;
}

/** Alerts read per page with --all (keyset pages: each costs the same however deep). */
const PAGE = 500;

function statusText(t: AlertView['triage']): string {
  if (t.status === 'resolved' && t.disposition) return `resolved (${t.disposition})`;
  if (t.status === 'snoozed' && t.snoozedUntil) return `snoozed until ${isoTime(t.snoozedUntil)}`;
  return t.status;
}

function printState(v: AlertView, suppression?: SuppressionView): void {
  const lines: Array<[string, string]> = [
    ['alert', v.alertId],
    ['status', statusText(v.triage)],
    ['assignee', v.triage.assignee ?? '-'],
    ['notes', String(v.triage.notes.length)],
  ];
  if (suppression) lines.push(['suppression', `${suppression.id} (${suppression.scope}${suppression.table ? ` ${suppression.table}` : ''}, until ${isoTime(suppression.until)})`]);
  for (const [k, value] of lines) printText(`${k.padEnd(12)}${value}\n`);
}

function historyLine(a: TriageState['history'][number]): string {
  const parts: string[] = [isoTime(a.at), a.actor, a.action];
  if (a.action === 'assign') parts.push(`to ${a.assignee}`);
  if (a.disposition) parts.push(a.disposition);
  if (a.action === 'snooze') parts.push(`until ${isoTime(a.snoozeUntil)}`);
  if (a.suppressionId) parts.push(`suppression ${a.suppressionId}`);
  if (a.note && a.action !== 'note') parts.push(`note: ${a.note}`);
  if (a.action === 'note') parts.push(a.note);
  return parts.join('  ');
}

function printAlert(a: AlertView & { history: TriageState['history']; adjustments?: AlertAdjustments }): void {
  const out: string[] = [];
  const who = [a.department, a.role].filter((x) => x).join(', ');
  out.push(`ALERT ${a.alertId} (revision ${a.revision})`);
  out.push(`  severity     ${a.severity}, score ${a.score}`);
  out.push(`  employee     ${a.user}${who ? ` (${who})` : ''}`);
  out.push(`  window       ${isoTime(a.windowStart)} to ${isoTime(a.windowEnd)}`);
  out.push(`  fired        ${isoTime(a.firedAt)} (last event ${isoTime(a.lastEventAt)})`);
  const usual = a.baselineBytes > 0 ? `; usual ${formatBytes(a.baselineBytes)}${a.ratio > 0 ? ` (${formatMultiple(a.ratio)})` : ''}` : '';
  const peers = a.peerBytes > 0 ? `; peers (${a.peerGroup}) ${formatBytes(a.peerBytes)}` : '';
  out.push(`  volume       ${formatBytes(a.observedBytes)} in ${a.eventCount} events, ${a.observedRows} rows${usual}${peers}`);
  out.push(`  detectors    ${a.detectors.join(', ')}`);
  out.push('', 'EXPLANATION', `  ${a.explanation}`);
  out.push('', 'FINDINGS');
  for (const f of a.findings) out.push(`  ${f.detector}: ${f.clause}`);
  const e = a.evidence;
  out.push('', 'EVIDENCE');
  out.push(`  events       ${e.events} (${e.failedEvents} failed), ${isoTime(Date.parse(e.firstEventAt))} to ${isoTime(Date.parse(e.lastEventAt))}`);
  out.push(`  sensitive    ${formatBytes(e.sensitiveBytes)}`);
  for (const t of e.topTables) out.push(`  table        ${t.table} (${t.sensitivity}) ${formatBytes(t.bytes)}, ${formatPercent(t.share)}, ${t.events} events, ${t.rows} rows`);
  out.push(`  sessions     ${e.sessions.count}${e.sessions.top.length ? `: ${e.sessions.top.map((s) => `${s.id} ${formatBytes(s.bytes)}`).join(', ')}` : ''}`);
  if (e.clientIps.length) out.push(`  client IPs   ${e.clientIps.map((c) => `${c.ip} ${formatBytes(c.bytes)}`).join(', ')}`);
  if (e.apps.length) out.push(`  apps         ${e.apps.map((c) => `${c.app} ${formatBytes(c.bytes)}`).join(', ')}`);
  if (e.allowlisted.events > 0) out.push(`  allowlisted  ${formatBytes(e.allowlisted.bytes)} in ${e.allowlisted.events} events (${e.allowlisted.reasons.join('; ')})`);
  const t = a.triage;
  out.push('', 'TRIAGE');
  out.push(`  status       ${statusText(t)}`);
  out.push(`  assignee     ${t.assignee ?? '-'}`);
  out.push(`  acknowledged ${isoTime(t.acknowledgedAt)}`);
  out.push(`  resolved     ${isoTime(t.resolvedAt)}`);
  out.push('', `NOTES (${t.notes.length})`);
  for (const n of t.notes) out.push(`  ${isoTime(n.at)}  ${n.actor}: ${n.note}`);
  out.push('', `HISTORY (${a.history.length})`);
  for (const h of a.history) out.push(`  ${historyLine(h)}`);
  if (a.adjustments && a.adjustments.made.length + a.adjustments.applied.length > 0) {
    out.push('', 'EXPECTATION ADJUSTMENTS');
    for (const x of a.adjustments.made) out.push(`  made by it   ${adjustmentLine(x)}`);
    for (const x of a.adjustments.applied) out.push(`  applied      ${adjustmentLine(x)}`);
  }
  printText(`${out.join('\n')}\n`);
}

interface ActOptions {
  as?: string;
  json?: boolean;
}

/** Applies an action and prints the new state. */
async function act(ctx: CliContext, alertId: string, req: ActRequest, opts: ActOptions): Promise<void> {
  const deps = triageDeps(ctx);
  const after = await actOnAlert(deps, cliActor(opts.as), alertId, req);
  // The service does not return the suppression it made with a verdict: find it (newest of this alert).
  const suppression = req.suppress ? (await suppressionsView(deps)).find((s) => s.alertId === alertId && s.revokedAt === null) : undefined;
  const adjustment = req.adjust ? (await adjustmentsView(deps)).find((a) => a.alertId === alertId && a.revokedAt === null) : undefined;
  if (opts.json) return printJson({ ...after, ...(suppression ? { suppression } : {}), ...(adjustment ? { adjustment } : {}) });
  printState(after, suppression);
  if (adjustment) printText(`${'adjustment'.padEnd(12)}${adjustmentLine(adjustment)}\n`);
}

/** One adjustment on a line: "adj_... 3x for Sales/sales_ops (expected_for_role) 2026-10-01 to 2026-12-20 by alice: reason". */
export function adjustmentLine(a: AdjustmentView): string {
  const state = a.revokedAt !== null ? `revoked ${isoTime(a.revokedAt)} by ${a.revokedBy}` : a.active ? 'active' : 'ended';
  return `${a.id} ${a.factor}x for ${a.subject} (${a.kind}) ${dateText(a.from)} until ${dateText(a.until)} by ${a.createdBy}, ${state}: ${a.reason}`;
}

const dateText = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const jsonOption = () => new Option('--json', 'print the alert with its new triage state as JSON');

export function alertsCommand(ctx: CliContext): Command {
  const alerts = new Command('alerts')
    .description('the alerts the detector raised (one per employee and day, latest revision) and their triage')
    .addHelpText(
      'after',
      `
Triage goes straight to ClickHouse through the same rules as the HTTP API: an alert is open, then
acknowledged, snoozed or resolved with a disposition; every action is kept (nothing is overwritten)
and written to the audit trail as cli:<login name>, or the name given with --as.

${PSEUDONYM_HELP}

Examples:
  insider alerts list --status open --severity high
  insider alerts show al_20261001_3fa9c2d1e0
  insider alerts ack al_20261001_3fa9c2d1e0
  insider alerts resolve al_20261001_3fa9c2d1e0 --disposition expected_activity \\
      --suppress user_table --table crm.customers --until 30d --reason "quarterly export"`,
    );

  alerts
    .command('list')
    .description('list current alerts with their triage status, newest window first, then by score')
    .addOption(new Option('--from <time>', 'alerts whose window ends after this time (ISO-8601 with a zone)').argParser(parseTime))
    .addOption(new Option('--to <time>', 'alerts whose window starts before this time').argParser(parseTime))
    .option('--user <id>', 'only this employee or account (an id or a pseudonym)')
    .addOption(new Option('--severity <level>', 'this severity or worse').choices([...SEVERITIES]))
    .addOption(new Option('--status <status>', 'only alerts in this triage status').choices([...STATUSES]))
    .option('--department <name>', 'only employees of this department (as in the current directory)')
    .option('--detector <name>', 'only alerts where this detector fired (volumeSelf, volumePeers, exportRate, ceiling, sensitive, offHours, departing, slowDrip)')
    .addOption(new Option('--sort <key>', 'order: newest window first (window), severity, volume, ratio, fired or status (lifecycle order)').choices([...SORTS]).default('window'))
    .option('--asc', 'the other way round (oldest, mildest, smallest first; for status: resolved first)')
    .option('--limit <n>', 'at most this many (the total matching is said on stderr)', (v) => integer(v, 1), 100)
    .option('--all', 'every matching alert, however many (read page by page); --limit is ignored')
    .option('--json', 'one JSON array of the alerts with their numbers and triage state (summaries: the explanation, findings and evidence are in `alerts show`, which is audited)')
    .addHelpText(
      'after',
      `
${PSEUDONYM_HELP}

Examples:
  insider alerts list
  insider alerts list --status open --severity high --department Finance
  insider alerts list --status open --sort severity --limit 20
  insider alerts list --from 2026-10-01T00:00:00Z --all --json > alerts.json`,
    )
    .action(async (opts: ListOptions) => {
      const deps = triageDeps(ctx);
      const user = opts.user === undefined ? undefined : employeeArg(deps.pseudonyms, opts.user);
      // Filtered, sorted and counted in ClickHouse over every alert; --all follows the pages' cursors.
      const query = { from: opts.from, to: opts.to, user, status: opts.status, minSeverity: opts.severity, department: opts.department, detector: opts.detector, sort: opts.sort, dir: opts.asc ? ('asc' as const) : undefined };
      const found: AlertSummary[] = [];
      let total = 0;
      let cursor: string | undefined;
      do {
        const page = await queryAlerts(deps, { ...query, limit: opts.all ? PAGE : opts.limit, cursor });
        found.push(...page.items);
        total = page.total;
        cursor = page.nextCursor ?? undefined;
        if (opts.all && cursor) process.stderr.write(`\r${found.length} of ${total} alerts read`);
      } while (opts.all && cursor);
      if (opts.all && found.length > PAGE) process.stderr.write('\n');
      if (opts.json) {
        printJson(found);
        return;
      }
      printTable(
        found.map((a) => ({
          ALERT: a.alertId,
          SEVERITY: a.severity,
          SCORE: a.score,
          USER: a.user,
          STATUS: a.triage.status === 'resolved' && a.triage.disposition ? `resolved:${a.triage.disposition}` : a.triage.status,
          FIRED: isoTime(a.firedAt),
          VOLUME: formatBytes(a.observedBytes),
          RATIO: a.ratio > 0 ? formatMultiple(a.ratio) : '-',
          DETECTORS: a.detectors.join(','),
        })),
        ['ALERT', 'SEVERITY', 'SCORE', 'USER', 'STATUS', 'FIRED', 'VOLUME', 'RATIO', 'DETECTORS'],
      );
      if (found.length === 0) process.stderr.write('no alerts match\n');
      else if (total > found.length) process.stderr.write(`${found.length} of ${total} matching alerts shown (--limit, or --all for every one)\n`);
      else process.stderr.write(`${total} matching alert${total === 1 ? '' : 's'}\n`);
    });

  alerts
    .command('show')
    .description('one alert: explanation, findings, evidence, triage state, notes and history (recorded in the audit trail as alert.view)')
    .argument('<id>', 'the alert id (al_...)')
    .addOption(asOption())
    .option('--json', 'print the alert, its triage state and history as JSON')
    .addHelpText(
      'after',
      `
${PSEUDONYM_HELP}

Examples:
  insider alerts show al_20261001_3fa9c2d1e0
  insider alerts show al_20261001_3fa9c2d1e0 --json | jq .triage`,
    )
    .action(async (id: string, opts: ActOptions) => {
      const a = await showAlert(triageDeps(ctx), cliActor(opts.as), id);
      if (opts.json) return printJson(a);
      printAlert(a);
    });

  alerts
    .command('ack')
    .alias('acknowledge')
    .description('acknowledge an alert: someone is looking at it')
    .argument('<id>', 'the alert id')
    .option('--note <text>', 'a note to keep with the action')
    .addOption(asOption())
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  insider alerts ack al_20261001_3fa9c2d1e0\n  insider alerts ack al_20261001_3fa9c2d1e0 --note "looking into it" --as jane.doe')
    .action((id: string, opts: ActOptions & { note?: string }) => act(ctx, id, { action: 'acknowledge', note: opts.note }, opts));

  alerts
    .command('assign')
    .description('assign an alert to someone (again to reassign)')
    .argument('<id>', 'the alert id')
    .argument('<assignee>', 'who takes it: an active API user (insider users list), whatever the case')
    .option('--note <text>', 'a note to keep with the action')
    .addOption(asOption())
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  insider alerts assign al_20261001_3fa9c2d1e0 jane.doe')
    .action((id: string, assignee: string, opts: ActOptions & { note?: string }) => act(ctx, id, { action: 'assign', assignee, note: opts.note }, opts));

  alerts
    .command('note')
    .description('add a note to an alert (notes are kept, never edited)')
    .argument('<id>', 'the alert id')
    .argument('<text...>', 'the note (words are joined with spaces; quote it to keep spacing)')
    .addOption(asOption())
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  insider alerts note al_20261001_3fa9c2d1e0 "called the manager: planned migration"')
    .action((id: string, text: string[], opts: ActOptions) => act(ctx, id, { action: 'note', note: text.join(' ') }, opts));

  alerts
    .command('resolve')
    .description('resolve an alert with a disposition, optionally suppressing the pattern so that it does not alert again')
    .argument('<id>', 'the alert id')
    .addOption(new Option('--disposition <disposition>', 'the verdict').choices([...DISPOSITIONS]).makeOptionMandatory())
    .option('--note <text>', 'why (kept with the action)')
    .addOption(new Option('--suppress <scope>', 'also suppress: the employee (user), the employee on one table (user_table), or a service account').choices([...SCOPES]))
    .addOption(new Option('--expect <reason>', "also raise expectations for a while: expected for the role (the person's department and role) or project work (the person)").choices(['role', 'project']))
    .addOption(new Option('--until <time>', 'with --suppress or --expect: when it ends (a date 2026-12-20 = that UTC midnight, ISO-8601 with a zone, or 90m, 8h, 30d, 2w from now)').argParser(parseUntilOrDate))
    .addOption(new Option('--factor <x>', `with --expect: multiply the expected volume by this (${MIN_FACTOR}-${MAX_FACTOR}; default: enough to cover the alerted volume)`).argParser(parseFactor))
    .option('--reason <text>', 'with --suppress or --expect: why the pattern is expected')
    .option('--table <db.table>', 'with --suppress user_table: the table, as database.table')
    .addOption(asOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
A suppression comes only with false_positive or expected_activity; the detector then keeps the
covered activity out of the volumes it judges until the suppression ends or is revoked
(see \`insider suppressions\`).

--expect (also only with false_positive or expected_activity) keeps the activity judged, but
against an expected volume multiplied by --factor, from the alert's day until --until (whole UTC
days, at most 90 days from today; --expect project needs --until, --expect role defaults to 90
days). The factor is at most ${MAX_FACTOR}x: far above the raised expectation still alerts, and
policy limits (sensitive tables, daily ceiling) are not lifted. Audited as adjustment.create;
see and revoke with \`insider adjustments\`.

Examples:
  insider alerts resolve al_20261001_3fa9c2d1e0 --disposition true_positive --note "escalated to HR"
  insider alerts resolve al_20261001_3fa9c2d1e0 --disposition false_positive \\
      --suppress user_table --table crm.customers --until 2026-12-31T00:00:00Z --reason "month-end reporting"
  insider alerts resolve al_20261001_3fa9c2d1e0 --disposition false_positive \\
      --expect project --until 2026-12-20 --reason "data migration project"
  insider alerts resolve al_20261001_3fa9c2d1e0 --disposition false_positive --expect role --factor 3`,
    )
    .action(async function (this: Command, id: string, opts: ActOptions & { disposition: Disposition; note?: string; suppress?: Scope; expect?: 'role' | 'project'; until?: number; factor?: number; reason?: string; table?: string }) {
      let suppress: ActRequest['suppress'];
      let adjust: ActRequest['adjust'];
      if (opts.suppress !== undefined) {
        if (opts.until === undefined) usageError(this, '--suppress needs --until (when the suppression ends)');
        if (opts.reason === undefined) usageError(this, '--suppress needs --reason');
        suppress = { scope: opts.suppress, until: opts.until, reason: opts.reason, table: opts.table };
      } else if (opts.table !== undefined || (opts.expect === undefined && (opts.until !== undefined || opts.reason !== undefined))) {
        usageError(this, '--until and --reason go with --suppress or --expect, --table with --suppress');
      }
      if (opts.expect !== undefined) {
        if (opts.expect === 'project' && opts.until === undefined) usageError(this, '--expect project needs --until (when the project ends)');
        adjust = { kind: opts.expect === 'role' ? 'expected_for_role' : 'project_work', until: opts.until, factor: opts.factor, reason: opts.reason };
      } else if (opts.factor !== undefined) {
        usageError(this, '--factor goes with --expect');
      }
      await act(ctx, id, { action: 'resolve', disposition: opts.disposition, note: opts.note, suppress, adjust }, opts);
    });

  alerts
    .command('snooze')
    .description('snooze an alert until a time; it then returns by itself to acknowledged (or open)')
    .argument('<id>', 'the alert id')
    .addOption(new Option('--until <time>', 'until when (ISO-8601 with a zone, or 90m, 8h, 30d, 2w from now)').argParser(parseUntil).makeOptionMandatory())
    .option('--note <text>', 'why (kept with the action)')
    .addOption(asOption())
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  insider alerts snooze al_20261001_3fa9c2d1e0 --until 8h --note "waiting for the manager"\n  insider alerts snooze al_20261001_3fa9c2d1e0 --until 2026-10-05T09:00:00+02:00')
    .action((id: string, opts: ActOptions & { until: number; note?: string }) => act(ctx, id, { action: 'snooze', snoozeUntil: opts.until, note: opts.note }, opts));

  alerts
    .command('reopen')
    .description('reopen a resolved or snoozed alert (its disposition is cleared; a suppression made with it stays until revoked)')
    .argument('<id>', 'the alert id')
    .option('--note <text>', 'why (kept with the action)')
    .addOption(asOption())
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  insider alerts reopen al_20261001_3fa9c2d1e0 --note "same pattern again on Monday"')
    .action((id: string, opts: ActOptions & { note?: string }) => act(ctx, id, { action: 'reopen', note: opts.note }, opts));

  return alerts;
}
