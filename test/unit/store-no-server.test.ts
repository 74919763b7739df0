// noServerAt (src/store/shards.ts): a replica where no server listens runs nothing, and a wait for its
// writes passes it over; anything else (a timeout, a reset, a server error) must not be taken for that.
import net from 'node:net';
import vm from 'node:vm';
import { ClickHouseError } from '../../src/errors';
import { createClickHouse, noServerAt, sql } from '../../src/store';

describe('no server at a replica', () => {
  it('is a refused connection, through the client and its causes', async () => {
    // A port nobody listens on: taken, then let go.
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const ch = createClickHouse({ url: `http://127.0.0.1:${port}`, database: 'default', username: 'default', requestTimeoutMs: 5000 }, { database: 'default' });
    const err = await ch.query(sql`SELECT 1`).catch((e: unknown) => e);
    await ch.close();
    expect(err).toBeInstanceOf(ClickHouseError);
    expect(noServerAt(err)).toBe(true);
  });

  it("is recognised when the socket error comes from another realm (not instanceof this realm's Error)", () => {
    const foreign = vm.runInNewContext("Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })") as object;
    expect(foreign instanceof Error).toBe(false);
    expect(noServerAt(new ClickHouseError('ClickHouse unreachable during query', { retriable: true, cause: foreign }))).toBe(true);
  });

  it('is not a reset, a timeout or a server error; and a cycle of causes ends', () => {
    for (const code of ['ECONNRESET', 'ETIMEDOUT', 'EPIPE', undefined]) {
      expect(noServerAt(new ClickHouseError('x', { retriable: true, cause: Object.assign(new Error('y'), { code }) }))).toBe(false);
    }
    const cycle = new Error('its own cause') as Error & { cause?: unknown };
    cycle.cause = cycle;
    expect(noServerAt(cycle)).toBe(false);
    expect(noServerAt(undefined)).toBe(false);
    expect(noServerAt('ECONNREFUSED')).toBe(false);
  });
});
