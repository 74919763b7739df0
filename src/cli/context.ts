// What every command needs, built lazily so that `--help` works even with a broken config.
import { loadConfig, type Config } from '../config';
import { createLogger, type Logger } from '../log';
import { createClickHouse, type ClickHouse } from '../store';

export interface CliContext {
  config(): Readonly<Config>;
  configSources(): string[];
  log(): Logger;
  /** A ClickHouse connection to the configured database, closed when the command ends. */
  clickhouse(opts?: { database?: string }): ClickHouse;
  close(): Promise<void>;
}

export function createContext(getConfigFile: () => string | undefined): CliContext {
  let loaded: ReturnType<typeof loadConfig> | undefined;
  let logger: Logger | undefined;
  const open: ClickHouse[] = [];
  const load = () => (loaded ??= loadConfig({ file: getConfigFile() }));
  return {
    config: () => load().config,
    configSources: () => load().sources,
    log: () => (logger ??= createLogger({ level: load().config.log.level })),
    clickhouse: (opts = {}) => {
      const ch = createClickHouse(load().config.clickhouse, opts);
      open.push(ch);
      return ch;
    },
    close: async () => {
      await Promise.all(open.map((ch) => ch.close()));
    },
  };
}
