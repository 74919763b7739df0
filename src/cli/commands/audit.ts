// `insider audit`: the tamper-evident record (docs/tamper-evidence.md). `seal` appends the links of rows
// written since the last seal; `verify` walks every chain and names the first broken link; `heads` prints
// the head of each chain, as reports do.
import { Command, InvalidArgumentError } from 'commander';
import { chainHeads, CHAIN_NAMES, DEFAULT_GRACE_MS, formatHead, LATE_WINDOW_MS, parseHead, sealEachChain, sealGraceMs, verifyChains, type SealResult } from '../../chain';
import { describeError } from '../../errors';
import type { CliContext } from '../context';
import { integer, parseTime } from '../options';
import { printJson, printTable, printText, progress } from '../output';

/** Exit code of a verification that found a broken chain. */
export const EXIT_BROKEN = 4;
/** Nothing broken, but rows were sealed late (docs/tamper-evidence.md): a script that checks the record sees it. */
export const EXIT_LATE = 5;

function headOption(value: string, previous: ReturnType<typeof parseHead>[] = []) {
  const h = parseHead(value);
  if (!h || !CHAIN_NAMES.includes(h.chain)) throw new InvalidArgumentError(`expected CHAIN:SEQ:HASH as a report prints it (chains: ${CHAIN_NAMES.join(', ')}).`);
  return [...previous, h];
}

async function sealEvery(ctx: CliContext, seconds: number, graceSeconds: number): Promise<void> {
  const log = ctx.log();
  const ch = ctx.clickhouse();
  let stopped = false;
  let wake: () => void = () => {};
  const stop = () => {
    stopped = true;
    wake();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  log.info({ everySeconds: seconds, graceSeconds }, 'sealing the chains');
  while (!stopped) {
    const said = (results: SealResult[]) => {
      const sealed = results.filter((r) => r.sealed > 0);
      if (sealed.length > 0) log.info({ sealed: Object.fromEntries(sealed.map((r) => [r.chain, r.sealed])), late: Object.fromEntries(sealed.filter((r) => r.late > 0).map((r) => [r.chain, r.late])) }, 'sealed');
    };
    try {
      // What the other chains sealed is said too when one fails: their links are written.
      const { sealed, failed } = await sealEachChain(ch, { graceMs: graceSeconds * 1000, sealer: `seal-every pid ${process.pid}` });
      said(sealed);
      for (const f of failed) log.error({ chain: f.chain, err: describeError(f.error) }, 'sealing a chain failed; tried again at the next interval');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'sealing failed; tried again at the next interval');
    }
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, seconds * 1000).unref();
    });
  }
}

export function auditCommand(ctx: CliContext): Command {
  const cmd = new Command('audit')
    .description('the tamper-evident record: seal the hash chains, verify them, print their heads')
    .addHelpText(
      'after',
      `
Alert revisions, triage actions, the audit trail, report manifests and retention runs are each a hash
chain: every row has a link carrying the hash of its content and of the link before it. Writers never
touch a chain; "seal" (run by the report scheduler, retention, or cron) links what was written since
the last seal. "verify" names the first broken link of each chain: a row changed, deleted or inserted
in ClickHouse, a link altered or removed. Keep the heads a report prints: --head proves later that
history up to them was not rewritten.

Examples:
  insider audit seal
  insider audit verify
  insider audit verify --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z
  insider audit verify --head audit_log:1042:3fa9c2...   (a head from an earlier report)
  insider audit heads --json`,
    );

  cmd
    .command('seal')
    .description('append the links of rows written since the last seal (rows younger than the grace period wait); exit code 1 when a chain could not be sealed (the others are, and are printed)')
    .option('--grace-seconds <n>', `leave rows younger than this for the next seal (inserts in flight; default: as long as a detector's alert revision can take to land with the configured time-outs, clickhouse.requestTimeoutMs and detection.consumer's, at least ${DEFAULT_GRACE_MS / 1000}; 149 with the defaults)`, (v) => integer(v, 0, 86_400))
    .option('--every <seconds>', 'keep sealing, every this many seconds, until SIGTERM/SIGINT (the sealer as a service)', (v) => integer(v, 1, 86_400))
    .option('--json', 'print JSON: {sealed: [{chain, sealed, late, head}], failed: [{chain, error}]}')
    .action(async (opts: { graceSeconds?: number; every?: number; json?: boolean }) => {
      const graceSeconds = opts.graceSeconds ?? sealGraceMs(ctx.config()) / 1000;
      if (opts.every !== undefined) return sealEvery(ctx, opts.every, graceSeconds);
      // A chain that fails does not hide what the others sealed: they are printed, then the first failure (exit 1).
      const { sealed, failed } = await sealEachChain(ctx.clickhouse(), { graceMs: graceSeconds * 1000, sealer: `cli pid ${process.pid}` });
      const failures = failed.map((f) => ({ chain: f.chain, error: describeError(f.error) }));
      // One shape whether or not a chain failed: a script reads `failed` without looking at the exit code first.
      if (opts.json) printJson({ sealed, failed: failures });
      else
        printTable(
          [
            ...sealed.map((r) => ({ CHAIN: r.chain, SEALED: r.sealed, LATE: r.late, HEAD: r.head ? `${r.head.seq}:${r.head.linkHash}` : '(empty)' })),
            ...failures.map((f) => ({ CHAIN: f.chain, SEALED: 'FAILED', LATE: '', HEAD: f.error })),
          ],
          ['CHAIN', 'SEALED', 'LATE', 'HEAD'],
        );
      if (failed.length > 0) throw failed[0].error;
    });

  cmd
    .command('verify')
    .description('walk every chain; name the first broken link of each (exit code 4 when one is broken; 5 when none is, but rows were sealed late)')
    .option('--from <time>', 'only rows written at or after this time (ISO-8601 with zone)', parseTime)
    .option('--to <time>', 'only rows written at or before this time', parseTime)
    .option('--head <chain:seq:hash>', 'a head kept from an earlier report: the chain must still pass through it (repeatable)', headOption)
    .option('--chain <name>', `only this chain (${CHAIN_NAMES.join(', ')})`)
    .option('--json', 'print JSON')
    .action(async (opts: { from?: number; to?: number; head?: Array<{ chain: string; seq: number; linkHash: string }>; chain?: string; json?: boolean }) => {
      if (opts.chain !== undefined && !CHAIN_NAMES.includes(opts.chain)) throw new InvalidArgumentError(`no chain ${opts.chain}`);
      if (opts.from !== undefined && opts.to !== undefined && opts.from > opts.to) throw new InvalidArgumentError('--from is after --to');
      progress('verifying the chains...');
      const results = await verifyChains(ctx.clickhouse(), { from: opts.from, to: opts.to, heads: opts.head, chains: opts.chain ? [opts.chain] : undefined });
      const broken = results.filter((r) => !r.ok);
      if (broken.length > 0) process.exitCode = EXIT_BROKEN;
      else if (results.some((r) => r.late.length > 0)) process.exitCode = EXIT_LATE;
      if (opts.json) return printJson({ ok: broken.length === 0, chains: results });
      printTable(
        results.map((r) => ({
          CHAIN: r.chain,
          STATE: r.ok ? 'ok' : `BROKEN at link ${r.problems[0].seq}`,
          LINKS: r.links,
          VERIFIED: r.verified,
          RETAINED: r.retained,
          PENDING: r.pending,
          LATE: r.late.length,
          HEAD: r.head ? `${r.head.seq}:${r.head.linkHash.slice(0, 16)}` : '(empty)',
        })),
        ['CHAIN', 'STATE', 'LINKS', 'VERIFIED', 'RETAINED', 'PENDING', 'LATE', 'HEAD'],
      );
      for (const r of broken) {
        printText(`\n${r.chain}: first broken link ${r.problems[0].seq}: ${r.problems[0].message}\n`);
        for (const p of r.problems.slice(1, 50)) printText(`  also at link ${p.seq}: ${p.message}\n`);
        if (r.problems.length > 50) printText(`  ... and ${r.problems.length - 50} more (--json lists all)\n`);
      }
      if (broken.length === 0) printText('\nevery chain verifies: no row changed, deleted or inserted in the sealed history\n');
      for (const r of results.filter((x) => x.late.length > 0)) {
        printText(`\n${r.chain}: ${r.late.length} row(s) landed after later rows were sealed, and were sealed late (at most ${LATE_WINDOW_MS / 3_600_000} h behind the newest sealed before them):\n`);
        for (const d of r.late.slice(0, 50)) printText(`  ${d}\n`);
        if (r.late.length > 50) printText(`  ... and ${r.late.length - 50} more (--json lists all)\n`);
      }
      const pending = results.reduce((n, r) => n + r.pending, 0);
      if (pending > 0) printText(`${pending} row(s) written after the last seal are not protected yet (insider audit seal)\n`);
    });

  cmd
    .command('heads')
    .description('the head of each chain (chain:seq:hash), as reports print them')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const heads = await chainHeads(ctx.clickhouse());
      if (opts.json) return printJson(heads);
      for (const h of heads) printText(`${formatHead(h)}  ${h.stamp ?? ''}\n`);
    });
  return cmd;
}
