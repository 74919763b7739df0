// What the triage commands (alerts, suppressions, users) share: the operator as the audit trail names
// them, the triage service's dependencies, pseudonyms as the API would show them, and option parsers.
import crypto from 'node:crypto';
import os from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Config } from '../config';
import { createPseudonyms, PSEUDONYM, type Actor, type Pseudonyms, type SuppressionView, type TriageDeps } from '../triage';
import type { CliContext } from './context';
import { parseTime } from './options';

/** How employees appear in the CLI; shown in the help of the commands that print them. */
export const PSEUDONYM_HELP = `Employees appear as the API shows them: as pseudonyms (emp-<10 hex>) when api.pseudonymize is on
and INSIDER_PSEUDONYM_KEY is set. With pseudonymisation off (INSIDER_PSEUDONYMIZE=false), or on
but without a key, they appear by their ids (a note on stderr says why): the CLI works with the
database credentials, which show the ids anyway. --user takes an id or a pseudonym.`;

const ACTOR_NAME = /^[A-Za-z0-9._@:-]{1,128}$/;

function actorName(value: string): string {
  if (!ACTOR_NAME.test(value)) throw new InvalidArgumentError('expected 1-128 letters, digits, or . _ @ : -');
  return value;
}

/** `--as NAME`: who the audit trail records instead of cli:<login name>. */
export function asOption(): Option {
  return new Option('--as <name>', 'record this name in the audit trail instead of cli:<login name>').argParser(actorName);
}

function loginName(): string {
  try {
    return os.userInfo().username;
  } catch {
    // A uid without a passwd entry (some containers).
    return process.env.USER ?? process.env.LOGNAME ?? `uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

/** The CLI operator: an admin (they hold the database credentials), named for the audit trail. */
export function cliActor(as?: string): Actor {
  return { name: as ?? `cli:${loginName()}`, role: 'admin', sourceIp: 'cli', requestId: crypto.randomUUID() };
}

let keyNoticeShown = false;

/**
 * The pseudonyms the API would show. Pseudonymisation on but no key: ids, said once on stderr (the API
 * refuses to start that way; the CLI's user can read the ids in the database anyway). A key that is set
 * but too short is a configuration error.
 */
export function cliPseudonyms(config: Readonly<Config>): Pseudonyms {
  const { pseudonymize, pseudonymKey } = config.api;
  if (pseudonymize && (pseudonymKey === undefined || pseudonymKey === '')) {
    if (!keyNoticeShown) {
      process.stderr.write('note: employees are shown by id: api.pseudonymize is on but INSIDER_PSEUDONYM_KEY is not set (set it to see the pseudonyms the API shows)\n');
      keyNoticeShown = true;
    }
    return createPseudonyms({ enabled: false, key: undefined });
  }
  return createPseudonyms({ enabled: pseudonymize, key: pseudonymKey });
}

/** The triage service's dependencies; `employees: false` for commands that never show an employee. */
export function triageDeps(ctx: CliContext, opts: { employees: boolean } = { employees: true }): TriageDeps {
  const pseudonyms = opts.employees ? cliPseudonyms(ctx.config()) : createPseudonyms({ enabled: false, key: undefined });
  return { ch: ctx.clickhouse(), pseudonyms };
}

/** What the service should be given for an employee typed as an id or a pseudonym. */
export function employeeArg(p: Pseudonyms, value: string): string {
  return p.enabled && !PSEUDONYM.test(value) ? p.of(value) : value;
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** An ISO-8601 time with a zone, or a duration from now: 90m, 8h, 30d, 2w. */
export function parseUntil(value: string): number {
  const rel = /^(\d{1,6})([mhdw])$/.exec(value.trim());
  if (rel) return Date.now() + Number(rel[1]) * UNIT_MS[rel[2]];
  try {
    return parseTime(value);
  } catch {
    throw new InvalidArgumentError('expected an ISO-8601 time with a zone (2026-10-01T00:00:00Z) or a duration from now (90m, 8h, 30d, 2w).');
  }
}

/** `--until` that also takes a date (2026-12-20: that day's UTC midnight), for what ends on a day. */
export function parseUntilOrDate(value: string): number {
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  if (!date) return parseUntil(value);
  const ms = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
  if (new Date(ms).toISOString().slice(0, 10) !== value.trim()) throw new InvalidArgumentError(`${value} is not a date`);
  return ms;
}

/** `--factor`: a number (the service checks the bounds and says them). */
export function parseFactor(value: string): number {
  const x = Number(value.trim().replace(/x$/i, ''));
  if (value.trim() === '' || !Number.isFinite(x)) throw new InvalidArgumentError('expected a number such as 3 or 2.5');
  return x;
}

export function isoTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms <= 0) return '-';
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A usage error (exit code 2), reported like commander's own. */
export function usageError(cmd: Command, message: string): never {
  cmd.error(`error: ${message}`, { exitCode: 2, code: 'insider.usage' });
}

export function suppressionState(s: SuppressionView): string {
  return s.revokedAt !== null ? 'revoked' : s.active ? 'active' : 'expired';
}
