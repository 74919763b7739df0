// A pool day's user-days held in columns (src/detect/history-judged.ts) read back equal to what was
// judged: every number exactly, absent values and expectations as null, the peer priors the same objects.
import { judgedDay, type JudgedUserDay } from '../../src/detect/history-judged';
import type { Expectation, PeerPrior } from '../../src/detect/statistics/expectation';

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

  it('reads an empty day', () => {
    expect(judgedDay([]).length).toBe(0);
  });
});
