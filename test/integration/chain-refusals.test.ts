// The audit trail's chain against what anyone can write to it without a token: refused requests. Beyond
// the entries written one by one, a window's refusals are summed up in one entry when the window ends;
// that entry must be stamped when it is written, or a sealer that ran in between has already sealed past
// its place and `audit verify` fails for good (api.rateLimit.windowMs of 5 minutes: an unauthenticated
// caller breaks the auditors' record with 11 bad tokens).
import { createRefusalAudit } from '../../src/api/refusal-audit';
import { sealChains, verifyChains } from '../../src/chain';
import { createLogger } from '../../src/log';
import { type ClickHouse } from '../../src/store';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

const config = testConfig();
const SECOND = 1000;

describe('refused requests in the chained audit trail (real ClickHouse)', () => {
  const database = uniqueName('it_chain_refusals');
  let admin: ClickHouse;
  let ch: ClickHouse;

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, config.clickhouse));
  });
  afterAll(async () => {
    await dropDatabase(database, { admin, ch });
  });

  it('a window summary written after a seal does not break verification', async () => {
    const windowMs = 300 * SECOND;
    // A clock at the start of a window, some minutes ago, so the sealer's grace period has passed.
    const t0 = Math.floor((Date.now() - 20 * 60 * SECOND) / windowMs) * windowMs + 1500;
    let clock = t0;
    const refusals = createRefusalAudit({ ch, log: createLogger({ level: 'silent' }), now: () => clock, windowMs, perAddress: 2 });
    let n = 0;
    const refuse = (ip: string) =>
      refusals.record({ action: 'auth.failed', actor: '', target: 'GET /api/alerts', sourceIp: ip, requestId: `req-${++n}`, details: { reason: 'unknown' } });
    // Five bad tokens from one address at the window's start: two written, three held for the summary.
    for (let i = 0; i < 5; i++) refuse('198.51.100.9');
    // Another address, 20 s later: written at once.
    clock = t0 + 20 * SECOND;
    refuse('198.51.100.10');
    // Let the immediate writes land, then a sealer runs 3 minutes into the window (grace 2 minutes).
    await new Promise((r) => setTimeout(r, 500));
    const sealed = await sealChains(ch, { now: t0 + 180 * SECOND, chains: ['audit_log'] });
    expect(sealed[0].sealed).toBe(3);
    // The window ends; the next refusal rolls it and writes the summary of the three held ones.
    clock = t0 + windowMs + 10 * SECOND;
    refuse('198.51.100.11');
    await refusals.close();
    const [audit] = await verifyChains(ch, { chains: ['audit_log'] });
    expect(audit.problems).toEqual([]);
    expect(audit.ok).toBe(true);
  });
});
