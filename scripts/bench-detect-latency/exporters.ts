// Who exports: tenured people of ordinary volume, from the simulated history, spread over the range of
// volumes, each with the plan of a bulk export.
import fs from 'node:fs';
import readline from 'node:readline';
import { MS_PER_DAY, dayOf } from '../../src/calendar';
import type { ExportPlan } from '../../src/demo/traffic';
import type { CanonicalEvent, DirectoryRow } from '../../src/simulate';
import { CHUNK_BYTES, EXPORT_MAX_BYTES } from './settings';

export interface UserProfile {
  days: Map<string, number>;
  clientIp: string;
  app: string;
  source: string;
}

export async function profiles(eventsFile: string): Promise<Map<string, UserProfile>> {
  const out = new Map<string, UserProfile>();
  const lines = readline.createInterface({ input: fs.createReadStream(eventsFile), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const e = JSON.parse(line) as CanonicalEvent;
    let p = out.get(e.user);
    if (!p) out.set(e.user, (p = { days: new Map(), clientIp: e.client_ip, app: e.client_app, source: e.source }));
    if (e.status === 'ok') p.days.set(e.ts.slice(0, 10), (p.days.get(e.ts.slice(0, 10)) ?? 0) + e.bytes);
  }
  return out;
}

export interface Exporter {
  user: string;
  role: string;
  department: string;
  medianDailyBytes: number;
  activeDays: number;
  plan: ExportPlan;
}

export function chooseExporters(directory: readonly DirectoryRow[], users: Map<string, UserProfile>, n: number, historyDays: number): Exporter[] {
  const today = dayOf(Date.now());
  const candidates: Exporter[] = [];
  for (const d of directory) {
    if (d.account_type !== 'human' || d.role === 'data_engineer') continue;
    if (d.notice_date || d.end_date) continue; // the departing watchlist would judge them differently
    if (Date.parse(`${d.hire_date}T00:00:00Z`) / MS_PER_DAY > today - historyDays - 180) continue;
    const p = users.get(d.id);
    if (!p || p.days.size < 10) continue;
    const volumes = [...p.days.values()].sort((a, b) => a - b);
    const median = volumes[Math.floor(volumes.length / 2)];
    if (median < 5e6 || median > 300e6) continue;
    candidates.push({
      user: d.id,
      role: d.role,
      department: d.department,
      medianDailyBytes: median,
      activeDays: p.days.size,
      plan: {
        user: d.id,
        table: 'crm.customers',
        totalBytes: EXPORT_MAX_BYTES,
        chunks: Math.round(EXPORT_MAX_BYTES / CHUNK_BYTES),
        rowBytes: 620,
        clientIp: p.clientIp,
        app: p.app,
        source: 'pg-crm-1',
        sessionId: '',
      },
    });
  }
  if (candidates.length < n) throw new Error(`only ${candidates.length} tenured employees of moderate volume in the simulated organisation; need ${n} (raise --employees or lower --exports)`);
  // Spread over the range of volumes: every (candidates/n)-th in order of median daily volume.
  candidates.sort((a, b) => a.medianDailyBytes - b.medianDailyBytes || a.user.localeCompare(b.user));
  return Array.from({ length: n }, (_, i) => candidates[Math.floor(((i + 0.5) * candidates.length) / n)]).map((c, i) => ({
    ...c,
    plan: { ...c.plan, sessionId: `bench-export-${i + 1}` },
  }));
}
