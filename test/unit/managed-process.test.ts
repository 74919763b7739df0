import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fillTemplate, findOurs, readPidState } from '../../src/local-services/managed-process';
import { isLoopback, splitHostPort } from '../../src/local-services/service';

describe('managed process bookkeeping', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pid-'));
  const proc = { pidFile: path.join(dir, 'x.pid'), logFile: path.join(dir, 'x.log'), commandMatch: 'jest' };

  it('reads a missing pid file as stopped', () => {
    expect(readPidState(proc)).toEqual({ state: 'stopped' });
  });

  it('reads a pid that is not running as stale', () => {
    fs.writeFileSync(proc.pidFile, '999999999\n');
    expect(readPidState(proc)).toEqual({ state: 'stale', pid: 999999999 });
  });

  it('reads a running pid with another command line as stale (pid reuse)', () => {
    fs.writeFileSync(proc.pidFile, `${process.pid}\n`);
    expect(readPidState({ ...proc, commandMatch: 'certainly-not-this-process' })).toEqual({ state: 'stale', pid: process.pid });
    expect(readPidState(proc)).toEqual({ state: 'running', pid: process.pid });
  });

  it('finds a process of ours by its command line when its pid file is gone, and none once it exited', async () => {
    const marker = path.join(dir, 'config-of-a-server.xml');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', marker], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    expect(findOurs(marker)).toBe(child.pid);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(findOurs(marker)).toBeUndefined();
  });

  it('fills templates and refuses placeholders without a value', () => {
    expect(fillTemplate('a=${A} b=${B} keep ${...}', { A: 1, B: 'x' })).toBe('a=1 b=x keep ${...}');
    expect(() => fillTemplate('${MISSING}', {})).toThrow(/MISSING/);
  });

  it('knows which addresses are on this machine', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('kafka.internal')).toBe(false);
    expect(isLoopback('10.0.0.5')).toBe(false);
    expect(splitHostPort('kafka-1:9092')).toEqual({ host: 'kafka-1', port: 9092 });
  });
});
