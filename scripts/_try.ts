import fs from 'node:fs';
import { createSources } from '../src/sources';
const dest = process.argv[2] as string;
const file = { jsonlog: 'postgresql.json', csvlog: 'postgresql.csv', stderr: 'postgresql' }[dest]!;
const text = fs.readFileSync('/tmp/h15-pgexp/log/' + file, 'utf8');
// naive record split: lines; for stderr/csv join continuation lines
const lines: string[] = [];
for (const l of text.split('\n')) { if (!l) continue; if (/^\d{4}-/.test(l) || l.startsWith('{')) lines.push(l); else lines[lines.length-1] += '\n' + l; }
const settings: any = { sources: { t: { format: 'postgres', options: { destination: dest, server: 'pg1' } } } };
const s = createSources({ settings, role: 'reader' });
s.decodeBatch('t', lines.map((l, i) => ({ value: Buffer.from(l), topic: 't', partition: 0, offset: String(i) })), { maxMessageBytes: 1e6, maxFutureSkewMs: 1e9 }).then((out) => {
  out.forEach((o, i) => { if (!o.ok) console.log('DLQ', o.code, o.reason, lines[i].slice(0, 80)); else for (const e of o.events) console.log(e.event_id, e.user, e.identity, e.action, e.table_name, e.rows, e.bytes, e.status, e.client_app); });
});
