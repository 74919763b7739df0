// Identical reads at the same moment share one answer; nothing is kept once it is in.
import { singleFlight } from '../../src/store/single-flight';

describe('single flight', () => {
  it('runs concurrent calls with one key once, and later calls again', async () => {
    const flight = singleFlight<number>();
    const scope = {};
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const run = async () => {
      runs++;
      await gate;
      return runs;
    };
    const all = Promise.all([flight(scope, 'k', run), flight(scope, 'k', run), flight(scope, 'k', run)]);
    release();
    expect(await all).toEqual([1, 1, 1]);
    expect(await flight(scope, 'k', run)).toBe(2);
  });

  it('keeps keys and scopes apart, and passes a failure to every caller without keeping it', async () => {
    const flight = singleFlight<string>();
    const [a, b] = [{}, {}];
    expect(await Promise.all([flight(a, 'k', async () => 'a'), flight(b, 'k', async () => 'b'), flight(a, 'j', async () => 'j')])).toEqual(['a', 'b', 'j']);
    const failing = () => flight(a, 'f', async () => Promise.reject(new Error('ClickHouse away')));
    await expect(Promise.all([failing(), failing()])).rejects.toThrow('ClickHouse away');
    expect(await flight(a, 'f', async () => 'back')).toBe('back');
  });
});
