import { createKafka } from '../../kafka';
import { Command } from 'commander';
import { ConfigError } from '../../errors';
import { createChannel, createNotifier, listDeliveries } from '../../notify';
import type { CliContext } from '../context';
import { startHealth } from '../health';
import { createRegistry } from '../../telemetry';
import { printJson, printTable, progress } from '../output';
import { integer } from '../options';

const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

export function notifyCommand(ctx: CliContext): Command {
  const notify = new Command('notify').description('paging: run the notifier, send a test page, inspect the outbox (docs/paging.md)');

  notify
    .command('run', { isDefault: true })
    .description('route new alerts and triage actions to the configured channels until stopped (SIGTERM/SIGINT finish deliveries in flight)')
    .addHelpText(
      'after',
      `
Reads new alert revisions and acknowledge/resolve actions from ClickHouse every notify.pollIntervalMs,
queues pages in the outbox (table notify_outbox) before sending them, retries failures with backoff
and jitter, groups storms into digests within notify.storm, and re-pages unacknowledged alerts.
After a crash, whatever was not delivered is sent again under the same dedup key.
Channel secrets come from the environment variables the channels name (e.g. routingKeyEnv).
Run one notifier per database. \`insider notify\` alone runs this.`,
    )
    .action(async () => {
      const config = ctx.config();
      const log = ctx.log();
      if (config.notify.routes.length === 0) progress('notify: no routes configured (notify.routes): nothing will be paged');
      const ch = ctx.clickhouse();
      const registry = createRegistry();
      const notifier = createNotifier({ config, ch, log, registry });
      let health: Awaited<ReturnType<typeof startHealth>>;
      let signalled = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (signalled) return;
        signalled = true;
        progress(`${signal}: finishing deliveries in flight...`);
        void notifier.stop();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      try {
        await notifier.start();
        health = await startHealth(config.health, ch, registry);
        progress(`notify: running; channels ${Object.keys(config.notify.channels).join(', ') || '(none)'}; ${config.notify.routes.length} route(s)`);
        await notifier.done;
        const s = notifier.stats();
        progress(`stopped: ${s.revisionsRouted} revision(s) routed, ${s.delivered} delivered, ${s.failedAttempts} failed attempt(s), ${s.abandoned} abandoned, ${s.digests} digest(s), ${s.escalations} escalation(s), ${s.pending} pending`);
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        await health?.close();
      }
    });

  notify
    .command('test')
    .description('send a test page through one channel now and print how it answered')
    .argument('<channel>', 'a channel name from notify.channels')
    .action(async (name: string) => {
      const config = ctx.config();
      const c = config.notify.channels[name];
      if (!c) {
        const known = Object.keys(config.notify.channels);
        throw new ConfigError(`notify.channels: no channel named "${name}" (${known.length > 0 ? `configured: ${known.join(', ')}` : 'none configured'})`);
      }
      const channel = createChannel(name, c, config.notify, process.env, () => createKafka(config.kafka, ctx.log()));
      const base = (config.notify.publicUrl || config.api.publicUrl || `http://${config.api.host}:${config.api.port}`).replace(/\/+$/, '');
      const now = Date.now();
      const started = Date.now();
      const outcome = await channel.deliver({ kind: 'test', dedupKey: `test-${now}`, link: base }, `${name}|test|test-${now}`, now);
      const ms = Date.now() - started;
      await channel.close?.();
      if (outcome.ok) {
        process.stdout.write(`test page sent through ${name} (${c.type}): accepted with status ${outcome.status} in ${ms} ms\n`);
        return;
      }
      process.stderr.write(`test page through ${name} (${c.type}) failed after ${ms} ms: ${outcome.reason}${outcome.retriable ? ' (temporary: retrying may help)' : ''}\n`);
      process.exitCode = 1;
    });

  notify
    .command('outbox')
    .description('deliveries not yet delivered: queued, retrying (attempts, last error, next attempt) and abandoned')
    .option('--all', 'delivered ones too')
    .option('--limit <n>', 'at most this many, newest first', (v) => integer(v, 1), 100)
    .option('--json', 'JSON')
    .action(async (opts: { all?: boolean; limit: number; json?: boolean }) => {
      const rows = await listDeliveries(ctx.clickhouse(), { all: opts.all, limit: opts.limit });
      if (opts.json) {
        printJson(rows);
        return;
      }
      printTable(
        rows.map((r) => ({
          STATE: r.state,
          CHANNEL: r.channel,
          KIND: r.kind,
          DEDUP_KEY: r.dedupKey,
          ALERTS: r.alerts,
          ATTEMPTS: r.attempts,
          QUEUED: iso(r.queuedAt),
          NEXT: iso(r.nextAt),
          LAST_ERROR: r.state === 'delivered' ? '' : r.lastReason,
        })),
        ['STATE', 'CHANNEL', 'KIND', 'DEDUP_KEY', 'ALERTS', 'ATTEMPTS', 'QUEUED', 'NEXT', 'LAST_ERROR'],
      );
      const waiting = rows.filter((r) => r.state === 'queued' || r.state === 'retrying').length;
      const abandoned = rows.filter((r) => r.state === 'abandoned').length;
      process.stderr.write(`${waiting} pending, ${abandoned} abandoned${opts.all ? `, ${rows.length - waiting - abandoned} delivered` : ''}\n`);
    });
  return notify;
}
