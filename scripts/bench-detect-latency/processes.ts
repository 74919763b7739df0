// The product's processes (insider ingest and insider detect, started from dist/ and watched through their
// logs), and what is read of them and of the services: CPU time, consumer lag.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Admin } from 'kafkajs';
import { CLK_TCK, READY_TIMEOUT_MS, root, say } from './settings';

export interface Child {
  name: string;
  proc: ChildProcess;
  logFile: string;
  errors: number;
  /** Wall time of the first log line of each alert id (the detector logs an alert once it is stored). */
  alertLogged: Map<string, number>;
  lastLines: string[];
  exited: boolean;
  ready: Promise<void>;
  stop(): Promise<void>;
}

export function startChild(name: string, command: string, env: NodeJS.ProcessEnv, readyMsg: string, logFile: string, nodeArgs: string[] = []): Child {
  const proc = spawn(process.execPath, [...nodeArgs, path.join(root, 'bin', 'insider.js'), command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = fs.createWriteStream(logFile);
  let markReady: () => void = () => {};
  let fail: (e: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    fail = reject;
  });
  ready.catch(() => {});
  const child: Child = {
    name,
    proc,
    logFile,
    errors: 0,
    alertLogged: new Map(),
    lastLines: [],
    exited: false,
    ready,
    async stop() {
      if (!child.exited) {
        const exit = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => {
          say(`  ${name} did not stop within 20 s of SIGTERM: SIGKILL`);
          proc.kill('SIGKILL');
        }, 20_000);
        await exit;
        clearTimeout(timer);
      }
      await new Promise((resolve) => out.end(resolve));
    },
  };
  proc.stdout?.pipe(out, { end: false });
  const lines = readline.createInterface({ input: proc.stderr!, crlfDelay: Infinity });
  lines.on('line', (line) => {
    out.write(`${line}\n`);
    child.lastLines.push(line);
    if (child.lastLines.length > 20) child.lastLines.shift();
    if (!line.startsWith('{')) return;
    try {
      const rec = JSON.parse(line) as { msg?: string; level?: number; alert?: string; time?: string };
      if ((rec.level ?? 0) >= 50) child.errors++;
      if (rec.msg === readyMsg) markReady();
      if (typeof rec.alert === 'string' && rec.time && !child.alertLogged.has(rec.alert)) child.alertLogged.set(rec.alert, Date.parse(rec.time));
    } catch {
      // not a log record
    }
  });
  proc.once('exit', (code, signal) => {
    child.exited = true;
    fail(new Error(`${name} exited (${signal ?? `code ${code}`}) before it was ready; its log: ${logFile}\n${child.lastLines.slice(-5).join('\n')}`));
  });
  return child;
}

export async function waitReady(child: Child): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${child.name} not ready within ${READY_TIMEOUT_MS / 1000} s; its log: ${child.logFile}`)), READY_TIMEOUT_MS);
  });
  try {
    await Promise.race([child.ready, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return newest;
}

/** CPU seconds (user + system) a process has used, or NaN when it cannot be read. */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** CPU seconds the whole machine spent busy (all cores; not idle, not waiting for I/O). */
export function machineCpuSeconds(): { busy: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const [user, nice, system, , , irq, softirq] = line.trim().split(/\s+/).slice(1).map(Number);
  return { busy: (user + nice + system + irq + softirq) / CLK_TCK };
}

export function servicePid(stateDir: string, name: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(stateDir, 'run', `${name}.pid`), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function groupLag(admin: Admin, topic: string, groupId: string, high: Map<number, bigint>): Promise<number> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  let lag = 0n;
  for (const [partition, h] of high) {
    const c = committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
    if (c !== '-1' && BigInt(c) < h) lag += h - BigInt(c);
  }
  return Number(lag);
}
