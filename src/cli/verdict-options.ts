// The options that come with a resolution, for `alerts resolve` and `cases resolve` alike: a suppression
// (--suppress, --until, --reason, --table) or an expectation adjustment (--expect, --until, --factor,
// --reason), checked the same way, so both commands accept and refuse the same things.
import { Command, Option } from 'commander';
import { MAX_FACTOR, MIN_FACTOR } from '../detect';
import { SCOPES, type ActRequest, type Scope } from '../triage';
import { parseFactor, parseUntilOrDate, usageError } from './triage-context';

export interface VerdictOptions {
  suppress?: Scope;
  expect?: 'role' | 'project';
  until?: number;
  factor?: number;
  reason?: string;
  table?: string;
}

/** What the options do, for a resolve command's --help. */
export const VERDICT_HELP = `A suppression comes only with false_positive or expected_activity; the detector then keeps the
covered activity out of the volumes it judges until the suppression ends or is revoked
(see \`insider suppressions\`).

--expect (also only with false_positive or expected_activity) keeps the activity judged, but
against an expected volume multiplied by --factor, from the alert's day until --until (whole UTC
days, at most 90 days from today; --expect project needs --until, --expect role defaults to 90
days). The factor is at most ${MAX_FACTOR}x: far above the raised expectation still alerts, and
policy limits (sensitive tables, daily ceiling) are not lifted. Audited as adjustment.create;
see and revoke with \`insider adjustments\`.`;

/** Adds the suppression and expectation options to a resolve command. */
export function addVerdictOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--suppress <scope>', 'also suppress: the employee (user), the employee on one table (user_table), or a service account').choices([...SCOPES]))
    .addOption(new Option('--expect <reason>', "also raise expectations for a while: expected for the role (the person's department and role) or project work (the person)").choices(['role', 'project']))
    .addOption(new Option('--until <time>', 'with --suppress or --expect: when it ends (a date 2026-12-20 = that UTC midnight, ISO-8601 with a zone, or 90m, 8h, 30d, 2w from now)').argParser(parseUntilOrDate))
    .addOption(new Option('--factor <x>', `with --expect: multiply the expected volume by this (${MIN_FACTOR}-${MAX_FACTOR}; default: enough to cover the alerted volume)`).argParser(parseFactor))
    .option('--reason <text>', 'with --suppress or --expect: why the pattern is expected')
    .option('--table <db.table>', 'with --suppress user_table: the table, as database.table');
}

/** The suppression and adjustment the options ask for; a usage error (exit 2) for a combination that makes no sense. */
export function verdictOf(cmd: Command, opts: VerdictOptions): Pick<ActRequest, 'suppress' | 'adjust'> {
  let suppress: ActRequest['suppress'];
  let adjust: ActRequest['adjust'];
  if (opts.suppress !== undefined) {
    if (opts.until === undefined) usageError(cmd, '--suppress needs --until (when the suppression ends)');
    if (opts.reason === undefined) usageError(cmd, '--suppress needs --reason');
    suppress = { scope: opts.suppress, until: opts.until, reason: opts.reason, table: opts.table };
  } else if (opts.table !== undefined || (opts.expect === undefined && (opts.until !== undefined || opts.reason !== undefined))) {
    usageError(cmd, '--until and --reason go with --suppress or --expect, --table with --suppress');
  }
  if (opts.expect !== undefined) {
    if (opts.expect === 'project' && opts.until === undefined) usageError(cmd, '--expect project needs --until (when the project ends)');
    adjust = { kind: opts.expect === 'role' ? 'expected_for_role' : 'project_work', until: opts.until, factor: opts.factor, reason: opts.reason };
  } else if (opts.factor !== undefined) {
    usageError(cmd, '--factor goes with --expect');
  }
  return { suppress, adjust };
}
