// What every route module gets: the configuration, the ClickHouse connection, the triage service's
// dependencies (pseudonyms, clock, directory and pseudonym caches), the live updates, the metrics registry
// and the logger.
import type { FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { ClickHouse } from '../store';
import type { Registry } from '../telemetry';
import type { TriageDeps } from '../triage';
import type { Live } from './live';

export interface ApiContext {
  config: Readonly<Config>;
  ch: ClickHouse;
  log: Logger;
  registry: Registry;
  now: () => number;
  triage: TriageDeps;
  /** The change feed, the token cache, open event streams (live.ts). */
  live: Live;
}

/** The fastify instance with zod schemas as the type provider. */
export type ApiApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, Logger, ZodTypeProvider>;
