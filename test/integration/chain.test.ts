// The tamper-evident record against the real ClickHouse, as an attacker with write access to it would
// work: rows of every chained table edited (a mutation), deleted (a mutation) and inserted (backdated),
// links altered and removed. `audit verify` (the built CLI too) must name each tampered record and the
// first broken link of each chain, while untouched history still verifies. Then several processes append
// at once (CLI triage runs, in-process audit entries in the same millisecond, alert revisions) while two
// sealer processes run concurrently: no chain forks or breaks.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeAlerts, type AlertRecord } from '../../src/alerts';
import { MS_PER_DAY } from '../../src/calendar';
import { chainedTable, chainHeads, headLink, readLinks, readRecords, sealChains, verifyChains, type ChainVerification } from '../../src/chain';
import { nextLink, writeLinks } from '../../src/chain/links';
import { recordManifest } from '../../src/report/manifest-record';
import { recordRetention } from '../../src/retention';
import { ClickHouseError } from '../../src/errors';
import { sql, type ClickHouse } from '../../src/store';
import { audit, entryOf, recordAction, type Actor } from '../../src/triage';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';
import { syntheticAlert } from '../helpers/api-fixture';
import { waitUntil } from '../helpers/wait';

const bin = path.join(__dirname, '..', '..', 'bin', 'insider.js');
const MIN = 60_000;
const actor: Actor = { name: 'ana.analyst', role: 'analyst', sourceIp: '10.1.2.3', requestId: 'req-0' };

function alertAt(id: string, revision: number, wall: number): AlertRecord {
  const day = Math.floor(wall / MS_PER_DAY) - 1;
  return { ...syntheticAlert('ana@corp.example', day, { id }), revision, observedBytes: 1_000_000_000 * revision, createdAtWall: wall, updatedAtWall: wall };
}

async function mutationsDone(ch: ClickHouse): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const [r] = await ch.query<{ n: string }>(sql`SELECT count() AS n FROM system.mutations WHERE database = ${ch.database} AND is_done = 0`);
    if (Number(r.n) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('mutations did not finish');
}

const byChain = (results: ChainVerification[], chain: string) => results.find((r) => r.chain === chain)!;

describe('hash chains over the record (real ClickHouse)', () => {
  const config = testConfig();
  describe('tampering with each chained table', () => {
    const database = uniqueName('it_chain_tamper');
    let admin: ClickHouse;
    let ch: ClickHouse;
    const T0 = Date.now() - 3 * 3_600_000;
    const at = (i: number) => T0 + i * 10 * MIN + 123;
    // Keys of the records of each chain, in the order written (index 1 is edited, 3 deleted; one is inserted between 0 and 1).
    const keys: Record<string, string[]> = { alerts: [], alert_actions: [], audit_log: [], report_manifests: [], retention_log: [] };

    beforeAll(async () => {
      ({ admin, ch } = await freshDatabase(database, config.clickhouse));
      for (let i = 0; i < 5; i++) {
        await writeAlerts(ch, [alertAt(`al_chain_${i % 2}`, Math.floor(i / 2) + 1, at(i))]);
        keys.alerts.push(`al_chain_${i % 2}#${Math.floor(i / 2) + 1}`);
        const a = await recordAction(ch, 'al_chain_0', actor.name, { action: 'note', note: `note ${i}` }, at(i));
        keys.alert_actions.push(a.actionId);
        await audit(ch, entryOf({ ...actor, requestId: `req-${i}` }, at(i), 'alert.view', 'al_chain_0'));
        keys.audit_log.push(`req-${i}`);
        keys.report_manifests.push(await recordManifest(ch, { at: at(i), title: `report ${i}`, period: { kind: 'day', from: T0 - MS_PER_DAY, to: T0 }, outDir: `/reports/${i}`, manifestSha256: 'a'.repeat(64), heads: [] }));
        await recordRetention(ch, { runId: `run_${i}`, at: at(i), rows: [{ table: 'access_events', partition: `2026010${i}`, action: 'kept_held', rows: 0, detail: 'held' }] });
        keys.retention_log.push(`run_${i}`);
      }
    });
    afterAll(async () => {
      await dropDatabase(database, { admin, ch });
    });

    it('seals every row once, and the untouched record verifies', async () => {
      const sealed = await sealChains(ch);
      expect(sealed.map((s) => [s.chain, s.sealed])).toEqual([['alerts', 5], ['alert_actions', 5], ['audit_log', 5], ['report_manifests', 5], ['retention_log', 5]]);
      // A second seal adds nothing: links are not written twice.
      expect((await sealChains(ch)).map((s) => s.sealed)).toEqual([0, 0, 0, 0, 0]);
      const results = await verifyChains(ch);
      for (const r of results) {
        expect([r.chain, r.ok, r.links, r.verified, r.problems]).toEqual([r.chain, true, 5, 5, []]);
      }
    });

    it('names each row edited, deleted or inserted directly in ClickHouse, and the first broken link', async () => {
      const headsBefore = await chainHeads(ch);
      // Edits (mutations, as an administrator would run them), on the second row of each chain.
      await ch.exec(sql`ALTER TABLE alerts UPDATE observed_bytes = 1 WHERE alert_id = 'al_chain_1' AND revision = 1`);
      await ch.exec(sql`ALTER TABLE alert_actions UPDATE note = 'nothing to see' WHERE action_id = ${keys.alert_actions[1]}`);
      await ch.exec(sql`ALTER TABLE audit_log UPDATE target = 'al_other' WHERE request_id = 'req-1'`);
      await ch.exec(sql`ALTER TABLE report_manifests UPDATE manifest_sha256 = ${'b'.repeat(64)} WHERE report_id = ${keys.report_manifests[1]}`);
      await ch.exec(sql`ALTER TABLE retention_log UPDATE detail = 'dropped' WHERE run_id = 'run_1'`);
      // Deletions of the fourth row.
      await ch.exec(sql`ALTER TABLE alerts DELETE WHERE alert_id = 'al_chain_1' AND revision = 2`);
      await ch.exec(sql`ALTER TABLE alert_actions DELETE WHERE action_id = ${keys.alert_actions[3]}`);
      await ch.exec(sql`ALTER TABLE audit_log DELETE WHERE request_id = 'req-3'`);
      await ch.exec(sql`ALTER TABLE report_manifests DELETE WHERE report_id = ${keys.report_manifests[3]}`);
      await ch.exec(sql`ALTER TABLE retention_log DELETE WHERE run_id = 'run_3'`);
      await mutationsDone(ch);
      // Backdated inserts between the first and the second row, through the same writers.
      const forged = at(0) + 5 * MIN;
      await writeAlerts(ch, [alertAt('al_forged', 1, forged)]);
      const forgedAction = await recordAction(ch, 'al_chain_0', 'someone', { action: 'resolve', disposition: 'false_positive' }, forged);
      await audit(ch, entryOf({ ...actor, requestId: 'req-forged' }, forged, 'alert.resolve', 'al_chain_0'));
      const forgedReport = await recordManifest(ch, { at: forged, title: 'forged', period: { kind: 'day', from: T0 - MS_PER_DAY, to: T0 }, outDir: '/x', manifestSha256: 'c'.repeat(64), heads: [] });
      await recordRetention(ch, { runId: 'run_forged', at: forged, rows: [{ table: 'audit_log', partition: '202601', action: 'dropped', rows: 1, detail: '' }] });

      const results = await verifyChains(ch);
      const expectations: Record<string, { changed: RegExp; deleted: RegExp; inserted: RegExp }> = {
        alerts: { changed: /^alert al_chain_1 revision 1 \(link 2\) was changed/, deleted: /^alert al_chain_1 revision 2 \(link 4,.*was deleted/, inserted: /^alert al_forged revision 1, written .* is not in the chain/ },
        alert_actions: { changed: new RegExp(`^triage action ${keys.alert_actions[1]} \\(link 2\\) was changed`), deleted: new RegExp(`^triage action ${keys.alert_actions[3]} \\(link 4,.*was deleted`), inserted: new RegExp(`^triage action ${forgedAction.actionId}, written`) },
        audit_log: { changed: /^audit entry .* alert\.view request req-1 \(link 2\) was changed/, deleted: /^audit entry .* request req-3 \(link 4,.*was deleted/, inserted: /^audit entry .* alert\.resolve request req-forged, written/ },
        report_manifests: { changed: new RegExp(`^report ${keys.report_manifests[1]} \\(link 2\\) was changed`), deleted: new RegExp(`^report ${keys.report_manifests[3]} \\(link 4,.*was deleted`), inserted: new RegExp(`^report ${forgedReport}, written`) },
        retention_log: { changed: /^retention record run_1 access_events 20260101 \(link 2\) was changed/, deleted: /^retention record run_3 access_events 20260103 \(link 4,.*was deleted/, inserted: /^retention record run_forged audit_log 202601, written/ },
      };
      for (const [chain, e] of Object.entries(expectations)) {
        const r = byChain(results, chain);
        expect(r.ok).toBe(false);
        const messages = r.problems.map((p) => `${p.kind}: ${p.message}`);
        expect(r.problems).toHaveLength(3);
        expect(messages.find((m) => m.startsWith('record-changed: '))?.slice('record-changed: '.length)).toMatch(e.changed);
        expect(messages.find((m) => m.startsWith('record-deleted: '))?.slice('record-deleted: '.length)).toMatch(e.deleted);
        expect(messages.find((m) => m.startsWith('record-not-in-chain: '))?.slice('record-not-in-chain: '.length)).toMatch(e.inserted);
        // The first broken link: the forged row belongs before link 2, which is also the edited one.
        expect(r.problems[0].seq).toBe(2);
        // The untouched rows still verify.
        expect(r.verified).toBe(3);
      }
      // The sealer never seals a backdated row into its place. This one is less than an hour behind the
      // newest row sealed: it is sealed at the tip as a late link, and listed as one.
      await sealChains(ch);
      const alerts = byChain(await verifyChains(ch), 'alerts');
      expect(alerts.problems.map((p) => p.kind)).toEqual(['record-changed', 'record-deleted']);
      expect(alerts.late).toEqual([expect.stringMatching(/^alert al_forged revision 1 \(link 6\), written /)]);
      // Untouched history verifies: the first row's period.
      for (const r of await verifyChains(ch, { to: at(0) + MIN })) expect([r.chain, r.ok, r.verified]).toEqual([r.chain, true, 1]);
      // The heads kept from before still hold: the links were not touched, only rows.
      expect((await verifyChains(ch, { heads: headsBefore.map((h) => ({ chain: h.chain, seq: h.seq, linkHash: h.linkHash })) })).flatMap((r) => r.problems.filter((p) => p.kind === 'head-not-found'))).toEqual([]);

      // The CLI says the same, with exit code 4.
      const cli = spawnSync(process.execPath, [bin, 'audit', 'verify'], { encoding: 'utf8', env: { ...process.env, INSIDER_CLICKHOUSE_DATABASE: database, INSIDER_LOG_LEVEL: 'warn' }, timeout: 60_000 });
      expect(cli.status).toBe(4);
      expect(cli.stdout).toMatch(/^alerts\s+BROKEN at link 2\s+6\s+4\s+0\s+0\s+1\s/m);
      expect(cli.stdout).toContain('alerts: first broken link 2: alert al_chain_1 revision 1 (link 2) was changed');
      expect(cli.stdout).toMatch(/audit_log: first broken link 2: /);
    });

    it('names links altered or removed, and a kept head that history no longer passes through', async () => {
      const heads = await chainHeads(ch);
      const audited = heads.find((h) => h.chain === 'audit_log')!;
      // Rewrite the audit_log chain's link 3 (its record, content and hash recomputed by the attacker) and remove link 1 of alerts.
      await ch.exec(sql`ALTER TABLE chain_links UPDATE content_hash = ${'d'.repeat(64)} WHERE chain = 'audit_log' AND seq = 3`);
      await ch.exec(sql`ALTER TABLE chain_links DELETE WHERE chain = 'alert_actions' AND seq = 5`);
      await ch.exec(sql`ALTER TABLE chain_links DELETE WHERE chain = 'alerts' AND seq = 1`);
      await mutationsDone(ch);
      const results = await verifyChains(ch, { heads: [{ chain: 'audit_log', seq: audited.seq, linkHash: audited.linkHash }, { chain: 'alert_actions', seq: 5, linkHash: heads[1].linkHash }] });
      const kinds = (chain: string) => byChain(results, chain).problems.map((p) => `${p.seq} ${p.kind}`);
      expect(kinds('audit_log')).toContain('3 link-altered');
      expect(kinds('alerts')[0]).toBe('1 links-missing');
      // alert_actions' head link 5 is gone: the kept head names it, and its row is now unsealed.
      expect(kinds('alert_actions')[0]).toBe('5 head-not-found');
      expect(byChain(results, 'alert_actions').problems[0].message).toMatch(/link 5 is gone/);
    });
  });

  describe('concurrent writers and sealers', () => {
    const database = uniqueName('it_chain_concurrent');
    let admin: ClickHouse;
    let ch: ClickHouse;
    const env = { ...process.env, INSIDER_CLICKHOUSE_DATABASE: '', INSIDER_LOG_LEVEL: 'warn', INSIDER_PSEUDONYM_KEY: 'chain-test-key-0123456789' };

    beforeAll(async () => {
      ({ admin, ch } = await freshDatabase(database, config.clickhouse));
      env.INSIDER_CLICKHOUSE_DATABASE = database;
      await writeAlerts(ch, [alertAt('al_conc_a', 1, Date.now() - 60 * MIN), alertAt('al_conc_b', 1, Date.now() - 60 * MIN)]);
    });
    afterAll(async () => {
      await dropDatabase(database, { admin, ch });
    });

    const run = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const p = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        p.on('close', (code) => resolve({ code, stderr }));
      });

    it('appends from several processes at once while two sealers run, and no chain forks or breaks', async () => {
      let writing = true;
      // Three CLI processes at a time, each run writing a triage action and an audit entry.
      const cliWriters = [0, 1, 2].map(async (w) => {
        for (let i = 0; i < 3; i++) {
          const r = await run(['alerts', 'note', w % 2 ? 'al_conc_a' : 'al_conc_b', `writer ${w} note ${i}`, '--as', `writer-${w}`]);
          expect([r.code, r.stderr]).toEqual([0, '']);
        }
      });
      // In this process: bursts of audit entries stamped in the same millisecond, and alert revisions.
      const inProcess = (async () => {
        for (let burst = 0; burst < 4; burst++) {
          const now = Date.now();
          await Promise.all(Array.from({ length: 20 }, (_, i) => audit(ch, entryOf({ ...actor, requestId: `burst-${burst}-${i}` }, now, 'alert.view', 'al_conc_a'))));
          // Stamped when written: a row stamped earlier and landing later than the grace is "inserted after sealing".
          await writeAlerts(ch, [alertAt('al_conc_a', burst + 2, Date.now())]);
          await new Promise((resolve) => setTimeout(resolve, 400));
        }
      })();
      // Two sealer processes, running at the same time, over and over, while the writers write. The grace
      // is the longest an insert may take to land (here the 20 inserts of a burst, on a busy CI machine).
      const sealers = [0, 1].map(async () => {
        let runs = 0;
        while (writing || runs < 2) {
          const r = await run(['audit', 'seal', '--grace-seconds', '10']);
          expect([r.code, r.stderr]).toEqual([0, '']);
          runs++;
        }
        return runs;
      });
      await Promise.all([...cliWriters, inProcess]);
      await new Promise((resolve) => setTimeout(resolve, 10_500));
      writing = false;
      const runs = await Promise.all(sealers);
      expect(Math.min(...runs)).toBeGreaterThanOrEqual(2);
      await sealChains(ch, { graceMs: 0 });

      const results = await verifyChains(ch);
      for (const r of results) expect([r.chain, r.ok, r.problems, r.pending]).toEqual([r.chain, true, [], 0]);
      expect(byChain(results, 'alert_actions').verified).toBe(9);
      expect(byChain(results, 'audit_log').verified).toBe(9 + 80);
      expect(byChain(results, 'alerts').verified).toBe(2 + 4);
      // Two sealers wrote some links twice, identically: one link per seq, seqs 1..n without a gap.
      for (const chain of ['alert_actions', 'audit_log', 'alerts']) {
        const links = await readLinks(ch, chain);
        expect(links.map((l) => l.seq)).toEqual(links.map((_, i) => i + 1));
      }
    });
  });

  // A detector's alert revision can land minutes after its stamp (an insert whose answer was lost:
  // src/alerts/landing.ts); sealed past it, the verifier would name it as inserted after sealing.
  describe('a chain that cannot be sealed', () => {
    const database = uniqueName('it_chain_seal_fail');
    let admin: ClickHouse;
    let ch: ClickHouse;
    const env = { ...process.env, INSIDER_CLICKHOUSE_DATABASE: database, INSIDER_LOG_LEVEL: 'warn', INSIDER_CONFIG: '' };
    const seal = (args: string[]) => spawnSync(process.execPath, [bin, 'audit', 'seal', '--grace-seconds', '0', ...args], { env, encoding: 'utf8' });

    beforeAll(async () => {
      ({ admin, ch } = await freshDatabase(database, config.clickhouse));
      // One chained table gone (dropped by hand, a failed restore): its chain cannot be read.
      await ch.exec(sql`DROP TABLE report_manifests`);
    });
    afterAll(async () => {
      await dropDatabase(database, { admin, ch });
    });

    it('does not keep the others from being sealed, and audit seal prints what they sealed before failing', async () => {
      const now = Date.now() - 5 * MIN;
      await writeAlerts(ch, [alertAt('al_seal_fail', 1, now)]);
      await audit(ch, entryOf(actor, now, 'alert.view', 'al_seal_fail'));
      const cli = seal([]);
      expect(cli.status).toBe(1);
      expect(cli.stderr).toMatch(/^error: ClickHouse rejected the query: Table \S+\.report_manifests doesn't exist/);
      const rows = cli.stdout.trim().split('\n').map((l) => l.split(/\s+/).slice(0, 2).join(' '));
      expect(rows).toEqual(['CHAIN SEALED', 'alerts 1', 'alert_actions 0', 'audit_log 1', 'retention_log 0', 'report_manifests FAILED']);
      expect((await headLink(ch, 'alerts'))?.seq).toBe(1);
      expect((await headLink(ch, 'audit_log'))?.seq).toBe(1);

      // --json prints both; the library's sealChains seals the others too, then throws the failure as it was thrown.
      await writeAlerts(ch, [alertAt('al_seal_fail', 2, now + 1000)]);
      const json = seal(['--json']);
      expect(json.status).toBe(1);
      const out = JSON.parse(json.stdout) as { sealed: Array<{ chain: string; sealed: number }>; failed: Array<{ chain: string; error: string }> };
      expect(out.sealed.map((r) => [r.chain, r.sealed])).toEqual([['alerts', 1], ['alert_actions', 0], ['audit_log', 0], ['retention_log', 0]]);
      expect(out.failed.map((f) => [f.chain, f.error.includes("report_manifests doesn't exist")])).toEqual([['report_manifests', true]]);
      expect((await headLink(ch, 'alerts'))?.seq).toBe(2);
      await audit(ch, entryOf(actor, now + 2000, 'alert.view', 'al_seal_fail'));
      await expect(sealChains(ch, { graceMs: 0 })).rejects.toBeInstanceOf(ClickHouseError);
      expect((await headLink(ch, 'audit_log'))?.seq).toBe(2);
    });
  });

  describe("the sealer's grace period follows the configured time-outs", () => {
    const database = uniqueName('it_chain_grace');
    let admin: ClickHouse;
    let ch: ClickHouse;
    let dir: string;
    const env = { ...process.env, INSIDER_CLICKHOUSE_DATABASE: '', INSIDER_LOG_LEVEL: 'warn', INSIDER_CONFIG: '' };

    beforeAll(async () => {
      ({ admin, ch } = await freshDatabase(database, config.clickhouse));
      env.INSIDER_CLICKHOUSE_DATABASE = database;
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chain-grace-'));
    });
    afterAll(async () => {
      fs.rmSync(dir, { recursive: true, force: true });
      await dropDatabase(database, { admin, ch });
    });

    const seal = (args: string[], extra: Record<string, string> = {}) => {
      const r = spawnSync(process.execPath, [bin, 'audit', 'seal', ...args], { env: { ...env, ...extra }, encoding: 'utf8' });
      expect([r.status, r.stderr]).toEqual([0, '']);
      return r.stdout;
    };
    const pending = async () => byChain(await verifyChains(ch), 'alerts').pending;

    it('leaves a revision younger than the longest it can take to land for the next seal', async () => {
      const now = Date.now();
      await writeAlerts(ch, [alertAt('al_grace_a', 1, now - 300_000), alertAt('al_grace_b', 1, now - 90_000)]);
      // A 5 min ClickHouse request time-out: a revision can land 6.5 min after its stamp; neither is sealed.
      const file = path.join(dir, 'long-timeouts.yaml');
      fs.writeFileSync(file, 'clickhouse:\n  requestTimeoutMs: 300000\n');
      seal([], { INSIDER_CONFIG: file });
      expect(await pending()).toBe(2);
      // The defaults (60 s, 30 s session, 30 s retry): about 2.5 min; the 5-min-old one is sealed, the other waits.
      seal([]);
      expect(await pending()).toBe(1);
      // Asked for explicitly, a shorter grace is taken.
      // --json has the same shape as when a chain fails: nothing failed.
      const out = JSON.parse(seal(['--grace-seconds', '30', '--json'])) as { sealed: Array<{ chain: string; sealed: number }>; failed: unknown[] };
      expect([out.sealed.find((r) => r.chain === 'alerts')?.sealed, out.failed]).toEqual([1, []]);
      const results = await verifyChains(ch);
      expect([byChain(results, 'alerts').ok, byChain(results, 'alerts').pending, byChain(results, 'alerts').verified]).toEqual([true, 0, 2]);
    });
  });

  describe('rows that land after their place was sealed', () => {
    const database = uniqueName('it_chain_late');
    let admin: ClickHouse;
    let ch: ClickHouse;
    beforeAll(async () => {
      ({ admin, ch } = await freshDatabase(database, config.clickhouse));
    });
    afterAll(async () => {
      await dropDatabase(database, { admin, ch });
    });

    it('seals a revision that landed after later ones were sealed as a late link, lists it, and still names a row backdated past the hour', async () => {
      const now = Date.now();
      const seal = async (at = now) => (await sealChains(ch, { now: at, graceMs: 120_000, chains: ['alerts'] }))[0];
      const problems = async (opts: { from?: number; to?: number } = {}) => byChain(await verifyChains(ch, { ...opts, chains: ['alerts'] }), 'alerts').problems.map((p) => [p.kind, p.seq]);
      await writeAlerts(ch, [alertAt('al_on_time', 1, now - 20 * MIN), alertAt('al_after', 1, now - 10 * MIN)]);
      expect(await seal()).toMatchObject({ sealed: 2, late: 0 });
      // An insert stuck for minutes lands now (18.16 cannot kill it); a forged one is backdated by two hours.
      await writeAlerts(ch, [alertAt('al_late', 1, now - 15 * MIN), alertAt('al_forged', 1, now - 120 * MIN)]);
      expect(await problems()).toEqual([
        ['record-not-in-chain', 1],
        ['record-not-in-chain', 2],
      ]);

      // The next seal comes more than an hour after the late row's stamp (only a daily report seals, say):
      // the line is drawn from the newest row sealed, not from the clock.
      await writeAlerts(ch, [alertAt('al_next', 1, now - 5 * MIN)]);
      expect(await seal(now + 65 * MIN)).toMatchObject({ sealed: 2, late: 1 });
      const alerts = byChain(await verifyChains(ch), 'alerts');
      expect(alerts.problems.map((p) => `${p.kind}: ${p.message}`)).toEqual([expect.stringMatching(/^record-not-in-chain: alert al_forged revision 1, written /)]);
      expect(alerts.late).toEqual([expect.stringMatching(/^alert al_late revision 1 \(link 3\), written /)]);
      expect([alerts.verified, alerts.pending]).toEqual([4, 0]);
      // Sealing again adds nothing: the late row is sealed once.
      expect(await seal()).toMatchObject({ sealed: 0, late: 0 });

      // A period verifies on its own, whether it holds the late link, the links around it, or both.
      for (const [from, to, links, late] of [
        [now - 16 * MIN, now - 14 * MIN, 1, 1],
        [now - 11 * MIN, now - 4 * MIN, 2, 0],
        [now - 21 * MIN, now - 9 * MIN, 3, 1],
      ]) {
        const r = byChain(await verifyChains(ch, { from, to, chains: ['alerts'] }), 'alerts');
        expect({ from, ok: r.ok, links: r.links, verified: r.verified, late: r.late.length, problems: r.problems }).toEqual({ from, ok: true, links, verified: links, late, problems: [] });
      }

      // The CLI lists it (and exits 4: the forged row).
      const cli = spawnSync(process.execPath, [bin, 'audit', 'verify', '--chain', 'alerts'], { encoding: 'utf8', env: { ...process.env, INSIDER_CLICKHOUSE_DATABASE: database, INSIDER_LOG_LEVEL: 'warn' }, timeout: 60_000 });
      expect(cli.status).toBe(4);
      expect(cli.stdout).toContain('alerts: 1 row(s) landed after later rows were sealed, and were sealed late (at most 1 h behind the newest sealed before them):\n  alert al_late revision 1 (link 3), written');

      // A sealed row changed is not sealed again as a late one: it is named.
      await ch.exec(sql`ALTER TABLE alerts UPDATE observed_bytes = 1 WHERE alert_id = 'al_late'`);
      await mutationsDone(ch);
      expect(await seal()).toMatchObject({ sealed: 0, late: 0 });
      expect(await problems()).toEqual([
        ['record-not-in-chain', 1],
        ['record-changed', 3],
      ]);
      // A row written into the past after the last seal is named by a period's verification too, not
      // taken for one waiting to be sealed.
      await writeAlerts(ch, [alertAt('al_unsealed', 1, now - 13 * MIN)]);
      expect(await problems({ from: now - 14 * MIN, to: now - 12 * MIN })).toEqual([['record-not-in-chain', 4]]);

      // A link added by hand for a row backdated past the hour (its hashes are keyless, anyone who can
      // write chain_links can make one): named, not listed as late.
      const [forged] = await readRecords(ch, chainedTable('alerts'), { keys: ['al_forged#1'] });
      const head = await headLink(ch, 'alerts');
      await writeLinks(ch, [nextLink('alerts', head, forged)], 'someone', now);
      const after = byChain(await verifyChains(ch, { chains: ['alerts'] }), 'alerts');
      expect(after.problems.map((p) => [p.kind, p.seq])).toEqual([
        ['record-not-in-chain', 2],
        ['record-changed', 3],
        ['link-backdated', 5],
      ]);
      expect(after.late).toHaveLength(1);
    });
  });

  describe('sealers under load', () => {
    let database: string;
    let admin: ClickHouse;
    let ch: ClickHouse;
    beforeEach(async () => {
      database = uniqueName('it_chain_load');
      ({ admin, ch } = await freshDatabase(database, config.clickhouse));
    });
    afterEach(async () => {
      await dropDatabase(database, { admin, ch });
    });

    it('seals six thousand late rows a thousand a pass, and no newer row until they are all sealed', async () => {
      const now = Date.now();
      const seal = async () => (await sealChains(ch, { now, graceMs: 120_000, chains: ['alerts'] }))[0];
      await writeAlerts(ch, [alertAt('al_first', 1, now - 60 * MIN), alertAt('al_second', 1, now - 30 * MIN)]);
      expect(await seal()).toMatchObject({ sealed: 2 });
      // A flood 50 min behind the newest sealed (one INSERT: anyone who can write the table), and a row
      // after it: sealed first, it would move the hour past the flood.
      await writeAlerts(ch, Array.from({ length: 6000 }, (_, i) => alertAt(`al_flood_${String(i).padStart(4, '0')}`, 1, now - 80 * MIN + i)));
      await writeAlerts(ch, [alertAt('al_newer', 1, now - 5 * MIN)]);
      const passes: Array<[number, number]> = [];
      for (let i = 0; i < 8; i++) {
        const r = await seal();
        passes.push([r.sealed, r.late]);
      }
      expect(passes).toEqual([[1000, 1000], [1000, 1000], [1000, 1000], [1000, 1000], [1000, 1000], [1001, 1000], [0, 0], [0, 0]]);
      const alerts = byChain(await verifyChains(ch, { chains: ['alerts'] }), 'alerts');
      expect([alerts.ok, alerts.verified, alerts.late.length, alerts.problems]).toEqual([true, 6003, 6000, []]);
    });

    it('a sealer whose head another sealer passed meanwhile writes the links the other wrote: no fork', async () => {
      const now = Date.now();
      await writeAlerts(ch, [alertAt('al_base', 1, now - 10 * MIN)]);
      await sealChains(ch, { now, chains: ['alerts'] });
      await writeAlerts(ch, [alertAt('al_x', 1, now - 150_000), alertAt('al_y', 1, now - 90_000)]);
      // B reads the head, then waits while A seals (a shorter grace than B's: A leaves al_y for later).
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let gated = false;
      const slow: ClickHouse = {
        ...ch,
        query: async (q, o) => {
          const rows = await ch.query(q, o);
          if (!gated && /ORDER BY seq DESC/.test(q.text)) {
            gated = true;
            await gate;
          }
          return rows as never;
        },
      };
      const b = sealChains(slow, { now, graceMs: 60_000, chains: ['alerts'] });
      await waitUntil('B to hold its head', async () => gated, 10_000, 20);
      expect((await sealChains(ch, { now, graceMs: 120_000, chains: ['alerts'] }))[0]).toMatchObject({ sealed: 1 });
      release();
      expect((await b)[0]).toMatchObject({ sealed: 2 });
      const alerts = byChain(await verifyChains(ch, { chains: ['alerts'] }), 'alerts');
      expect([alerts.ok, alerts.links, alerts.verified, alerts.problems]).toEqual([true, 3, 3, []]);
    });
  });
});
