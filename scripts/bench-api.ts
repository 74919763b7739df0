// API benchmark at a large organisation's scale: a directory of 100,000 employees and a year of alerts
// (120,000 by default, with their revisions and triage actions) built directly in ClickHouse, then
// `insider api` (a process of its own, as deployed) measured from dashboard clients: p50/p95/max of
//   the queue        GET /api/alerts?status=open&limit=50 (the default view)
//   a filtered queue department, severity, detector, status, different for every request
//   an alert page    GET /api/alerts/:id and its /series, together, as the page loads them: 500 open alerts
//                    viewed again and again (analysts sharing one queue), and first views (an alert no
//                    one opened before in the run, so nothing the API holds can answer it)
//   an employee page GET /api/employees/:pseudonym (90 days against the usual band and the peers)
//   a pseudonym search GET /api/alerts?user=emp-...
// with 1 client and with 20 concurrent clients (each asks again as soon as answered, and holds an event
// stream open as a dashboard does). Reference figures measured in the same run: a ClickHouse round trip
// (SELECT 1), the API answering /healthz (no ClickHouse), and the former queue and pseudonym search
// (the newest 10,000 alerts scanned and filtered in the process; the keyed hash of every employee) on
// the same data. Prints a table; `--profile` also writes a CPU profile of the API process and prints
// where its time went. A figure, not a test: the machine is shared and noisy.
//
//   npm run bench:api -- [--employees 100000] [--alerts 120000] [--seconds 10] [--clients 1,20] [--port 26501] [--profile] [--keep]
//                        [--reuse DATABASE] [--only 'alert page,queue']
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { listAlerts, rebuildListing } from '../src/alerts';
import { MS_PER_DAY } from '../src/calendar';
import { currentDirectory } from '../src/directory';
import { loadConfig } from '../src/config';
import { localServices, servicesUp } from '../src/local-services';
import { createClickHouse, ident, migrate, sql, SqlFragment, type ClickHouse } from '../src/store';
import { createPseudonymMap, createPseudonyms, createToken, createUser, statesOf, type Actor } from '../src/triage';
import { openStream, type TestStream } from '../test/helpers/event-stream';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const EMPLOYEES = Number(opt('employees', '100000'));
const ALERTS = Number(opt('alerts', '120000'));
const SECONDS = Number(opt('seconds', '10'));
const CLIENTS = opt('clients', '1,20').split(',').map(Number);
const PORT = Number(opt('port', '26501'));
const PROFILE = args.includes('--profile');
const KEEP = args.includes('--keep');
/** Only the scenarios whose name contains one of these (e.g. --only 'alert page'), for a profile of one. */
const ONLY = opt('only', '').split(',').filter(Boolean);
/** Measure on a database kept by an earlier run (--keep) instead of building one. */
const REUSE = opt('reuse', '');
const DEPARTMENTS = 40;
const ROLES = 25;
/** Departments whose people have 90 days of activity rollups (their employee pages draw real charts). */
const ACTIVE_DEPARTMENTS = 8;
const ADMIN_TOKEN = crypto.randomBytes(24).toString('hex');
const PSEUDONYM_KEY = crypto.randomBytes(24).toString('hex');
const root = path.join(__dirname, '..');
const say = (line: string) => process.stderr.write(`${line}\n`);
const raw = (text: string) => new SqlFragment(text);

async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const r = await fn();
  say(`  ${what}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return r;
}

/** The organisation and its year of alerts, straight into ClickHouse (INSERT ... SELECT from numbers()). */
async function build(ch: ClickHouse): Promise<void> {
  const today = Math.floor(Date.now() / MS_PER_DAY);
  const version = Date.now();
  const person = (n: string) => `concat('e', toString(${n}), '@corp.example')`;
  await timed(`directory of ${EMPLOYEES.toLocaleString('en-US')} employees`, async () => {
    await ch.exec(raw(`INSERT INTO directory_entries
      SELECT ${version}, ${person('number')}, concat('Employee ', toString(number)), concat('Dept-', toString(number % ${DEPARTMENTS})),
        concat('role-', toString(intDiv(number, ${DEPARTMENTS}) % ${ROLES})), '', 'HQ', 'UTC', toDate('2020-01-06'),
        CAST(NULL AS Nullable(Date)), CAST(NULL AS Nullable(Date)), 'human'
      FROM numbers(${EMPLOYEES})`));
    await ch.exec(raw(`INSERT INTO directory_versions VALUES (${version}, toDateTime(${Math.floor(version / 1000)}), 'bench', ${EMPLOYEES}, 'bench')`));
  });
  // Alert n: day today - (n mod 365), employee n * 7919 mod EMPLOYEES (one alert per employee and day);
  // 1-4 revisions, each worse than the one before.
  const alertId = `concat('al_', toString(toYYYYMMDD(toDate(d * 86400))), '_', lower(substring(hex(cityHash64(u, d)), 1, 10)))`;
  const source = `SELECT number AS n, ${today} - (number % 365) AS d, ${person(`(number * 7919) % ${EMPLOYEES}`)} AS u FROM numbers(${ALERTS})`;
  await timed(`${ALERTS.toLocaleString('en-US')} alerts over a year, with revisions`, () =>
    ch.exec(raw(`INSERT INTO alerts
      SELECT ${alertId}, toUInt32(r), u, toDateTime(d * 86400, 'UTC'), toDateTime((d + 1) * 86400, 'UTC'),
        arrayFilter((x, i) -> bitTest(n + r, i) OR i = 0, ['volumeSelf', 'exportRate', 'volumePeers', 'sensitive', 'offHours'], range(5)),
        toInt8(least(4, 1 + (n % 3) + intDiv(r, 2))), toUInt8(least(100, 30 + (n % 50) + r * 5)),
        toDateTime(d * 86400 + 3600 * (8 + n % 10), 'UTC'), toUInt16(n % 1000), concat('ev', toString(n)),
        toDateTime(d * 86400 + 3600 * (8 + n % 10) + r * 600, 'UTC'), toUInt64((n % 97 + 1) * 100000000 * r), toUInt64(n * 10), toUInt64(40 * r),
        toFloat64(100000000), toFloat64(150000000), 'Dept/role', toFloat64((n % 97 + 1) * r),
        concat(u, ': ', toString((n % 97 + 1) * r), ' x the usual from crm.customers (pii)'),
        '[{"detector":"volumeSelf","observed":1,"threshold":1,"reference":1,"multiple":1,"clause":"more than usual"}]',
        '{"events":40,"failedEvents":0,"firstEventAt":"2026-01-01T00:00:00Z","lastEventAt":"2026-01-01T00:00:00Z","sensitiveBytes":0,"topTables":[{"table":"crm.customers","sensitivity":"pii","bytes":1,"rows":1,"events":1,"share":1}],"sessions":{"count":1,"top":[{"id":"s1","bytes":1}]},"clientIps":[{"ip":"10.0.0.1","bytes":1}],"apps":[{"app":"psql","bytes":1}],"allowlisted":{"bytes":0,"events":0,"reasons":[]}}',
        toDateTime(d * 86400 + 3600 * (8 + n % 10), 'UTC'), toDateTime(d * 86400 + 3600 * (8 + n % 10) + r * 600, 'UTC')
      FROM (${source}) ARRAY JOIN arrayMap(x -> x + 1, range(toUInt64(1 + n % 4))) AS r`)),
  );
  // Triage over the year: older alerts mostly resolved (70%), some acknowledged (12%), the rest open;
  // the last two weeks mostly open, some acknowledged or snoozed.
  const plan = `multiIf(
      d < ${today - 14} AND n % 100 < 70, [1, 2, 3, 4],
      d < ${today - 14} AND n % 100 < 82, [1, 3],
      d >= ${today - 14} AND n % 100 < 25, [1, 2],
      d >= ${today - 14} AND n % 100 < 35, [5, 3],
      d >= ${today - 14} AND n % 100 < 40, [1, 4],
      emptyArrayUInt8())`;
  await timed('triage actions', () =>
    ch.exec(raw(`INSERT INTO alert_actions
      SELECT concat(toString(n), '-', toString(k)), ${alertId}, toDateTime(d * 86400 + 86400 + k * 3600, 'UTC'), toUInt16(k), concat('analyst', toString(n % 20)),
        toInt8(a), if(a = 2, concat('analyst', toString(n % 20)), ''), if(a = 4, 'false_positive', ''), if(a = 3, 'looked at it', ''),
        toDateTime(if(a = 5, ${Math.floor(Date.now() / 1000)} + 86400 * 7, 0), 'UTC'), ''
      FROM (SELECT n, d, u, ${plan} AS steps FROM (${source})) ARRAY JOIN steps AS a, arrayEnumerate(steps) AS k`)),
  );
  await timed('the listing (every alert derived once)', () => rebuildListing(ch));
  // 90 days of daily volume for the people of the active departments (and so their peers).
  await timed(`90 days of activity rollups for ${ACTIVE_DEPARTMENTS} departments`, () =>
    ch.exec(raw(`INSERT INTO user_daily (user, day, sum_bytes)
      SELECT ${person('e')}, toDate((${today} - dd) * 86400), sumState(toUInt64(50000000 + (cityHash64(e, dd) % 100000000)))
      FROM (SELECT intDiv(number, 90) AS k, number % 90 AS dd, intDiv(k, ${ACTIVE_DEPARTMENTS}) * ${DEPARTMENTS} + k % ${ACTIVE_DEPARTMENTS} AS e
            FROM numbers(${Math.floor((EMPLOYEES * ACTIVE_DEPARTMENTS) / DEPARTMENTS) * 90}))
      WHERE e < ${EMPLOYEES}
      GROUP BY e, dd`)),
  );
  const [counts] = await ch.query<{ a: string; r: string; x: string; o: string }>(
    sql`SELECT (SELECT uniqExact(alert_id) FROM alerts) AS a, (SELECT count() FROM alerts) AS r, (SELECT count() FROM alert_actions) AS x,
               (SELECT count() FROM (SELECT alert_id, argMax(status, version) AS s FROM alert_listing GROUP BY alert_id) WHERE s = 'open') AS o`,
  );
  say(`  built: ${Number(counts.a).toLocaleString('en-US')} alerts, ${Number(counts.r).toLocaleString('en-US')} revisions, ${Number(counts.x).toLocaleString('en-US')} triage actions, ${Number(counts.o).toLocaleString('en-US')} open`);
}

interface Sample {
  ms: number;
  ok: boolean;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** `clients` loops asking again as soon as answered, for `seconds`; latencies of the requests. */
async function load(clients: number, seconds: number, request: (client: number, i: number) => Promise<boolean>): Promise<Sample[]> {
  const samples: Sample[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; performance.now() < end; i++) {
        const t = performance.now();
        const ok = await request(c, i).catch(() => false);
        samples.push({ ms: performance.now() - t, ok });
      }
    }),
  );
  return samples;
}

function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks (100 a second on Linux)
  } catch {
    return NaN;
  }
}

async function main(): Promise<void> {
  const { config } = loadConfig();
  const services = await servicesUp(localServices(config), (l) => say(`[services] ${l}`));
  // ClickHouse's CPU per request, next to the API's: which of the two a scenario's time goes to.
  const clickhousePid = services.find((s) => s.name === 'clickhouse')?.pid;
  const run = Date.now().toString(36);
  const database = REUSE || `bench_api_${run}`;
  const admin = createClickHouse(config.clickhouse, { database: 'default' });
  const ch = createClickHouse(config.clickhouse, { database });
  let api: ChildProcess | undefined;
  const streams: TestStream[] = [];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'insider-bench-api-'));
  try {
    say(`building ${database} (ClickHouse ${await admin.serverVersion()}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})`);
    await migrate(admin, ch);
    if (!REUSE) await build(ch);
    const pseudonyms = createPseudonyms({ enabled: true, key: PSEUDONYM_KEY });
    await timed('pseudonym mapping (computed once per employee)', () => createPseudonymMap(ch, pseudonyms).sync());
    const deps = { ch, pseudonyms };
    const actor: Actor = { name: 'bench', role: 'admin', sourceIp: '127.0.0.1', requestId: 'bench' };
    const tokens: string[] = [];
    for (let c = 0; c < Math.max(...CLIENTS); c++) {
      await createUser(deps, actor, `bench.analyst${c}.${run}`, 'analyst');
      tokens.push((await createToken(deps, actor, `bench.analyst${c}.${run}`, 1)).token);
    }

    // The API as deployed: its own process, reading a configuration file (rate limit raised for the run).
    const configFile = path.join(work, 'bench.yaml');
    fs.writeFileSync(configFile, `api:\n  rateLimit:\n    max: 100000000\n    windowMs: 60000\n`);
    const profileDir = path.join(root, 'artifacts', 'bench-api');
    if (PROFILE) fs.mkdirSync(profileDir, { recursive: true });
    api = spawn(process.execPath, [...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), path.join(root, 'bin', 'insider.js'), 'api', '--host', '127.0.0.1', '--port', String(PORT)], {
      env: { ...process.env, INSIDER_CONFIG: configFile, INSIDER_CLICKHOUSE_DATABASE: database, INSIDER_ADMIN_TOKEN: ADMIN_TOKEN, INSIDER_PSEUDONYM_KEY: PSEUDONYM_KEY, INSIDER_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const url = `http://127.0.0.1:${PORT}`;
    for (let i = 0; ; i++) {
      if ((await fetch(`${url}/healthz`).catch(() => null))?.ok) break;
      if (i > 300) throw new Error('the API did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const get = async (client: number, p: string) => {
      const res = await fetch(`${url}${p}`, { headers: { authorization: `Bearer ${tokens[client]}` } });
      await res.arrayBuffer();
      return res.ok;
    };

    // What the requests ask for: open alerts to open, employees with activity, the filters analysts use.
    const openIds = (await ch.query<{ alert_id: string }>(sql`SELECT alert_id FROM alert_listing WHERE status = 'open' ORDER BY cityHash64(alert_id) LIMIT 500`)).map((r) => r.alert_id);
    // First views: open alerts not among those above, each asked for once (20,000 outlast any run here).
    const viewed = new Set(openIds);
    const fresh = (await ch.query<{ alert_id: string }>(sql`SELECT alert_id FROM alert_listing WHERE status = 'open' ORDER BY cityHash64(alert_id, 'fresh') LIMIT 20500`))
      .map((r) => r.alert_id)
      .filter((id) => !viewed.has(id));
    let nextFresh = 0;
    const alertPage = async (c: number, id: string) => {
      const [a, s] = await Promise.all([get(c, `/api/alerts/${id}`), get(c, `/api/alerts/${id}/series?days=42`)]);
      return a && s;
    };
    const active = Array.from({ length: 500 }, (_, i) => `e${Math.floor(i / ACTIVE_DEPARTMENTS) * DEPARTMENTS + (i % ACTIVE_DEPARTMENTS)}@corp.example`);
    const anyone = Array.from({ length: 500 }, (_, i) => `e${(i * 7919) % EMPLOYEES}@corp.example`);
    const filters = [
      ...Array.from({ length: DEPARTMENTS }, (_, d) => `status=open&department=Dept-${d}`),
      'status=open&severity=critical',
      'status=open&minSeverity=high&sort=severity',
      'detector=exportRate&status=acknowledged',
      'status=snoozed',
      'status=resolved&severity=high&sort=volume',
      `status=open&from=${new Date(Date.now() - 7 * MS_PER_DAY).toISOString()}`,
    ];
    const every: Array<{ name: string; request: (c: number, i: number) => Promise<boolean> }> = [
      { name: 'queue, default (status=open, 50)', request: (c) => get(c, '/api/alerts?status=open&limit=50') },
      { name: 'queue, filtered (46 filters)', request: (c, i) => get(c, `/api/alerts?${filters[(c * 7 + i) % filters.length]}&limit=50`) },
      { name: 'alert page (alert + series, 500 alerts)', request: (c, i) => alertPage(c, openIds[(c * 31 + i) % openIds.length]) },
      { name: 'alert page, first views (alert + series)', request: (c) => alertPage(c, fresh[nextFresh++ % fresh.length]) },
      { name: 'employee page (90 days, peers)', request: (c, i) => get(c, `/api/employees/${pseudonyms.of(active[(c * 13 + i) % active.length])}?days=90`) },
      { name: 'pseudonym search (user=emp-...)', request: (c, i) => get(c, `/api/alerts?user=${pseudonyms.of(anyone[(c * 17 + i) % anyone.length])}&limit=50`) },
    ];

    const scenarios = ONLY.length === 0 ? every : every.filter((s) => ONLY.some((o) => s.name.includes(o)));
    // Warm up (first reads of the directory and the tables), then measure.
    for (const s of scenarios) await load(1, 1, s.request);
    const rows: string[][] = [];
    const apiCpu0 = cpuSeconds(api.pid);
    for (const clients of CLIENTS) {
      // Every client is a dashboard: it holds the event stream open while it works.
      while (streams.length < clients) streams.push(openStream(`${url}/api/stream`, tokens[streams.length]));
      for (const s of scenarios) {
        const cpu0 = [cpuSeconds(api.pid), cpuSeconds(clickhousePid)];
        const samples = await load(clients, SECONDS, s.request);
        // '-' where the process is not ours to read (a ClickHouse started elsewhere).
        const [apiMs, chMs] = [cpuSeconds(api.pid) - cpu0[0], cpuSeconds(clickhousePid) - cpu0[1]].map((sec) => (Number.isNaN(sec) ? '-' : ((sec * 1000) / samples.length).toFixed(1)));
        const ms = samples.filter((x) => x.ok).map((x) => x.ms).sort((a, b) => a - b);
        const failed = samples.length - ms.length;
        rows.push([s.name, String(clients), String(samples.length), ms.length ? quantile(ms, 0.5).toFixed(0) : '-', ms.length ? quantile(ms, 0.95).toFixed(0) : '-', ms.length ? ms[ms.length - 1].toFixed(0) : '-', failed ? String(failed) : '', apiMs, chMs]);
        say(`  ${s.name}, ${clients} client${clients === 1 ? '' : 's'}: ${samples.length} requests`);
      }
    }
    const apiCpu = cpuSeconds(api.pid) - apiCpu0;

    // References, measured now on the same data.
    const refs: string[][] = [];
    const ref = async (name: string, fn: () => Promise<unknown>, runs = 20) => {
      const ms: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        await fn();
        ms.push(performance.now() - t);
      }
      ms.sort((a, b) => a - b);
      refs.push([name, '1', String(runs), quantile(ms, 0.5).toFixed(0), quantile(ms, 0.95).toFixed(0), ms[ms.length - 1].toFixed(0), '', '', '']);
    };
    await ref('reference: ClickHouse round trip (SELECT 1)', () => ch.query(sql`SELECT 1`));
    await ref('reference: the API without ClickHouse (/healthz)', () => fetch(`${url}/healthz`).then((r) => r.arrayBuffer()));
    await ref('reference: former queue (newest 10,000 scanned)', async () => {
      // What GET /api/alerts did before: the whole directory, the newest 10,000 alerts, their actions.
      await currentDirectory(ch);
      const alerts = await listAlerts(ch, { limit: 10_000 });
      await statesOf(ch, alerts.map((a) => a.alertId), Date.now());
    }, 5);
    await ref('reference: former pseudonym search (hash of everyone)', async () => {
      // What a filter by pseudonym did before: the whole directory, every alerted id, the keyed hash of each.
      const { entries } = await currentDirectory(ch);
      const alerted = await ch.query<{ user: string }>(sql`SELECT DISTINCT user FROM alerts`);
      pseudonyms.reveal(pseudonyms.of(anyone[1]), [...entries.map((e) => e.id), ...alerted.map((r) => r.user)]);
    }, 5);

    const header = ['scenario', 'clients', 'requests', 'p50 ms', 'p95 ms', 'max ms', 'failed', 'API cpu ms/req', 'CH cpu ms/req'];
    const widths = header.map((h, i) => Math.max(h.length, ...[...rows, ...refs].map((r) => r[i].length)));
    const line = (r: string[]) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
    process.stdout.write(
      [
        '',
        `API benchmark: ${EMPLOYEES.toLocaleString('en-US')} employees, ${ALERTS.toLocaleString('en-US')} alerts over 365 days; ${SECONDS} s per row; ClickHouse ${await admin.serverVersion()}; ${os.cpus().length} cores; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
        line(header),
        ...rows.map(line),
        ...refs.map(line),
        `API process CPU during the measured rows: ${apiCpu.toFixed(1)} s of ${(CLIENTS.length * scenarios.length * SECONDS).toFixed(0)} s`,
        '',
      ].join('\n'),
    );
  } finally {
    streams.forEach((s) => s.close());
    if (api && api.exitCode === null) {
      api.kill('SIGTERM');
      await new Promise((r) => api!.once('exit', r));
    }
    if (PROFILE) printProfile(path.join(root, 'artifacts', 'bench-api'));
    if (!KEEP && !REUSE) await admin.exec(sql`DROP DATABASE IF EXISTS ${ident(database)}`).catch(() => {});
    else say(`kept database ${database}`);
    await Promise.all([admin.close(), ch.close()]);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The newest CPU profile's heaviest functions by self time (where the API process spent its CPU). */
function printProfile(dir: string): void {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  if (files.length === 0) return;
  const newest = files.map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
  const prof = JSON.parse(fs.readFileSync(newest, 'utf8')) as { nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>; samples: number[]; timeDeltas: number[] };
  const self = new Map<number, number>();
  prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const byName = new Map<string, number>();
  for (const n of prof.nodes) {
    const f = n.callFrame;
    const where = f.url ? `${path.relative(root, f.url.replace(/^file:\/\//, ''))}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    byName.set(key, (byName.get(key) ?? 0) + (self.get(n.id) ?? 0));
  }
  const total = [...byName.values()].reduce((a, b) => a + b, 0);
  process.stdout.write(`\nCPU profile of the API process (${path.relative(root, newest)}), self time:\n`);
  for (const [name, us] of [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    process.stdout.write(`  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
