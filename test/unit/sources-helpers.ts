// Shared by the sources unit tests: a postgres decoder without services, its context with the captured
// statistics and an in-memory join.
import { createSources as create, createSessionJoin, TableStatsIndex, type Sources } from '../../src/sources';
import { postgresFormat } from '../../src/sources/postgres';
import type { DecodeResult } from '../../src/sources/types';
import { fixtureStats, type Destination } from '../fixtures/postgres/decode';

export const LIMITS = { maxMessageBytes: 1 << 20, maxFutureSkewMs: 1e12 };

export function createSources(destination: Destination): Sources {
  const s = create({ settings: { sources: { fixture: { format: 'postgres', options: { destination, server: 'fixture-pg' } } } } as never, role: 'reader' });
  s.addStats(fixtureStats());
  return s;
}

/** One message at a time, with its own join and the captured statistics. */
export function postgresLayoutFreeDecoder(destination: Destination): (value: Buffer) => DecodeResult {
  const decoder = postgresFormat.create({ destination, server: 'fixture-pg' }, 'fixture');
  const stats = new TableStatsIndex();
  for (const r of fixtureStats()) stats.add(r);
  const join = createSessionJoin({ persist: false });
  let offset = 0;
  return (value) => {
    const r = decoder.decode(
      { value, topic: 'fixture', partition: 0, offset: String(offset++) },
      { limits: LIMITS, now: Date.UTC(2030, 0, 1), session: (s, id) => join.view(s, id), tableStats: (s, d, t, at) => stats.at(s, d, t, at) },
    );
    if (r.ok) join.apply(r.facts);
    return r;
  };
}
