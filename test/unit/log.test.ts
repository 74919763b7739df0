import { Writable } from 'node:stream';
import { createLogger } from '../../src/log';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, log: createLogger({ level: 'info', destination }) };
}

describe('createLogger', () => {
  it('redacts secrets wherever they appear in a log object', () => {
    const { lines, log } = capture();
    log.info(
      {
        password: 'p1',
        clickhouse: { password: 'p2' },
        config: { clickhouse: { password: 'p3' }, kafka: { sasl: { password: 'p4' } } },
        req: { headers: { authorization: 'Bearer t0k3n' } },
        channel: { routingKey: 'pd-key', token: 'slack-token' },
        user: 'alice@example.com',
      },
      'connected',
    );
    const out = lines.join('');
    for (const secret of ['p1', 'p2', 'p3', 'p4', 't0k3n', 'pd-key', 'slack-token']) expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
    expect(JSON.parse(lines[0])).toMatchObject({ msg: 'connected', user: 'alice@example.com', level: 30 });
  });

  it('respects the level', () => {
    const { lines, log } = capture();
    log.debug('hidden');
    log.warn('shown');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]).msg).toBe('shown');
  });
});
