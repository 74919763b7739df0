// The shape of the effective configuration. Every object is strict (an unknown key is an error, so
// a typo never silently falls back to a default) and nothing has a default here: defaults live in
// config/default.yaml, which is validated by this same schema.
import { z } from 'zod';
import { detectionSchema } from './detection-schema';
import { notifySchema } from './notify-schema';
import { cronProblem, reportsSchema } from './report-schema';

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected "host:port"');
const positiveMs = z.number().int().positive();
const manage = z.enum(['auto', 'always', 'never']);
const httpUrl = z.url({ protocol: /^https?$/ });

const clusterSchema = z
  .strictObject({
    /** The cluster's name in <remote_servers> on every node (Distributed tables read and write through it). */
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'expected a cluster name (letters, digits, _ . -)'),
    /** Each shard's replicas, as HTTP addresses, shards in the order of <remote_servers>. */
    shards: z.array(z.array(httpUrl).min(1, 'a shard needs at least one replica')).min(1, 'a cluster needs at least one shard'),
  })
  .superRefine((cluster, ctx) => {
    const seen = new Map<string, string>();
    cluster.shards.forEach((replicas, s) =>
      replicas.forEach((url, r) => {
        const key = new URL(url).origin;
        const where = `shards[${s}][${r}]`;
        const first = seen.get(key);
        if (first) ctx.addIssue({ code: 'custom', path: ['shards', s, r], message: `${url} is listed twice (also ${first})` });
        else seen.set(key, where);
      }),
    );
  });

export const configSchema = z.strictObject({
  kafka: z.strictObject({
    brokers: z.array(hostPort).min(1),
    clientId: z.string().min(1),
    topic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name (letters, digits, . _ -)'),
    ssl: z.boolean(),
    sasl: z
      .strictObject({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
        username: z.string().min(1),
        /** secret: INSIDER_KAFKA_SASL_PASSWORD only */
        password: z.string().optional(),
      })
      .nullable(),
    connectionTimeoutMs: positiveMs,
    requestTimeoutMs: positiveMs,
    /** A record batch past these is not read, and a fetch reads no further batch past them (src/kafka/batch-guard.ts). */
    maxBatchBytes: z.number().int().min(1_048_576),
    maxBatchRecords: z.number().int().min(1000),
  }),
  clickhouse: z.strictObject({
    url: z.url({ protocol: /^https?$/ }),
    database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'expected a database name (letters, digits, _)'),
    username: z.string().min(1),
    /** secret: INSIDER_CLICKHOUSE_PASSWORD only */
    password: z.string().optional(),
    requestTimeoutMs: positiveMs,
    /** Cluster mode (docs/deploy.md): replicated tables on every shard behind Distributed ones; null: one server. */
    cluster: clusterSchema.nullable(),
  }),
  ingest: z.strictObject({
    groupId: z.string().min(1),
    /** Source topics; empty means [kafka.topic]. */
    topics: z.array(z.string().min(1)),
    /** Dead-letter topic; empty means "<source topic>.dlq". */
    deadLetterTopic: z.string(),
    fromBeginning: z.boolean(),
    maxMessageBytes: z.number().int().min(1024),
    maxFutureSkewMs: z.number().int().min(0),
    fetchMaxBytes: z.number().int().min(65536),
    concurrentPartitions: z.number().int().min(1).max(64),
    sessionTimeoutMs: z.number().int().min(6000),
    heartbeatIntervalMs: positiveMs,
    dedupWindow: z.number().int().min(0),
    /**
     * Which log format each topic carries (docs/sources/README.md): topic -> { format, options }.
     * Topics not listed carry canonical events. Options are checked by the format at start.
     */
    sources: z.record(
      z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name (letters, digits, . _ -)'),
      z.strictObject({
        format: z.enum(['canonical', 'postgres', 'mariadb', 'clickhouse-query-log', 'aws-das-postgres', 'snowflake', 'json']),
        options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
      }),
    ),
    retry: z.strictObject({
      initialDelayMs: positiveMs,
      maxDelayMs: positiveMs,
    }),
    metrics: z.strictObject({
      host: z.string().min(1),
      /** 0 turns the endpoint off. */
      port: z.number().int().min(0).max(65535),
    }),
  }),
  detection: detectionSchema,
  /** The triage HTTP API (and the dashboard it serves). */
  api: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    /** Where people reach it (links in pages and reports); empty: http://host:port */
    publicUrl: z.string(),
    /** Employees appear as stable pseudonyms until an analyst reveals one (audited). */
    pseudonymize: z.boolean(),
    /** secret: INSIDER_PSEUDONYM_KEY only; the HMAC key of the pseudonyms */
    pseudonymKey: z.string().optional(),
    /** secret: INSIDER_ADMIN_TOKEN only; a bootstrap admin token (name "admin") */
    adminToken: z.string().optional(),
    rateLimit: z.strictObject({
      /** requests per client address per window */
      max: z.number().int().min(1),
      windowMs: positiveMs,
    }),
    pageSize: z.strictObject({ default: z.number().int().min(1), max: z.number().int().min(1) }),
    /** Strict-Transport-Security, for deployments behind TLS; maxAgeSeconds 0: off. */
    hsts: z.strictObject({ maxAgeSeconds: z.number().int().min(0).max(63_072_000), includeSubDomains: z.boolean() }),
    /** Single sign-on for the dashboard: OpenID Connect, authorization code flow with PKCE (docs/api.md, "Single sign-on"). */
    sso: z.strictObject({
      /** The identity provider's issuer URL; empty: single sign-on is off. */
      issuer: z.string(),
      clientId: z.string(),
      /** secret: INSIDER_SSO_CLIENT_SECRET only; empty for a public client (PKCE alone) */
      clientSecret: z.string().optional(),
      scopes: z.array(z.string().regex(/^[\x21-\x7e]+$/, 'expected a scope name')).min(1),
      /** The claim that names the user here (ID token or userinfo). */
      usernameClaim: z.string().min(1),
      /** The claim that lists the user's groups (an array, or one string). */
      groupsClaim: z.string().min(1),
      /** Groups that give each role; the highest role whose groups the user is in wins; none: sign-in refused. */
      roles: z.strictObject({ admin: z.array(z.string().min(1)), analyst: z.array(z.string().min(1)), viewer: z.array(z.string().min(1)) }),
      /** How long a session lasts from sign-in. */
      sessionMinutes: z.number().int().min(1).max(7 * 24 * 60),
      /** Secure cookies (__Host- prefix); false only for plain-HTTP development on a host other than localhost. */
      secureCookies: z.boolean(),
    }),
    /** Live updates and caches of each API process (docs/api.md, "Live updates" and "Caches"). */
    live: z.strictObject({
      /** How often the process looks for changes: alerts, triage, tokens, users, the directory. */
      pollMs: z.number().int().min(100).max(60_000),
      /** A comment line on quiet streams, so that proxies keep them open. */
      heartbeatMs: z.number().int().min(1000).max(300_000),
      /** Open streams per process; beyond it a new one is refused (503) and the dashboard polls. */
      maxStreams: z.number().int().min(0),
      /** How long a checked token is trusted without asking ClickHouse (while the change feed is fresh). */
      tokenCacheMs: z.number().int().min(0).max(300_000),
      /** How often alerts whose listing row fell behind are looked for (0: only at start). */
      repairSeconds: z.number().int().min(0),
    }),
  }),
  /** Paging: channels, routing rules, retries, storm control (docs/paging.md). Secrets: each channel names its variable. */
  notify: notifySchema,
  /** Periodic audit reports: schedules (cron, UTC), formats, output directory, delivery (docs/reports.md). */
  reports: reportsSchema,
  /** Cases: an employee's alerts grouped by episode, with an accumulated risk (docs/detection.md, "Cases"). */
  cases: z.strictObject({
    /** Whole UTC days without an alert of the employee that end a case. */
    quietDays: z.number().int().min(1).max(365),
    /** Days after which an alert's part in its case's risk is halved. */
    halfLifeDays: z.number().positive().max(365),
    /** An alert first stored after its employee's case was resolved: a new case, or the resolved case reopened. */
    afterResolution: z.enum(['new', 'reopen']),
  }),
  /** Retention by whole partitions, with legal holds (docs/retention.md). */
  retention: z.strictObject({
    /** Cron (UTC) of `insider retention schedule`; empty: retention runs only when asked. */
    schedule: z.string().superRefine((v, ctx) => {
      const problem = v === '' ? null : cronProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: `not a valid cron expression: ${problem}` });
    }),
    /** Days each class of data is kept; 0 keeps it for ever. */
    days: z.strictObject({
      events: z.number().int().min(0),
      rollups: z.number().int().min(0),
      alerts: z.number().int().min(0),
      audit: z.number().int().min(0),
    }),
  }),
  log: z.strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  }),
  /** /healthz, /readyz and /metrics of `insider detect`, `notify` and `report schedule` (the ingester: ingest.metrics). */
  health: z.strictObject({
    host: z.string().min(1),
    /** 0 turns the endpoint off. */
    port: z.number().int().min(0).max(65535),
  }),
  localServices: z.strictObject({
    stateDir: z.string().min(1),
    kafka: z.strictObject({
      manage,
      heapMb: z.number().int().min(128),
      startTimeoutMs: positiveMs,
    }),
    clickhouse: z.strictObject({
      manage,
      tcpPort: z.number().int().min(1).max(65535),
      startTimeoutMs: positiveMs,
    }),
    /** PostgreSQL 15 + pgaudit, for the demo with --source postgres and the tests (docs/sources/postgres.md). */
    postgres: z.strictObject({
      manage,
      port: z.number().int().min(1).max(65535),
      startTimeoutMs: positiveMs,
    }),
    /** MariaDB 10.11 with the slow log and server_audit, for the tests (docs/sources/mariadb.md). */
    mariadb: z.strictObject({
      manage,
      port: z.number().int().min(1).max(65535),
      startTimeoutMs: positiveMs,
    }),
    /** ClickHouse 26.x as chdb (PyPI chdb-core) behind a small ClickHouse HTTP front: opt-in, for the compatibility check. */
    chdb: z.strictObject({
      manage,
      url: z.url({ protocol: /^http$/ }),
      python: z.string().min(1),
      /** The server's time zone (IANA name); empty: the machine's. */
      timezone: z.string(),
      startTimeoutMs: positiveMs,
    }),
    /** ZooKeeper for the local cluster (`insider services up --cluster`); loopback only. */
    zookeeper: z.strictObject({
      port: z.number().int().min(1).max(65535),
      heapMb: z.number().int().min(64),
      startTimeoutMs: positiveMs,
    }),
  }),
});

export type Config = z.infer<typeof configSchema>;

/** Key paths that hold secrets: read only from the environment, masked when printed, redacted in logs. */
export const SECRET_PATHS: ReadonlyArray<{ path: string; env: string }> = [
  { path: 'clickhouse.password', env: 'INSIDER_CLICKHOUSE_PASSWORD' },
  { path: 'kafka.sasl.password', env: 'INSIDER_KAFKA_SASL_PASSWORD' },
  { path: 'api.pseudonymKey', env: 'INSIDER_PSEUDONYM_KEY' },
  { path: 'api.adminToken', env: 'INSIDER_ADMIN_TOKEN' },
  { path: 'api.sso.clientSecret', env: 'INSIDER_SSO_CLIENT_SECRET' },
];

type EnvKind = 'string' | 'list' | 'int' | 'bool';

/** Environment variables that override a key. Every endpoint and every secret has one. */
export const ENV_OVERRIDES: ReadonlyArray<{ env: string; path: string; kind: EnvKind }> = [
  { env: 'INSIDER_KAFKA_BROKERS', path: 'kafka.brokers', kind: 'list' },
  { env: 'INSIDER_KAFKA_TOPIC', path: 'kafka.topic', kind: 'string' },
  { env: 'INSIDER_KAFKA_CLIENT_ID', path: 'kafka.clientId', kind: 'string' },
  { env: 'INSIDER_KAFKA_SSL', path: 'kafka.ssl', kind: 'bool' },
  { env: 'INSIDER_KAFKA_SASL_MECHANISM', path: 'kafka.sasl.mechanism', kind: 'string' },
  { env: 'INSIDER_KAFKA_SASL_USERNAME', path: 'kafka.sasl.username', kind: 'string' },
  { env: 'INSIDER_KAFKA_SASL_PASSWORD', path: 'kafka.sasl.password', kind: 'string' },
  { env: 'INSIDER_CLICKHOUSE_URL', path: 'clickhouse.url', kind: 'string' },
  { env: 'INSIDER_CLICKHOUSE_DATABASE', path: 'clickhouse.database', kind: 'string' },
  { env: 'INSIDER_CLICKHOUSE_USER', path: 'clickhouse.username', kind: 'string' },
  { env: 'INSIDER_CLICKHOUSE_PASSWORD', path: 'clickhouse.password', kind: 'string' },
  { env: 'INSIDER_INGEST_GROUP_ID', path: 'ingest.groupId', kind: 'string' },
  { env: 'INSIDER_INGEST_METRICS_PORT', path: 'ingest.metrics.port', kind: 'int' },
  { env: 'INSIDER_DETECT_GROUP_ID', path: 'detection.groupId', kind: 'string' },
  { env: 'INSIDER_CATALOG_FILE', path: 'detection.catalogFile', kind: 'string' },
  { env: 'INSIDER_ALLOWLIST_FILE', path: 'detection.allowlistFile', kind: 'string' },
  { env: 'INSIDER_API_HOST', path: 'api.host', kind: 'string' },
  { env: 'INSIDER_API_PORT', path: 'api.port', kind: 'int' },
  { env: 'INSIDER_API_PUBLIC_URL', path: 'api.publicUrl', kind: 'string' },
  { env: 'INSIDER_PSEUDONYMIZE', path: 'api.pseudonymize', kind: 'bool' },
  { env: 'INSIDER_PSEUDONYM_KEY', path: 'api.pseudonymKey', kind: 'string' },
  { env: 'INSIDER_ADMIN_TOKEN', path: 'api.adminToken', kind: 'string' },
  { env: 'INSIDER_API_HSTS_MAX_AGE', path: 'api.hsts.maxAgeSeconds', kind: 'int' },
  { env: 'INSIDER_SSO_ISSUER', path: 'api.sso.issuer', kind: 'string' },
  { env: 'INSIDER_SSO_CLIENT_ID', path: 'api.sso.clientId', kind: 'string' },
  { env: 'INSIDER_SSO_CLIENT_SECRET', path: 'api.sso.clientSecret', kind: 'string' },
  { env: 'INSIDER_NOTIFY_PUBLIC_URL', path: 'notify.publicUrl', kind: 'string' },
  { env: 'INSIDER_NOTIFY_IDENTITY', path: 'notify.identity', kind: 'string' },
  { env: 'INSIDER_LOG_LEVEL', path: 'log.level', kind: 'string' },
  { env: 'INSIDER_HEALTH_HOST', path: 'health.host', kind: 'string' },
  { env: 'INSIDER_HEALTH_PORT', path: 'health.port', kind: 'int' },
  { env: 'INSIDER_STATE_DIR', path: 'localServices.stateDir', kind: 'string' },
  { env: 'INSIDER_POSTGRES_PORT', path: 'localServices.postgres.port', kind: 'int' },
  { env: 'INSIDER_CHDB_URL', path: 'localServices.chdb.url', kind: 'string' },
  { env: 'INSIDER_MARIADB_PORT', path: 'localServices.mariadb.port', kind: 'int' },
];
