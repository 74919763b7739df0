// The organisation the API tests judge: six analysts with four weeks of ordinary history (~100 MB a day
// each, half of it from crm.customers) and, yesterday, ana's 10 GB export of crm.customers, as rows of
// access_events the way the ingester writes them.
import crypto from 'node:crypto';
import { dayOf, MS_PER_DAY } from '../../src/calendar';
import type { Config } from '../../src/config';
import type { DirectoryEntry } from '../../src/directory';
import { testConfig } from './env';

export const ADMIN_TOKEN = 'bootstrap-admin-token-for-tests-0123456789';
export const PSEUDONYM_KEY = 'pseudonym-key-for-tests-0123456789';
export const HOUR = 3_600_000;
export const PEOPLE = ['ana', 'ben', 'cleo', 'dev', 'eli', 'fay'].map((n) => `${n}@corp.example`);
export const ACTOR = PEOPLE[0];
/** Yesterday (UTC): the export day. History is the 28 days before. */
export const DAY = dayOf(Date.now()) - 1;
export const CHUNK = 250_000_000;
export const CHUNKS = 40; // 10 GB
export const ANALYST_IP = '10.20.30.40';

/**
 * The tests' configuration for an API on `database`: pseudonyms on, the bootstrap admin token and a rate
 * limit no test reaches. `api` is laid over these API settings; `sections` replaces whole sections.
 */
export function apiTestConfig(database: string, api: Partial<Config['api']> = {}, sections: Partial<Config> = {}): Config {
  const base = testConfig();
  return {
    ...base,
    ...sections,
    clickhouse: { ...base.clickhouse, database },
    api: { ...base.api, pseudonymize: true, pseudonymKey: PSEUDONYM_KEY, adminToken: ADMIN_TOKEN, rateLimit: { max: 100_000, windowMs: 60_000 }, ...api },
  };
}

export function directory(): DirectoryEntry[] {
  return PEOPLE.map((id) => ({ id, name: id, department: 'Analytics', role: 'data_analyst', manager: '', location: 'London', timezone: 'UTC', hire_date: '2020-01-06', notice_date: null, end_date: null, account_type: 'human' as const }));
}

/** An access_events row as the ingester writes it. */
export function row(user: string, at: number, bytes: number, table: string, more: { action?: string; ip?: string; app?: string; session?: string } = {}) {
  const [db, tbl] = table.split('.');
  const dt = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  return {
    event_id: crypto.randomUUID(), ts: dt(at), ts_ms: at % 1000, user, action: more.action ?? 'SELECT', bytes, rows: Math.round(bytes / 400),
    source: 'pg-1', db_name: db, table_name: tbl, client_ip: more.ip ?? '10.0.0.1', client_app: more.app ?? 'metabase', session_id: more.session ?? 's1', query_id: 'q', status: 'ok', extra: '',
    ingested_at: dt(Date.now()), kafka_topic: 'history', kafka_partition: 0, kafka_offset: 0,
  };
}

/** The 28 days before `day`: ~100 MB (80-125 MB) a day per person in ten queries, half of it from crm.customers. */
export function history(day: number) {
  const rows = [];
  for (let d = day - 28; d < day; d++) {
    for (const [i, user] of PEOPLE.entries()) {
      const total = 80_000_000 + ((d * 7 + i * 13) % 10) * 5_000_000;
      for (let q = 0; q < 10; q++) rows.push(row(user, d * MS_PER_DAY + (9 + q * 0.7) * HOUR, Math.floor(total / 10), q % 2 ? 'crm.customers' : 'analytics.kpi_daily'));
    }
  }
  return rows;
}

/** The history before DAY; then the export day. */
export function events() {
  const rows = history(DAY);
  const noon = DAY * MS_PER_DAY + 12 * HOUR;
  for (const [i, user] of PEOPLE.entries()) rows.push(row(user, noon - HOUR + i * 1000, 9_000_000, 'analytics.kpi_daily'));
  for (let c = 0; c < CHUNKS; c++) rows.push(row(ACTOR, noon + c * 30_000, CHUNK, 'crm.customers', { action: 'EXPORT', ip: '10.9.9.9', app: 'DBeaver', session: 'export-1' }));
  return rows;
}

/** One stored alert of `user` on `day`, as the detection engine writes it, with evidence built from `tables`. */
export function syntheticAlert(user: string, day: number, opts: { id: string; tables?: string[]; session?: string; app?: string; explanation?: string }) {
  const fired = day * MS_PER_DAY + 12 * HOUR;
  const tables = opts.tables ?? ['crm.customers'];
  return {
    alertId: opts.id,
    revision: 1,
    user,
    windowStart: day * MS_PER_DAY,
    windowEnd: (day + 1) * MS_PER_DAY,
    detectors: ['volumeSelf', 'sensitive'],
    severity: 'high' as const,
    score: 80,
    firedAt: fired,
    triggerEventId: 'ev-trigger-1',
    lastEventAt: fired + 600_000,
    observedBytes: 10_000_000_000,
    observedRows: 25_000_000,
    eventCount: 40,
    baselineBytes: 100_000_000,
    peerBytes: 150_000_000,
    peerGroup: 'Analytics/data_analyst',
    ratio: 100,
    explanation: opts.explanation ?? `${user}: 10 GB in 20 m; own weekday median 100 MB (100x); 100% from ${tables[0]} (pii)`,
    findings: [{ detector: 'sensitive', observed: 1, threshold: 0, reference: null, multiple: null, clause: `first access to ${tables[0]}`, details: { newSensitiveTables: tables } }],
    evidence: {
      events: 40,
      failedEvents: 0,
      firstEventAt: new Date(fired).toISOString(),
      lastEventAt: new Date(fired + 600_000).toISOString(),
      sensitiveBytes: 10_000_000_000,
      topTables: tables.map((table) => ({ table, sensitivity: 'pii', bytes: 10_000_000_000 / tables.length, rows: 1000, events: 40, share: 1 / tables.length })),
      sessions: { count: 1, top: [{ id: opts.session ?? 'export-1', bytes: 10_000_000_000 }] },
      clientIps: [{ ip: '10.9.9.9', bytes: 10_000_000_000 }],
      apps: [{ app: opts.app ?? 'DBeaver', bytes: 10_000_000_000 }],
      allowlisted: { bytes: 0, events: 0, reasons: [] },
    },
    createdAtWall: Date.now(),
    updatedAtWall: Date.now(),
  };
}
