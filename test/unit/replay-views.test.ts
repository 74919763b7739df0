// Each rollup's replay view (migration 0013, used to complete a rollup that an insert stopped half-way
// missed: src/ingest/insert-outcome.ts) must compute exactly what the rollup's own view computes. A
// rollup changed in one place and not the other would be repaired with different numbers.
import fs from 'node:fs';
import path from 'node:path';
import { MIGRATIONS_DIR } from '../../src/store';

/** Every materialized view of the migrations: its target and its SELECT with the source table blanked. */
function views(): Map<string, { target: string; source: string; select: string }> {
  const found = new Map<string, { target: string; source: string; select: string }>();
  for (const file of fs.readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql'))) {
    const text = fs.readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8').replace(/--[^\n]*/g, '');
    for (const m of text.matchAll(/CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+) TO (\w+) AS\s+(SELECT[\s\S]*?);/g)) {
      const source = /\bFROM (\w+)/.exec(m[3])?.[1] ?? '';
      found.set(m[1], { target: m[2], source, select: m[3].replace(/\bFROM \w+/, 'FROM <source>').replace(/\s+/g, ' ').trim() });
    }
  }
  return found;
}

describe('replay views', () => {
  const all = views();
  for (const rollup of ['user_daily', 'user_hourly', 'user_table_daily']) {
    it(`replay_${rollup}_mv computes what ${rollup}_mv computes, into the same table`, () => {
      const own = all.get(`${rollup}_mv`);
      const replay = all.get(`replay_${rollup}_mv`);
      expect(own?.source).toBe('access_events');
      expect(replay?.source).toBe(`replay_${rollup}`);
      expect(replay?.target).toBe(own?.target);
      expect(replay?.select).toBe(own?.select);
    });
  }

  it('every view into a rollup has a replay twin, and the ledger view sorts first (ClickHouse runs views by name)', () => {
    const intoRollups = [...all.entries()].filter(([name, v]) => v.source === 'access_events' && name !== 'ingest_batches_mv');
    for (const [name] of intoRollups) expect(all.has(`replay_${name}`)).toBe(true);
    const names = [...all.entries()].filter(([, v]) => v.source === 'access_events').map(([n]) => n).sort();
    expect(names[0]).toBe('ingest_batches_mv');
  });
});
