// A background process owned by the project: started detached with its output in a log file, tracked
// by a pid file, recognised by its command line (so a recycled pid is never mistaken for ours), and
// stopped with its whole process group.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ServiceError } from '../errors';

export interface ManagedProcess {
  pidFile: string;
  logFile: string;
  /** A fragment of /proc/<pid>/cmdline that identifies the process as ours. */
  commandMatch: string;
}

export type PidState = { state: 'running'; pid: number } | { state: 'stopped' } | { state: 'stale'; pid: number };

export function readPidState(p: ManagedProcess): PidState {
  let text: string;
  try {
    text = fs.readFileSync(p.pidFile, 'utf8').trim();
  } catch {
    return { state: 'stopped' };
  }
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid <= 1) return { state: 'stale', pid: 0 };
  return isOurs(pid, p.commandMatch) ? { state: 'running', pid } : { state: 'stale', pid };
}

export function isOurs(pid: number, commandMatch: string): boolean {
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    const status = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // A zombie has exited already; it only waits for its parent to collect it.
    const zombie = / Z /.test(status.slice(status.lastIndexOf(')') + 1, status.lastIndexOf(')') + 4));
    return !zombie && cmdline.includes(commandMatch);
  } catch {
    return false;
  }
}

/** A running process of ours found by its command line alone (its pid file lost), if any. */
export function findOurs(commandMatch: string): number | undefined {
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && pid !== process.pid && isOurs(pid, commandMatch)) return pid;
  }
  return undefined;
}

export function removePidFile(p: ManagedProcess): void {
  fs.rmSync(p.pidFile, { force: true });
}

/** Starts the command detached (its own process group) and records its pid. */
export function startDetached(p: ManagedProcess, command: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): number {
  fs.mkdirSync(path.dirname(p.pidFile), { recursive: true });
  fs.mkdirSync(path.dirname(p.logFile), { recursive: true });
  const out = fs.openSync(p.logFile, 'a');
  fs.writeSync(out, `\n--- ${new Date().toISOString()} starting: ${command} ${args.join(' ')}\n`);
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  if (child.pid === undefined) throw new ServiceError('SERVICE_START_FAILED', `could not start ${command}`);
  child.unref();
  fs.writeFileSync(p.pidFile, `${child.pid}\n`);
  return child.pid;
}

/** SIGTERM to the process group, then SIGKILL after the grace period. Resolves when it is gone. */
export async function stopProcess(p: ManagedProcess, pid: number, graceMs: number): Promise<'stopped' | 'killed'> {
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isOurs(pid, p.commandMatch)) {
      removePidFile(p);
      return 'stopped';
    }
    await sleep(200);
  }
  signalGroup(pid, 'SIGKILL');
  while (isOurs(pid, p.commandMatch)) await sleep(100);
  removePidFile(p);
  return 'killed';
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** The last lines of a log file, for start failures. */
export function tail(file: string, lines = 40): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n').trimEnd();
  } catch {
    return `(no log at ${file})`;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Fills ${NAME} placeholders; a placeholder without a value is a bug in the caller. */
export function fillTemplate(text: string, values: Record<string, string | number>): string {
  return text.replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => {
    if (!(name in values)) throw new ServiceError('SERVICE_START_FAILED', `template placeholder \${${name}} has no value`);
    return String(values[name]);
  });
}
