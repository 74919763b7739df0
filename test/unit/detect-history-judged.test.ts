// A pool day's user-days held in columns (src/detect/history-judged.ts) read back equal to what was
// judged: every number exactly, absent values and expectations as null, the peer priors the same objects.
// The same of a built history's expectations of its day (history-expectations.ts: packedExpectations).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packedExpectations, type Expectations } from '../../src/detect/history-expectations';
import { judgedDay, type JudgedDay, type JudgedUserDay } from '../../src/detect/history-judged';
import { runSteps } from '../../src/detect/history-series';
import { expectationOf, robustSummary, type Expectation, type PeerPrior } from '../../src/detect/statistics/expectation';

const prior = { group: 'Analytics|data_analyst', location: 17.2, within: 0.41, between: 0.33, members: 12, priorDays: 9 } as unknown as PeerPrior;
const expectation = (over: Partial<Expectation> = {}): Expectation => ({
  location: Math.log(73_000_000),
  spread: 0.1 + 0.2,
  df: 23.5,
  ownDays: 41,
  ownWeight: 1 / 3,
  peers: prior,
  mixture: 0,
  peerSpread: 0.52,
  peerDf: 11,
  ...over,
});

describe('judgedDay: a pool day in columns', () => {
  it('gives back each user-day as judged, with nulls, infinities, extreme numbers and shared peer priors', () => {
    const rows: JudgedUserDay[] = [
      { user: 'ana@corp.example', x: 19.5, volume: expectation(), surprise: 3.25, night: -Infinity, hour: 1.5, sensitiveExpectation: expectation({ mixture: 0.25, peers: null, location: -1e-300 }), sensitiveValue: 16.75, sensitiveSurprise: 700 },
      { user: 'tab\tuser', x: Number.MIN_VALUE, volume: null, surprise: 0, night: -Infinity, hour: null, sensitiveExpectation: null, sensitiveValue: null, sensitiveSurprise: 0 },
      { user: 'bo@corp.example', x: 1e308, volume: expectation({ location: 0, spread: Number.EPSILON }), surprise: 700, night: -0.125, hour: null, sensitiveExpectation: expectation(), sensitiveValue: null, sensitiveSurprise: 0 },
    ];
    const day = runSteps(judgedDay(rows));
    expect(day.length).toBe(3);
    rows.forEach((row, i) => {
      const back = day.at(i);
      expect(back).toEqual(row);
      for (const key of ['x', 'surprise', 'night', 'hour', 'sensitiveValue', 'sensitiveSurprise'] as const) expect(Object.is(back[key], row[key])).toBe(true);
      expect(back.volume?.peers ?? null).toBe(row.volume?.peers ?? null);
    });
  });

  it('gives back the peer numbers expectationOf derives (not stored) and hand-made ones (stored), with or without a sensitive expectation', () => {
    const params = { sigmaFloor: 0.1, priorDays: 14, mixture: 0.5 };
    const made = (values: number[], peers: PeerPrior | null) => expectationOf(robustSummary(values), peers, params, 0.8)!;
    const far = made([25, 25.5, 24.8, 25.2, 25.1, 24.9], prior);
    expect(far.mixture).toBeGreaterThan(0);
    const alone = made([10, 10.5, 9.5], null);
    const rows: JudgedUserDay[] = [
      { user: 'a', x: 25, volume: far, surprise: 1, night: 0.5, hour: 2, sensitiveExpectation: null, sensitiveValue: null, sensitiveSurprise: 0 },
      { user: 'b', x: 10, volume: alone, surprise: 0.25, night: -Infinity, hour: null, sensitiveExpectation: made([12, 13, 12.5], prior), sensitiveValue: 12.25, sensitiveSurprise: 0.5 },
      { user: 'c', x: 17, volume: expectation({ peerDf: 3 }), surprise: 0, night: -Infinity, hour: null, sensitiveExpectation: expectation({ peers: null, peerSpread: 0.7 }), sensitiveValue: 1, sensitiveSurprise: 2 },
      { user: 'd', x: 11, volume: alone, surprise: 0, night: 1, hour: 0, sensitiveExpectation: alone, sensitiveValue: null, sensitiveSurprise: 0 },
    ];
    const day = runSteps(judgedDay(rows));
    rows.forEach((row, i) => {
      const back = day.at(i);
      expect(back).toEqual(row);
      for (const e of ['volume', 'sensitiveExpectation'] as const) {
        for (const key of ['peerSpread', 'peerDf', 'location', 'spread', 'df', 'ownWeight', 'mixture'] as const) expect(Object.is(back[e]?.[key], row[e]?.[key])).toBe(true);
        expect(back[e]?.peers ?? null).toBe(row[e]?.peers ?? null);
      }
    });
  });

  describe('spilled to disk between two builds (a live detector)', () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'judged-spill-'))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const rows: JudgedUserDay[] = [
      { user: 'ana@corp.example', x: 19.5, volume: expectation(), surprise: 3.25, night: -Infinity, hour: 1.5, sensitiveExpectation: expectation({ mixture: 0.25, peers: null, location: -1e-300, peerDf: 4 }), sensitiveValue: 16.75, sensitiveSurprise: 700 },
      { user: 'bo@corp.example', x: Number.MIN_VALUE, volume: null, surprise: -0, night: -0.125, hour: null, sensitiveExpectation: null, sensitiveValue: null, sensitiveSurprise: 0 },
    ];
    const same = (day: JudgedDay) =>
      rows.forEach((row, i) => {
        const back = day.at(i);
        expect(back).toEqual(row);
        for (const key of ['x', 'surprise', 'night', 'hour', 'sensitiveValue', 'sensitiveSurprise'] as const) expect(Object.is(back[key], row[key])).toBe(true);
        if (row.sensitiveExpectation) expect(Object.is(back.sensitiveExpectation?.location, row.sensitiveExpectation.location)).toBe(true);
        // The group's prior itself, not a copy (a few hundred are shared by everyone's expectations).
        expect(back.volume?.peers ?? null).toBe(row.volume?.peers ?? null);
      });

    it('lets its columns go to a file and reads them back bit for bit, written once however often spilled', () => {
      const day = runSteps(judgedDay(rows));
      const file = path.join(dir, 'a.f64');
      day.spill(file);
      // The columns (21 doubles a row), then the users: nothing of a row stays in memory.
      expect(fs.statSync(file).size).toBe(rows.length * 21 * 8 + JSON.stringify(rows.map((r) => r.user)).length);
      same(day);
      // Read back (by at), spilled again: the same file, not written again.
      fs.chmodSync(file, 0o400);
      day.spill(path.join(dir, 'b.f64'));
      expect(fs.existsSync(path.join(dir, 'b.f64'))).toBe(false);
      expect(day.restore()).toBe(true);
      same(day);
      day.discard();
      expect(fs.readdirSync(dir)).toEqual([]);
    });

    it('says so when the file is short or gone, and keeps its columns when it cannot write', () => {
      const day = runSteps(judgedDay(rows));
      const file = path.join(dir, 'a.f64');
      day.spill(file);
      fs.truncateSync(file, 8 * 18);
      expect(day.restore()).toBe(false);
      expect(() => day.at(0)).toThrow(/could not be read back/);
      // Whole columns, the users garbled or for another day.
      for (const users of ['["ana@corp.example",', '["ana@corp.example"]', '["ana@corp.example",7]']) {
        fs.writeFileSync(file, Buffer.concat([Buffer.alloc(rows.length * 21 * 8), Buffer.from(users)]));
        expect(day.restore()).toBe(false);
      }
      fs.rmSync(file);
      expect(day.restore()).toBe(false);
      const other = runSteps(judgedDay(rows));
      expect(() => other.spill(path.join(dir, 'no', 'such', 'folder.f64'))).toThrow();
      same(other);
    });
  });

  it('reads an empty day', () => {
    expect(runSteps(judgedDay([])).length).toBe(0);
  });
});

describe('packedExpectations: a built history\'s expectations of its day in columns', () => {
  it('reads back what the Maps held, person by person and whole, and nothing for anyone else', () => {
    const other = { ...prior, group: 'Sales|sales_ops' } as PeerPrior;
    const users = ['ana@corp.example', 'bo@corp.example', 'cy@corp.example', 'tab\tuser'].sort();
    const derived = expectationOf(robustSummary([17.1, 17.3, 17.2, 16.9, 17.4]), other, { sigmaFloor: 0.1, priorDays: 5, mixture: 0.5 }, 1)!;
    const ex: Expectations = {
      volume: new Map([
        ['ana@corp.example', expectation()],
        ['bo@corp.example', derived],
        ['tab\tuser', expectation({ peers: null, location: -1e-300, spread: Number.EPSILON })],
      ]),
      hour: new Map([['bo@corp.example', expectation({ peers: other })]]),
      sensitive: new Map([['cy@corp.example', expectation({ mixture: 0.25, peerDf: 4 })]]),
      active: new Map(users.map((u, i) => [u, i * 3])),
      priors: new Map<string, PeerPrior | null>(users.map((u, i) => [u, i === 2 ? null : i % 2 ? other : prior])),
      without: () => null,
      prior: () => null,
    };
    const packed = runSteps(packedExpectations(ex, users));
    for (const key of ['volume', 'hour', 'sensitive', 'active', 'priors'] as const) {
      const [was, now] = [ex[key] as ReadonlyMap<string, unknown>, packed[key] as ReadonlyMap<string, unknown>];
      expect([...now]).toEqual([...was].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
      expect(now.size).toBe(was.size);
      for (const u of [...users, 'nobody', '']) {
        expect([u, now.has(u)]).toEqual([u, was.has(u)]);
        expect([u, now.get(u)]).toEqual([u, was.get(u)]);
      }
    }
    // Bit for bit, and the priors themselves.
    expect(Object.is(packed.volume.get('tab\tuser')!.location, -1e-300)).toBe(true);
    expect(packed.priors.get('bo@corp.example')).toBe(other);
    expect(packed.volume.get('bo@corp.example')!.peers).toBe(other);
    expect(packed.without).toBe(ex.without);
  });
});
