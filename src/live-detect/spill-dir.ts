// The folder where the live detector's carry waits between two day builds (src/detect/history-carry.ts:
// the pool's days as judged, about 4.2 KB per employee, read back once a day). One per process, removed
// when it stops; one left by a process that was killed is removed by the next one to start beside it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CarrySpill } from '../detect';
import type { Logger } from '../log';

const PREFIX = 'insider-detect-';
/** Folders this process made and still uses (two detectors in one process: tests). */
const ours = new Set<string>();

export interface SpillDir extends CarrySpill {
  remove(): void;
}

/** True when no process `pid` runs (kill 0 probes; EPERM means one runs under another user). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Folders of this prefix whose process is gone, or that name this process's id but are not its own (a container restarted as the same pid). */
function removeLeftovers(parent: string, log: Logger): void {
  for (const name of fs.readdirSync(parent)) {
    const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if ((pid !== process.pid && !gone(pid)) || ours.has(path.join(parent, name))) continue;
    // One that cannot be removed (another user's, in a shared /tmp) is left: it must not cost this detector its folder.
    try {
      fs.rmSync(path.join(parent, name), { recursive: true, force: true });
    } catch (err) {
      log.warn({ err: (err as Error).message, dir: path.join(parent, name) }, 'could not remove a folder of pool days a stopped detector left on disk');
      continue;
    }
    log.info({ dir: path.join(parent, name) }, 'removed the pool days a stopped detector left on disk');
  }
}

/** A new folder under `parent` (the system's temporary folder), or undefined (logged) when none can be made: the carry then stays in memory. */
export function openSpillDir(log: Logger, parent = os.tmpdir()): SpillDir | undefined {
  let dir: string;
  try {
    removeLeftovers(parent, log);
    dir = fs.mkdtempSync(path.join(parent, `${PREFIX}${process.pid}-`));
    ours.add(dir);
  } catch (err) {
    log.warn({ err: (err as Error).message, parent }, 'cannot keep the pool days on disk; holding them in memory (about 4 KB per employee more)');
    return undefined;
  }
  return {
    dir,
    onError(err, what) {
      log.warn({ err: err.message, dir }, what === 'write' ? 'could not write the pool days to disk; holding them in memory' : 'could not read a pool day back from disk; judging it again');
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
      ours.delete(dir);
    },
  };
}
