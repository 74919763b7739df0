// Runs a command with its output (stdout and stderr) printed line by line, each line marked with a label:
// for the test scripts that run several commands at once (scripts/test-integration-lanes.ts,
// scripts/run-together.ts), whose output would otherwise interleave unreadably.
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import readline from 'node:readline';
import { PACKAGE_ROOT } from '../src/package-root';

const running = new Set<ChildProcess>();
// Stopped with the caller: a Ctrl-C or a CI timeout must not leave test runs going on their own, nor what
// they started (ingesters, detectors): each command runs in a process group of its own, signalled whole.
// The exit code is the shell's for a death by that signal (130, 143).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of running) {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // The group is gone already.
      }
    }
    process.exit(128 + os.constants.signals[signal]);
  });
}

/** Resolves to the command's exit code (1 when it could not start or was killed by a signal). */
export function runLabelled(label: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const child = spawn(command, args, { cwd: PACKAGE_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(child);
  child.on('close', () => running.delete(child));
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${label}] ${line}\n`));
  }
  return new Promise((resolve) => {
    child.on('error', (err) => {
      process.stdout.write(`[${label}] could not start ${command}: ${err.message}\n`);
      resolve(1);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
