// Runs a command with its output (stdout and stderr) printed line by line, each line marked with a label:
// for the test scripts that run several commands at once (scripts/test-integration-lanes.ts,
// scripts/run-together.ts), whose output would otherwise interleave unreadably.
import { spawn } from 'node:child_process';
import os from 'node:os';
import readline from 'node:readline';
import { PACKAGE_ROOT } from '../src/package-root';

/** The process groups of the commands started, kept after their leader exits while anything of them runs. */
const groups = new Set<number>();
// Stopped with the caller: a Ctrl-C, a closed terminal or a CI timeout must not leave test runs going on
// their own, nor what they started (ingesters, detectors): each command runs in a session of its own
// (detached), which the terminal's signals no longer reach, so every group is sent SIGTERM here (not
// SIGINT: a shell's background jobs ignore it). The exit code is the shell's for a death by that signal.
// A SIGKILL of this process reaches none of them; nor does a SIGHUP or SIGQUIT sent to tsx alone (it
// passes on SIGINT and SIGTERM only): the scripts run under `node --import tsx` (package.json).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) {
  process.once(signal, () => {
    for (const group of groups) {
      try {
        process.kill(-group, 'SIGTERM');
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
  const group = child.pid;
  if (group !== undefined) {
    groups.add(group);
    // Forgotten once empty: its number may be given to another group later.
    child.on('close', () => {
      try {
        process.kill(-group, 0);
      } catch {
        groups.delete(group);
      }
    });
  }
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
