// A pool day's user-days held in columns (src/detect/history-judged.ts) read back equal to what was
// judged: every number exactly, absent values and expectations as null, the peer priors the same objects.
import { judgedDay, type JudgedUserDay } from '../../src/detect/history-judged';
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
    const day = judgedDay(rows);
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
    const day = judgedDay(rows);
    rows.forEach((row, i) => {
      const back = day.at(i);
      expect(back).toEqual(row);
      for (const e of ['volume', 'sensitiveExpectation'] as const) {
        for (const key of ['peerSpread', 'peerDf', 'location', 'spread', 'df', 'ownWeight', 'mixture'] as const) expect(Object.is(back[e]?.[key], row[e]?.[key])).toBe(true);
        expect(back[e]?.peers ?? null).toBe(row[e]?.peers ?? null);
      }
    });
  });

  it('reads an empty day', () => {
    expect(judgedDay([]).length).toBe(0);
  });
});
