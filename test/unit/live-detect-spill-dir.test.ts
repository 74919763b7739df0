// The live detector's folder for the carry's pool days (src/live-detect/spill-dir.ts): its own, removed
// when it stops; a folder left by a killed detector is removed by the next one, another running
// detector's is not; and when no folder can be made the carry stays in memory (undefined, a warning).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/log';
import { openSpillDir } from '../../src/live-detect/spill-dir';

describe("the live detector's folder for the pool days", () => {
  const log = createLogger({ level: 'silent' });
  let parent: string;
  beforeEach(() => (parent = fs.mkdtempSync(path.join(os.tmpdir(), 'spill-parent-'))));
  afterEach(() => fs.rmSync(parent, { recursive: true, force: true }));

  it("is its own, removed on remove(), and takes away what killed detectors left but not a running one's", async () => {
    // A process that has exited: its id is free (not reused this soon).
    const child = spawn(process.execPath, ['-e', '0']);
    const deadPid = await new Promise<number>((resolve) => child.on('exit', () => resolve(child.pid!)));
    const dead = path.join(parent, `insider-detect-${deadPid}-abc`);
    const sameIdAsUs = path.join(parent, `insider-detect-${process.pid}-old`);
    const running = path.join(parent, `insider-detect-${process.ppid}-xyz`);
    const unrelated = path.join(parent, 'insider-detected-notes');
    for (const d of [dead, sameIdAsUs, running, unrelated]) fs.mkdirSync(d);
    fs.writeFileSync(path.join(dead, 'pool-day-1.f64'), Buffer.alloc(144));
    const spill = openSpillDir(log, parent)!;
    expect(path.dirname(spill.dir)).toBe(parent);
    expect(path.basename(spill.dir)).toMatch(new RegExp(`^insider-detect-${process.pid}-`));
    expect(fs.readdirSync(parent).sort()).toEqual([path.basename(running), path.basename(spill.dir), path.basename(unrelated)].sort());
    fs.writeFileSync(path.join(spill.dir, 'pool-day-1.f64'), Buffer.alloc(144));
    // A second detector in the same process leaves the first one's folder alone.
    const second = openSpillDir(log, parent)!;
    expect(fs.existsSync(path.join(spill.dir, 'pool-day-1.f64'))).toBe(true);
    second.remove();
    spill.remove();
    expect(fs.existsSync(spill.dir)).toBe(false);
  });

  it("still opens when a leftover cannot be removed (another local user's folder in a shared /tmp), with a warning", async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    const deadPid = await new Promise<number>((resolve) => child.on('exit', () => resolve(child.pid!)));
    // Planted by another user: the sticky /tmp lets no one else remove it (EPERM; as root here, told so by a spy).
    const planted = path.join(parent, `insider-detect-${deadPid}-planted`);
    const dead = path.join(parent, `insider-detect-${deadPid}-zzz`);
    for (const d of [planted, dead]) fs.mkdirSync(d);
    const rmSync = fs.rmSync;
    const spy = jest.spyOn(fs, 'rmSync').mockImplementation((p, o) => {
      if (p === planted) throw Object.assign(new Error(`EPERM: operation not permitted, rmdir '${planted}'`), { code: 'EPERM' });
      rmSync(p, o);
    });
    const lines: string[] = [];
    const warn = createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(line) } });
    try {
      const spill = openSpillDir(warn, parent);
      expect(spill).toBeDefined();
      expect(fs.existsSync(dead)).toBe(false);
      expect(lines.join('')).toMatch(/could not remove/);
      spill!.remove();
    } finally {
      spy.mockRestore();
    }
  });

  it('is none (the carry stays in memory) where no folder can be made, with a warning', () => {
    const lines: string[] = [];
    const warn = createLogger({ level: 'warn', destination: { write: (line: string) => void lines.push(line) } });
    expect(openSpillDir(warn, path.join(parent, 'missing'))).toBeUndefined();
    expect(lines.join('')).toMatch(/cannot keep the pool days on disk; holding them in memory/);
  });
});
