// The burst of events an injected scenario is made of: `count` queries of one actor spread over some
// hours, moving a stated volume, in one session, labelled with the scenario.
import { MS_PER_HOUR } from '../calendar';
import { event } from './activity';
import type { SimEvent } from './event';
import type { Person } from './organisation';
import type { Random } from './random';
import type { TableInfo } from './tables';

/** One scenario actor's injected events share a stream, a session and the label. */
export interface Owner {
  scenario: string;
  rng: Random;
  p: Person;
  session: string;
}

export interface Burst {
  from: number;
  hours: number;
  bytes: number;
  count: number;
  tables: TableInfo[];
  actions: ReadonlyArray<[string, number]>;
  /** Spread of chunk sizes (log-normal sigma). */
  sigma: number;
  app?: string;
  clientIp?: string;
}

/** `count` events evenly spread (with jitter) over `hours` from `from`, moving `bytes` in total. */
export function burst(o: Owner, b: Burst): SimEvent[] {
  const { rng, p } = o;
  const weights = Array.from({ length: b.count }, () => Math.exp(b.sigma * rng.normal()));
  const sum = weights.reduce((s, w) => s + w, 0);
  const span = b.hours * MS_PER_HOUR;
  return weights.map((w, i) => {
    const t = b.tables.length === 1 ? b.tables[0] : rng.pick(b.tables);
    const bytes = Math.floor((b.bytes * w) / sum);
    return event(rng, p, {
      at: Math.floor(b.from + ((i + rng.float()) / b.count) * span),
      action: rng.weighted(b.actions, (a) => a[1])[0],
      use: { table: t, weight: 1 },
      bytes,
      rows: Math.round(bytes / t.rowBytes),
      session: o.session,
      app: b.app ?? rng.pick(p.apps),
      clientIp: b.clientIp,
      scenario: o.scenario,
      // Injected volume must arrive as stated: no random failures inside a scenario.
      failed: false,
    });
  });
}
