// The chain's pure parts: canonical content (the same row from 18.16 and from a modern server hashes the
// same), link hashes that cover everything a link says, the sealing order, heads as reports print them.
import { contentHash, GENESIS, linkHash, parseHead, type ChainLink } from '../../src/chain';
import { nextLink } from '../../src/chain/links';
import { compareRecords } from '../../src/chain/records';
import { chainedTable } from '../../src/chain/tables';

const actions = chainedTable('alert_actions');
const row = {
  action_id: 'a1', alert_id: 'al_1', at: '2026-11-01 10:00:00', at_ms: 5, actor: 'ana', action: 'note', assignee: '', disposition: '', note: 'called', snooze_until: '1970-01-01 00:00:00', suppression_id: '',
};

describe('chain content hashes', () => {
  it('hash the same row the same whatever width or zero-date form the server printed', () => {
    const h = contentHash(actions, row);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    // 18.16 prints the zero DateTime as 0000-00-00 00:00:00; numbers may come quoted (64-bit) or not.
    expect(contentHash(actions, { ...row, snooze_until: '0000-00-00 00:00:00', at_ms: '5' })).toBe(h);
    // A column the chain does not cover does not change it (columns are listed, never SELECT *).
    expect(contentHash(actions, { ...row, added_later: 'x' })).toBe(h);
  });

  it('change with any covered column, and with the chain they belong to', () => {
    const h = contentHash(actions, row);
    for (const c of actions.columns) expect([c, contentHash(actions, { ...row, [c]: `${String(row[c as keyof typeof row])}x` })]).not.toEqual([c, h]);
    // The same values in another table's chain are another record.
    expect(contentHash({ ...actions, chain: 'other' }, row)).not.toBe(h);
    // Values cannot run into each other: "ab"+"" differs from "a"+"b".
    expect(contentHash(actions, { ...row, assignee: 'ab', disposition: '' })).not.toBe(contentHash(actions, { ...row, assignee: 'a', disposition: 'b' }));
  });
});

describe('links', () => {
  const rec = (key: string, stamp: number, ms = 0) => ({ key, stamp, ms, partition: '202611', contentHash: 'c'.repeat(64) });

  it('start from the genesis, carry the previous link, and hash everything they say', () => {
    const first = nextLink('alert_actions', null, rec('a1', 100));
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS });
    const second = nextLink('alert_actions', first, rec('a2', 101));
    expect(second).toMatchObject({ seq: 2, prevHash: first.linkHash });
    const { linkHash: h, ...said } = second;
    expect(linkHash(said)).toBe(h);
    const fields: Array<keyof Omit<ChainLink, 'linkHash'>> = ['chain', 'seq', 'prevHash', 'recordKey', 'contentHash', 'recordStamp', 'recordMs', 'recordPartition'];
    for (const f of fields) {
      const changed = { ...said, [f]: typeof said[f] === 'number' ? (said[f] as number) + 1 : `${String(said[f])}x` };
      expect([f, linkHash(changed)]).not.toEqual([f, h]);
    }
  });

  it('are sealed in (stamp, ms, key, content) order, the same for every sealer', () => {
    const rows = [rec('b', 100, 5), rec('a', 100, 5), rec('z', 99, 999), { ...rec('a', 100, 5), contentHash: 'b'.repeat(64) }];
    expect([...rows].sort(compareRecords).map((r) => `${r.stamp}.${r.ms} ${r.key} ${r.contentHash[0]}`)).toEqual(['99.999 z c', '100.5 a b', '100.5 a c', '100.5 b c']);
  });
});

describe('heads', () => {
  it('parse as reports print them, and nothing else', () => {
    expect(parseHead(`audit_log:42:${'a'.repeat(64)}`)).toEqual({ chain: 'audit_log', seq: 42, linkHash: 'a'.repeat(64) });
    for (const bad of ['audit_log:42', `audit_log:-1:${'a'.repeat(64)}`, `audit_log:4:${'A'.repeat(64)}`, `x;DROP:1:${'a'.repeat(64)}`]) expect(parseHead(bad)).toBeNull();
  });
});
