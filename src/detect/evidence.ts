// The evidence of an alert, from the day's running totals: what an analyst looks at first (which
// tables and how sensitive, which sessions, from where, with which tool), and the explanation sentence.
import type { Evidence } from '../alerts';
import type { DayState } from './day-state';
import type { Finding } from './detectors';
import { formatBytes, formatDuration, formatPercent } from '../format';

const TOP = 5;

/** The n largest entries by bytes (ties by name, so the evidence is the same in every run). */
function top(m: ReadonlyMap<string, number>, n = TOP): Array<[string, number]> {
  return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);
}

export function evidenceOf(s: DayState): Evidence {
  // Tables that moved nothing (a statement without a table, SELECT now()) are no evidence of volume.
  const topTables = [...s.tables]
    .filter(([, t]) => t.bytes > 0 || s.bytes === 0)
    .sort((a, b) => b[1].bytes - a[1].bytes || (a[0] < b[0] ? -1 : 1))
    .slice(0, TOP)
    .map(([table, t]) => ({ table, sensitivity: t.sensitivity, bytes: t.bytes, rows: t.rows, events: t.events, share: s.bytes > 0 ? t.bytes / s.bytes : 0 }));
  return {
    events: s.events,
    failedEvents: s.failed,
    firstEventAt: new Date(s.firstTs).toISOString(),
    lastEventAt: new Date(s.lastTs).toISOString(),
    sensitiveBytes: s.sensitiveBytes,
    topTables,
    sessions: { count: s.sessions.size, top: top(s.sessions, 3).map(([id, bytes]) => ({ id, bytes })) },
    clientIps: top(s.clientIps).map(([ip, bytes]) => ({ ip, bytes })),
    apps: top(s.apps).map(([app, bytes]) => ({ app, bytes })),
    allowlisted: { bytes: s.allowlisted.bytes, events: s.allowlisted.events, reasons: [...s.allowlisted.reasons] },
    estimatedBytes: s.estimatedBytes,
    identities: top(s.identities).map(([identity, bytes]) => ({ identity, bytes })),
  };
}

/**
 * "20.4 GB in 2 h 05 m; anomaly: 1 in 2.3 million days for them: expected 48 MB (425x, 7.9 spreads);
 * policy: 20.4 GB from pii/payment tables (limit 10 GB); 92% from crm.customers (pii)". Each finding says
 * which kind it is: anomaly (rare for this person), policy (an absolute limit), watchlist.
 */
export function explanationOf(s: DayState, findings: ReadonlyArray<Finding>, evidence: Evidence): string {
  // "≈": some of the volume was estimated from rows (pgaudit), not measured.
  const volume = s.estimatedBytes > 0 ? `≈${formatBytes(s.bytes)}` : formatBytes(s.bytes);
  const parts = [`${volume} in ${formatDuration(s.lastTs - s.firstTs)}`, ...findings.map((f) => `${f.kind}: ${f.clause}`)];
  if (s.estimatedBytes > 0) parts.push(`${s.estimatedBytes >= s.bytes ? 'bytes' : `${formatBytes(s.estimatedBytes)} of it`} estimated as rows × average row width`);
  const people = evidence.identities ?? [];
  if (people.length > 0) parts.push(`signed in as ${people.map((p) => p.identity).join(', ')}`);
  const main = evidence.topTables[0];
  if (main && main.share >= 0.5) parts.push(`${formatPercent(main.share)} from ${main.table} (${main.sensitivity})`);
  if (s.allowlisted.bytes > 0) parts.push(`${formatBytes(s.allowlisted.bytes)} more allowlisted (${[...s.allowlisted.reasons].join('; ')})`);
  return parts.join('; ');
}
