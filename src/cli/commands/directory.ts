import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import {
  currentDirectory,
  directoryAsOf,
  directoryHistory,
  directoryVersions,
  loadDirectoryFile,
  storeDirectory,
  type DirectoryEntry,
  type ParsedDirectory,
} from '../../directory';
import { DirectoryError } from '../../errors';
import type { CliContext } from '../context';
import { printJson, printTable, progress } from '../output';

const COLUMNS = ['id', 'name', 'department', 'role', 'manager', 'location', 'timezone', 'hire_date', 'notice_date', 'end_date', 'account_type'];

export function directoryCommand(ctx: CliContext): Command {
  const cmd = new Command('directory').description('the employee directory: load a new version, show the current one or an earlier one');

  cmd
    .command('load')
    .description('validate FILE (CSV with a header line, or a JSON array) and store it as the new current directory')
    .argument('<file>', 'directory file: .csv with the header id,name,department,role,manager,location,timezone,hire_date,notice_date,end_date,account_type, or .json')
    .option('--force', 'store a new version even when the file has the same entries as the current version')
    .option('--check', 'validate only; store nothing')
    .addHelpText(
      'after',
      `
Required columns: id, department, role, account_type (human or service). Dates are YYYY-MM-DD or empty.
Every problem is printed with its line (directory.csv:17: hire_date "2024-13-01" is not a date ...);
if there is any, nothing is stored. A manager that is not in the file is only a warning.

Each load becomes a new version; earlier versions are kept (see: insider directory versions, history).
A file whose entries equal the current version's (same checksum, whatever the row order) is recognised
and not stored again, unless --force.

Examples:
  insider directory load hr-export.csv
  insider directory load --check hr-export.csv`,
    )
    .action(async (file: string, opts: { force?: boolean; check?: boolean }) => {
      const parsed = readFile(file);
      for (const w of parsed.warnings) progress(`warning: ${w}`);
      if (parsed.errors.length > 0) {
        for (const e of parsed.errors) progress(e);
        throw new DirectoryError(`${file}: ${parsed.errors.length} problem${parsed.errors.length === 1 ? '' : 's'}; nothing was loaded`, parsed.errors, { file });
      }
      if (opts.check) {
        progress(`directory: ${file} is valid: ${parsed.entries.length} entries (checksum ${parsed.checksum.slice(0, 12)})`);
        return;
      }
      const ch = ctx.clickhouse();
      const before = await currentDirectory(ch);
      const result = await storeDirectory(ch, parsed.entries, { source: path.resolve(file), checksum: parsed.checksum, force: opts.force });
      if (!result.stored) {
        progress(`directory: unchanged, same entries as version ${result.version.version} loaded ${result.version.loadedAt.toISOString()}; nothing stored (--force stores it anyway)`);
        return;
      }
      progress(
        `directory: ${parsed.entries.length} entries stored as version ${result.version.version} (${result.version.loadedAt.toISOString()}) in ${ch.database}; ${describeChanges(before.entries, parsed.entries)}`,
      );
    });

  cmd
    .command('show')
    .description('print the current directory, or the one in force at --as-of')
    .option('--as-of <time>', 'ISO-8601 time: the latest version loaded at or before it', parseTime)
    .option('--json', 'print JSON (version and entries)')
    .action(async (opts: { asOf?: number; json?: boolean }) => {
      const ch = ctx.clickhouse();
      const snap = opts.asOf === undefined ? await currentDirectory(ch) : await directoryAsOf(ch, opts.asOf);
      if (opts.json) return printJson(snap);
      if (!snap.version) {
        progress(opts.asOf === undefined ? 'directory: none loaded yet (insider directory load FILE)' : 'directory: none had been loaded at that time');
        return;
      }
      progress(`directory version ${snap.version.version}, loaded ${snap.version.loadedAt.toISOString()} from ${snap.version.source}: ${snap.entries.length} entries`);
      printTable(snap.entries as unknown as Array<Record<string, unknown>>, COLUMNS);
    });

  cmd
    .command('versions')
    .description('list the loaded versions, oldest first')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await directoryVersions(ctx.clickhouse());
      if (opts.json) return printJson(list);
      printTable(
        list.map((v) => ({ version: v.version, loaded_at: v.loadedAt.toISOString(), entries: v.entries, checksum: v.checksum.slice(0, 12), source: v.source })),
        ['version', 'loaded_at', 'entries', 'checksum', 'source'],
      );
    });

  cmd
    .command('history')
    .description('one person across versions: department, role, manager and dates in each, with when it was loaded')
    .argument('<id>', 'the person\'s id (as in events\' user field)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const rows = await directoryHistory(ctx.clickhouse(), id);
      if (opts.json) return printJson(rows);
      printTable(
        rows.map((r) => ({ version: r.version.version, loaded_at: r.version.loadedAt.toISOString(), ...r.entry })),
        ['version', 'loaded_at', 'department', 'role', 'manager', 'notice_date', 'end_date'],
      );
    });

  return cmd;
}

function readFile(file: string): ParsedDirectory {
  try {
    return loadDirectoryFile(file);
  } catch (err) {
    throw new DirectoryError(`cannot read ${file}: ${(err as Error).message}`, [], { file });
  }
}

function describeChanges(before: DirectoryEntry[], after: DirectoryEntry[]): string {
  if (before.length === 0) return 'first version';
  const old = new Map(before.map((e) => [e.id, e]));
  const now = new Set(after.map((e) => e.id));
  const added = after.filter((e) => !old.has(e.id)).length;
  const removed = before.filter((e) => !now.has(e.id)).length;
  const changed = after.filter((e) => {
    const o = old.get(e.id);
    return o !== undefined && COLUMNS.some((c) => o[c as keyof DirectoryEntry] !== e[c as keyof DirectoryEntry]);
  }).length;
  return `against the previous version: ${added} added, ${removed} removed, ${changed} changed`;
}

function parseTime(value: string): number {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || !Number.isFinite(ms)) throw new InvalidArgumentError('expected an ISO-8601 time, e.g. 2026-01-15T00:00:00Z.');
  return ms;
}
