import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { CORE_SERVICES, LOCAL_CLUSTER_CONFIG, localServices, managedServices, servicesDown, servicesStatus, servicesUp, SERVICE_NAMES, type ServiceName } from '../../local-services';
import type { CliContext } from '../context';
import { printJson, printTable, progress } from '../output';
import { ConfigError } from '../../errors';

export function servicesCommand(ctx: CliContext): Command {
  const cmd = new Command('services').description(
    'start, stop and inspect the local Kafka, ClickHouse and (on request) PostgreSQL with pgaudit, MariaDB with its slow and audit logs, and chdb (ClickHouse 26.x, for the compatibility check) (development, tests, demo); services configured elsewhere are left alone',
  );
  const serviceArg = ['[service...]', `${SERVICE_NAMES.join(', ')} (up: default kafka and clickhouse; down and status: every one started)`] as const;
  const clusterOption = ['--cluster', `ClickHouse as a local cluster: ZooKeeper and one server per replica of clickhouse.cluster, or of ${path.relative(process.cwd(), LOCAL_CLUSTER_CONFIG)} (2 shards x 2 replicas) when none is configured`] as const;
  const check = (names: string[]) => {
    const bad = names.filter((n) => !SERVICE_NAMES.includes(n as ServiceName));
    if (bad.length) throw new ConfigError(`unknown service "${bad[0]}": expected ${SERVICE_NAMES.join(', ')}`);
    return names as ServiceName[];
  };
  // down and status: PostgreSQL, MariaDB and chdb too once started here (their pid file exists).
  const started = (): ServiceName[] => SERVICE_NAMES.filter((n) => CORE_SERVICES.includes(n) || localServices(ctx.config(), [n]).some((s) => fs.existsSync(s.process.pidFile)));

  cmd
    .command('up')
    .description(
      'install when missing (Kafka and ZooKeeper jars via Maven; clickhouse-server, postgresql-15 and postgresql-15-pgaudit, mariadb-server via apt-get; chdb-core via pip), start, and wait until ready; idempotent. `up postgres` starts PostgreSQL with the audit settings of docs/sources/postgres.md, `up mariadb` MariaDB with those of docs/sources/mariadb.md; `up chdb` ClickHouse 26.x at localServices.chdb.url',
    )
    .argument(...serviceArg)
    .option(...clusterOption)
    .action(async (names: string[], opts: { cluster?: boolean }) => {
      const config = ctx.config();
      const statuses = await servicesUp(localServices(config, check(names), opts), progress);
      printTable(statuses.map(row), ['service', 'state', 'pid', 'address', 'version']);
      if (opts.cluster && !config.clickhouse.cluster) {
        progress(`the product uses this cluster with --config ${path.relative(process.cwd(), LOCAL_CLUSTER_CONFIG)} (or INSIDER_CONFIG); then \`insider migrate\``);
      }
    });

  cmd
    .command('down')
    .description('stop the services this project started (a local cluster too, while any of it runs); nothing of theirs is left running')
    .argument(...serviceArg)
    .option(...clusterOption)
    .action(async (names: string[], opts: { cluster?: boolean }) => {
      await servicesDown(managedServices(ctx.config(), check(names), opts), progress);
    });

  cmd
    .command('status')
    .description('show each service: state, pid, address, version, log file (a local cluster too, while any of it runs)')
    .argument(...serviceArg)
    .option(...clusterOption)
    .option('--json', 'print JSON instead of a table')
    .action(async (names: string[], opts: { json?: boolean; cluster?: boolean }) => {
      const statuses = await servicesStatus(managedServices(ctx.config(), names.length > 0 ? check(names) : started(), opts));
      if (opts.json) printJson(statuses);
      else printTable(statuses.map(row), ['service', 'state', 'pid', 'address', 'version', 'log']);
      if (statuses.some((s) => !s.ready)) process.exitCode = 3;
    });

  return cmd;
}

function row(s: Awaited<ReturnType<typeof servicesStatus>>[number]) {
  return {
    service: s.name,
    state: s.ready || s.state === 'stopped' ? s.state : `${s.state} (not answering)`,
    pid: s.pid,
    address: s.address,
    version: s.version ?? (s.ready ? '' : s.detail),
    log: s.logFile,
  };
}
