// A TCP proxy in front of ClickHouse that can stop passing on what the client sends, part-way through a
// request, as a writer frozen in the middle of sending it would (SIGSTOP, a frozen VM): the server has
// the request's start and waits for the rest. What the server answers still reaches the client. Or it
// ends the request there, as the kernel does for a writer killed mid-request (cut).
import net from 'node:net';

export interface StallingProxy {
  /** http://127.0.0.1:<port>: give it to a client as its ClickHouse URL. */
  url: string;
  /** From now on, passes on `bytes` more of what clients send, then holds the rest back. */
  stallAfter(bytes: number): void;
  /** True once something is being held back. */
  stalled(): boolean;
  /** Passes on what was held back, and everything after it. */
  resume(): void;
  /**
   * Drops what was held back and closes the connections it was for cleanly (FIN), as the kernel does for a
   * writer killed mid-request: the server sees the request end there.
   */
  cut(): void;
  close(): Promise<void>;
}

export async function stallingProxy(target: string): Promise<StallingProxy> {
  const to = new URL(target);
  let allowance = Infinity;
  const held: Array<{ upstream: net.Socket; chunk: Buffer }> = [];
  const sockets = new Set<net.Socket>();
  const forward = (upstream: net.Socket, chunk: Buffer) => {
    if (held.length > 0 || allowance <= 0) return void held.push({ upstream, chunk });
    const n = Math.min(chunk.length, allowance);
    allowance -= n;
    upstream.write(chunk.subarray(0, n));
    if (n < chunk.length) held.push({ upstream, chunk: chunk.subarray(n) });
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(to.port), to.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.on('data', (chunk: Buffer) => forward(upstream, chunk));
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stallAfter(bytes) {
      allowance = bytes;
    },
    stalled: () => held.length > 0,
    resume() {
      allowance = Infinity;
      for (const { upstream, chunk } of held.splice(0)) if (!upstream.destroyed) upstream.write(chunk);
    },
    cut() {
      for (const { upstream } of held.splice(0)) upstream.end();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
