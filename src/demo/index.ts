// `insider demo` (npm run demo): the product's main job, end to end, on this machine. Local Kafka and
// ClickHouse, a simulated organisation with weeks of history, the real ingester and the live detector;
// then ordinary activity goes on while one employee exports customer records in real time, and the
// alert is printed the moment it fires, with its explanation and where to look next.
//
//   prepareEnvironment (services, database, directory, history) -> ingester + detector (this process)
//     -> background traffic (a simulated working day, re-stamped now) + the export (chunk by chunk)
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import { listAlerts, type AlertRecord } from '../alerts';
import type { Config } from '../config';
import { SimulationError } from '../errors';
import { startLiveDetector, type LiveDetector } from '../live-detect';
import { formatBytes, formatDuration } from '../format';
import { startIngest, type RunningIngest } from '../evaluate';
import { createKafka } from '../kafka';
import { createNotifier, formatReceived, startLocalReceiver, type LocalReceiver, type Notifier } from '../notify';
import type { Logger } from '../log';
import type { CanonicalEvent } from '../simulate';
import { startDemoDashboard, type DemoDashboard } from './dashboard';
import type { Ingester } from '../ingest';
import { PG_DATABASE, preparePostgresDemo, type PostgresDemo } from './postgres';
import { liveConfig, prepareEnvironment, type LiveEnvironment } from './environment';
import { exportChunk, restamp, send, templateEvents, type ExportPlan } from './traffic';

export interface DemoOptions {
  seed: number;
  employees: number;
  days: number;
  /** Seconds until the demo stops by itself; 0: until Ctrl-C. */
  durationS: number;
  exportBytes: number;
  exportSeconds: number;
  /** Where the simulated organisation's files are written. */
  dir: string;
  /** 'simulated': the export is canonical events; 'postgres': a real pg_dump from a real PostgreSQL (demo/postgres.ts). */
  source?: 'simulated' | 'postgres';
  /** --source postgres: the table's size as COPY text, in GB. */
  pgGigabytes?: number;
}

export interface DemoDeps {
  config: Readonly<Config>;
  log: Logger;
  /** Progress lines (stderr). */
  progress: (line: string) => void;
  /** The story (stdout). */
  say: (text: string) => void;
  /** Resolves when the user asks to stop (Ctrl-C). */
  interrupted: Promise<void>;
}

/** One working day of ordinary activity is played in this long, over and over. */
const DAY_PLAYED_IN_MS = 60 * 60_000;
const TICK_MS = 250;
const EXPORT_DELAY_MS = 10_000;

export async function runDemo(opts: DemoOptions, deps: DemoDeps): Promise<{ alerts: AlertRecord[]; database: string }> {
  const { config, log, progress, say } = deps;
  const kafka = createKafka(config.kafka, log);
  const env = await prepareEnvironment({ config, kafka, log, prefix: 'demo', replaceEarlier: true, seed: opts.seed, employees: opts.employees, days: opts.days, dir: opts.dir, progress });
  const actor = pickActor(env);
  let pg: PostgresDemo | undefined;
  let pgIngester: Ingester | undefined;
  if (opts.source === 'postgres') {
    pg = await preparePostgresDemo({ config, kafka, topicPrefix: env.ws.topic, gigabytes: opts.pgGigabytes ?? 3, people: [actor.id], dir: opts.dir, progress });
    // The real table is as sensitive as the simulated one.
    const catalog = path.join(opts.dir, 'tables-with-postgres.csv');
    fs.writeFileSync(catalog, `${fs.readFileSync(env.catalogFile, 'utf8').trimEnd()}\n${PG_DATABASE},public.customers,pii\n`);
    env.catalogFile = catalog;
  }
  // The on-call page goes to a signed webhook on this machine, which prints it exactly as it arrived.
  const webhookSecret = crypto.randomBytes(24).toString('hex');
  const receiver: LocalReceiver = await startLocalReceiver({ secret: webhookSecret });
  const base = liveConfig(config, env);
  const live: Readonly<Config> = {
    ...base,
    // With --source postgres the detector reads the PostgreSQL topic too, through the postgres source.
    ingest: pg ? pg.ingestSettings(base.ingest, env.ws.topic) : base.ingest,
    notify: {
      ...config.notify,
      pollIntervalMs: 250,
      channels: { 'on-call': { type: 'webhook', url: receiver.url, secretEnv: 'INSIDER_DEMO_WEBHOOK_SECRET' } },
      routes: [{ name: 'severe', minSeverity: 'high', channels: ['on-call'] }],
    },
  };
  // The case pages once; as the export grows, its incident gets updates (docs/paging.md, "Paging per case").
  receiver.onRequest((r) => {
    const what = r.headers['x-insider-event'] === 'update' ? 'UPDATE of the page' : r.headers['x-insider-event'] === 'trigger' ? 'PAGE' : 'Message';
    say(['', `${what} received by the on-call webhook (${receiver.url}), exactly as it arrived:`, formatReceived(r)].join('\n'));
  });
  const sentAt = new Map<string, number>();
  const seen: AlertRecord[] = [];
  let ingest: RunningIngest | undefined;
  let detector: LiveDetector | undefined;
  let notifier: Notifier | undefined;
  let dashboard: DemoDashboard | undefined;
  const exportState: ExportState = { startedAt: 0, sent: 0, total: pg?.tableBytes ?? 0, endedAt: 0 };
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  try {
    // The canonical topic's ingester; the PostgreSQL topic has its own (its own consumer group).
    ingest = await startIngest({ config: { ...live, ingest: { ...live.ingest, topics: [], sources: {} } }, kafka, ws: env.ws, log, progress });
    if (pg) pgIngester = await pg.startIngester(live, env.ws.ch, log);
    detector = await startLiveDetector({
      config: live,
      kafka,
      ch: env.ws.ch,
      log,
      onAlert: (a) => {
        seen.push(a);
        say(
          a.revision === 1
            ? firstAlert(a, sentAt.get(a.triggerEventId), live, pg && a.user === actor.id ? exportState : undefined)
            : `  ${a.user}, update ${a.revision}: ${a.severity}, score ${a.score}, ${approx(a)}${formatBytes(a.observedBytes)}, detectors ${a.detectors.join(', ')}`,
        );
      },
    });
    notifier = createNotifier({ config: live, ch: env.ws.ch, log, env: { INSIDER_DEMO_WEBHOOK_SECRET: webhookSecret } });
    await notifier.start();
    dashboard = await startDemoDashboard(live, env.ws.ch, log);
    await producer.connect();
    const templates = await templateEvents(env.eventsFile, { exclude: new Set([actor.id]) });
    say(
      [
        '',
        `Live. ${env.historyEvents} events of history (${opts.days} days, ${env.directory.length} people and service accounts) are in ClickHouse;`,
        `ordinary activity now plays at ${((templates.length * 1000) / DAY_PLAYED_IN_MS).toFixed(1)} events/s (a working day every ${DAY_PLAYED_IN_MS / 60_000} minutes).`,
        pg
          ? `In ${EXPORT_DELAY_MS / 1000} s, ${actor.id} (${actor.department}, ${actor.role}) starts a real \`pg_dump -t customers\` of ${PG_DATABASE} on PostgreSQL (${pg.tableRows.toLocaleString('en')} rows, ${formatBytes(pg.tableBytes)} as COPY text), read over about ${formatDuration(opts.exportSeconds * 1000)}; rsyslog ships the server's log to ${pg.topic}.`
          : `In ${EXPORT_DELAY_MS / 1000} s, ${actor.id} (${actor.department}, ${actor.role}) starts exporting ${formatBytes(opts.exportBytes)} of crm.customers over ${formatDuration(opts.exportSeconds * 1000)}.`,
        `High and critical alerts page the on-call webhook ${receiver.url} (signed, employee as a pseudonym).`,
        '',
        `Dashboard: ${dashboard.api.url}/  (sign in as ${dashboard.user}, role analyst, with the token below)`,
        `  token:   ${dashboard.token}`,
        `  or open: ${dashboard.signInUrl}`,
        '',
        opts.durationS > 0 ? `The demo stops after ${opts.durationS} s, or on Ctrl-C.` : 'Ctrl-C stops the demo.',
        '',
      ].join('\n'),
    );
    await play({ producer, topic: env.ws.topic, templates, actor, opts, sentAt, progress, interrupted: deps.interrupted, pg, exportState, say });
  } finally {
    await producer.disconnect().catch(() => {});
    await pgIngester?.stop().catch((err: unknown) => progress(`warning: stopping the PostgreSQL ingester: ${(err as Error).message}`));
    await pg?.stop().catch((err: unknown) => progress(`warning: stopping rsyslog: ${(err as Error).message}`));
    await dashboard?.api.close().catch((err: unknown) => progress(`warning: stopping the dashboard: ${(err as Error).message}`));
    await detector?.stop().catch((err: unknown) => progress(`warning: stopping the detector: ${(err as Error).message}`));
    await notifier?.stop().catch((err: unknown) => progress(`warning: stopping the notifier: ${(err as Error).message}`));
    await receiver.close();
    await ingest?.stop().catch((err: unknown) => progress(`warning: stopping the ingester: ${(err as Error).message}`));
  }
  const stored = await listAlerts(env.ws.ch, { limit: 20 });
  await env.ws.close();
  say(summary(stored, seen, actor.id, env, live, pg ? exportState : undefined));
  return { alerts: stored, database: env.ws.database };
}

export interface Actor {
  id: string;
  department: string;
  role: string;
}

/** A long-serving analyst: the person the 2010 case was about. Deterministic for a seed. */
export function pickActor(env: LiveEnvironment): Actor {
  const humans = env.directory.filter((d) => d.account_type === 'human' && d.notice_date === '' && d.hire_date !== '' && d.hire_date < '2025-01-01');
  const analysts = humans.filter((d) => d.role === 'data_analyst' || d.role === 'support_lead' || d.role === 'sales_ops');
  const pool = analysts.length > 0 ? analysts : humans;
  if (pool.length === 0) throw new SimulationError('the simulated directory has no long-serving employee to play the export');
  const chosen = [...pool].sort((a, b) => (a.id < b.id ? -1 : 1))[0];
  return { id: chosen.id, department: chosen.department, role: chosen.role };
}

async function play(o: {
  producer: Producer;
  topic: string;
  templates: CanonicalEvent[];
  actor: Actor;
  opts: DemoOptions;
  sentAt: Map<string, number>;
  progress: (line: string) => void;
  interrupted: Promise<void>;
  pg?: PostgresDemo;
  exportState: ExportState;
  say: (text: string) => void;
}): Promise<void> {
  const started = Date.now();
  const deadline = o.opts.durationS > 0 ? started + o.opts.durationS * 1000 : Infinity;
  let stop = false;
  void o.interrupted.then(() => (stop = true));
  const perTick = (o.templates.length * TICK_MS) / DAY_PLAYED_IN_MS;
  let owed = 0;
  let next = 0;
  const chunks = Math.max(1, Math.round(o.opts.exportSeconds));
  const plan: ExportPlan = {
    user: o.actor.id,
    table: 'crm.customers',
    totalBytes: o.opts.exportBytes,
    chunks,
    rowBytes: 420,
    clientIp: '10.11.7.42',
    app: 'DBeaver',
    source: 'pg-crm-1',
    sessionId: crypto.randomBytes(8).toString('hex'),
  };
  let chunksSent = 0;
  let lastReport = 0;
  let dump: Promise<void> | undefined;
  while (!stop && Date.now() < deadline) {
    const tick = Date.now();
    owed += perTick;
    const batch = [];
    for (; owed >= 1; owed--) batch.push(restamp(o.templates[next++ % o.templates.length], tick));
    if (o.pg && !dump && tick - started >= EXPORT_DELAY_MS) {
      // The real export: pg_dump by the employee's own database role.
      o.exportState.startedAt = Date.now();
      o.say(`${new Date().toISOString()}  ${o.actor.id} runs pg_dump -t customers on ${PG_DATABASE}...`);
      dump = o.pg
        .runExport(o.actor.id, o.opts.exportSeconds, (line) => o.progress(line), (sent) => (o.exportState.sent = sent))
        .then((r) => {
          o.exportState.endedAt = r.endedAt;
          o.say(`${new Date(r.endedAt).toISOString()}  pg_dump finished after ${formatDuration(r.endedAt - o.exportState.startedAt)}: ${formatBytes(r.bytes)} sent (the table's data ${formatBytes(o.exportState.total)} as COPY text)`);
        })
        .catch((err: Error) => o.say(`pg_dump failed: ${err.message}`));
    }
    // The export sends one chunk a second once it has started, until its volume is out.
    const due = o.pg ? 0 : Math.min(chunks, Math.floor((tick - started - EXPORT_DELAY_MS) / 1000) + 1);
    for (; chunksSent < due; chunksSent++) {
      const chunk = exportChunk(plan, tick);
      o.sentAt.set(chunk.event_id, Date.now());
      batch.push(chunk);
    }
    await send(o.producer, o.topic, batch);
    if (chunksSent > 0 && tick - lastReport >= 10_000 && chunksSent < chunks) {
      lastReport = tick;
      o.progress(`export: ${formatBytes((plan.totalBytes / chunks) * chunksSent)} of ${formatBytes(plan.totalBytes)} sent`);
    }
    await sleep(Math.max(0, TICK_MS - (Date.now() - tick)));
  }
  // A dump still running when the demo's time is up is waited for: its end is part of the story.
  if (dump && !stop) {
    o.progress('waiting for pg_dump to finish...');
    await Promise.race([dump, o.interrupted]);
  }
}

interface ExportState {
  startedAt: number;
  sent: number;
  total: number;
  endedAt: number;
}

/** "≈" before a volume that was (partly) estimated. */
function approx(a: AlertRecord): string {
  return (a.evidence.estimatedBytes ?? 0) > 0 ? '≈' : '';
}

function firstAlert(a: AlertRecord, sentAt: number | undefined, live: Readonly<Config>, dump?: ExportState): string {
  const ev = a.evidence;
  const latency =
    dump && dump.startedAt > 0
      ? ` (${((Date.now() - dump.startedAt) / 1000).toFixed(1)} s after pg_dump started; ${dump.endedAt === 0 ? `it is still running, ${formatBytes(dump.sent)} of ${formatBytes(dump.total)} sent so far` : 'it has ended'})`
      : sentAt === undefined
        ? ''
        : ` (${((Date.now() - sentAt) / 1000).toFixed(1)} s after the event that crossed the threshold was produced)`;
  return [
    '',
    `ALERT ${a.severity.toUpperCase()} (score ${a.score}) ${a.user}   ${a.alertId}`,
    `  fired at ${new Date(a.firedAt).toISOString()} (event time)${latency}`,
    `  ${a.explanation}`,
    `  detectors: ${a.detectors.join(', ')}`,
    `  tables: ${ev.topTables.map((t) => `${t.table} (${t.sensitivity}) ${approx(a)}${formatBytes(t.bytes)}`).join(', ')}${approx(a) ? ' (≈: estimated from rows × average row width; pgaudit logs rows, not bytes)' : ''}`,
    `  sessions: ${ev.sessions.count}; client addresses: ${ev.clientIps.map((c) => c.ip).join(', ')}; applications: ${ev.apps.map((x) => x.app).join(', ')}; ${ev.events} events`,
    '',
    '  What to look at next:',
    `    INSIDER_CLICKHOUSE_DATABASE=${live.clickhouse.database} node bin/insider.js alerts list --user ${a.user} --json`,
    `    the session ${ev.sessions.top[0]?.id ?? '-'} from ${ev.clientIps[0]?.ip ?? '-'}: is it theirs, is the ticket for it approved, is the export still running?`,
    '',
  ].join('\n');
}

function summary(stored: AlertRecord[], seen: AlertRecord[], actor: string, env: LiveEnvironment, live: Readonly<Config>, dump?: ExportState): string {
  const caught = stored.find((a) => a.user === actor);
  const others = stored.filter((a) => a.user !== actor);
  const first = seen.find((a) => a.user === actor);
  const pgLine =
    dump && caught
      ? `pg_dump: the alert was stored ${first && dump.endedAt ? `${formatDuration(dump.endedAt - first.createdAtWall)} before the dump ended` : 'while the dump ran'}; estimated ${formatBytes(caught.evidence.estimatedBytes ?? 0)} against ${formatBytes(dump.total)} true COPY bytes (${(((caught.evidence.estimatedBytes ?? 0) - dump.total) / dump.total * 100).toFixed(1)}%).`
      : undefined;
  return [
    '',
    caught
      ? `Caught: ${actor}, ${caught.severity}, ${approx(caught)}${formatBytes(caught.observedBytes)} when last revised (${caught.revision} revision(s) of one alert).`
      : `The export of ${actor} raised no alert${seen.length === 0 ? ' (none at all: was the demo stopped before the export started?)' : ''}.`,
    ...(pgLine ? [pgLine] : []),
    `Other alerts: ${others.length === 0 ? 'none' : others.map((a) => `${a.user} (${a.severity})`).join(', ')}.`,
    `The data stays in database ${env.ws.database} and topic ${env.ws.topic} until the next demo. Explore it:`,
    `  INSIDER_CLICKHOUSE_DATABASE=${live.clickhouse.database} node bin/insider.js alerts list`,
    `  simulated organisation: ${path.relative(process.cwd(), env.dir) || env.dir}`,
    'The dashboard stopped with the demo; `npm run demo -- --duration 0` keeps it open until Ctrl-C.',
    '',
  ].join('\n');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
