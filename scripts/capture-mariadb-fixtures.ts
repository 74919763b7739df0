// Captures the MariaDB fixtures the unit tests decode: a real MariaDB 10.11 (the local service,
// `insider services up mariadb`) runs the audit scenario (test/fixtures/mariadb/scenario.ts) and the
// part of its slow log and server_audit log the scenario wrote is copied as written, with what each case
// must give (cases.json, including the Bytes_sent the server logged) and the events the decoder makes of
// them (expected.jsonl, to review when it changes). Run: npx tsx scripts/capture-mariadb-fixtures.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { localServices, mariadbLayout, servicesUp, stateDirOf } from '../src/local-services';
import { decodeFixture, FIXTURE_DIR as OUT } from '../test/fixtures/mariadb/decode';
import { bytesSentInLog, runCases, setUp, tearDown, type MariadbNames } from '../test/fixtures/mariadb/scenario';

const NAMES: MariadbNames = { database: 'insider_fixtures', analyst: 'fx_analyst', exporter: 'fx_exporter', dumper: 'fx_dumper' };

async function main(): Promise<void> {
  const { config } = loadConfig();
  await servicesUp(localServices(config, ['mariadb']), (l) => process.stderr.write(`[services] ${l}\n`));
  const layout = mariadbLayout(config, stateDirOf(config));
  await setUp(layout, NAMES);
  const files = { slow: layout.logs.slow, audit: layout.logs.audit };
  const start = { slow: fs.statSync(files.slow).size, audit: fs.statSync(files.audit).size };
  const cases = await runCases(layout, NAMES, fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-capture-')));
  await new Promise((r) => setTimeout(r, 1000));
  const written: Record<string, string> = {};
  for (const which of ['slow', 'audit'] as const) {
    const fd = fs.openSync(files[which], 'r');
    const size = fs.fstatSync(fd).size - start[which];
    const buf = Buffer.alloc(size);
    fs.readSync(fd, buf, 0, size, start[which]);
    fs.closeSync(fd);
    // The audit log also holds root's setup and the readiness probes of `services up`: only the scenario's users.
    let text = buf.toString('utf8');
    if (which === 'audit') text = text.split('\n').filter((l) => Object.values(NAMES).slice(1).some((u) => l.includes(`,${u},`))).map((l) => `${l}\n`).join('');
    written[which] = text;
    fs.writeFileSync(path.join(OUT, `${which}.log`), text);
    process.stderr.write(`${which}.log: ${Buffer.byteLength(text)} bytes\n`);
  }
  const withBytes = cases.map((c) => ({ ...c, expected: c.expected.map((e) => ({ ...e, bytesSent: bytesSentInLog(written.slow, e.user, e.statementStart) })) }));
  fs.writeFileSync(path.join(OUT, 'cases.json'), `${JSON.stringify({ names: NAMES, outfileDir: layout.outfileDir, cases: withBytes }, null, 1)}\n`);
  fs.writeFileSync(path.join(OUT, 'expected.jsonl'), (await decodeFixture()).events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  await tearDown(layout, NAMES);
  process.stderr.write(`fixtures written to ${OUT}\n`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  });
}
