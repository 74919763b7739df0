// E-mail over SMTP (RFC 5321), with no dependency: EHLO, STARTTLS when the server offers it (or TLS from
// the first byte with `secure`), AUTH PLAIN when credentials are set, MAIL FROM, RCPT TO, DATA, QUIT.
// The Message-ID is derived from the dedup key and kind, so a page sent twice (a retry after a crash)
// carries the same id and mail clients that deduplicate show it once. 4xx replies are retried, 5xx not.
import net from 'node:net';
import tls from 'node:tls';
import crypto from 'node:crypto';
import { formatBytes } from '../../format';
import { InsiderError } from '../../errors';
import type { Outcome } from '../http';
import { digestSummary, sortedForDigest, summaryOf, type Message } from '../page';

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  from: string;
  to: string[];
  username?: string;
  password?: string;
  timeoutMs: number;
  /** Accept self-signed certificates (tests only). */
  rejectUnauthorized?: boolean;
}

export function emailContent(msg: Message, nowMs: number): { subject: string; text: string } {
  switch (msg.kind) {
    case 'trigger':
    case 'update':
    case 'escalate': {
      const a = msg.alert;
      return {
        subject: `${msg.kind === 'update' ? 'Update: ' : ''}${summaryOf(a)}`,
        text: [
          summaryOf(a),
          '',
          ...(a.case ? [`Case:      ${a.case.id} (${a.case.alerts} alert${a.case.alerts === 1 ? '' : 's'}, risk ${a.case.risk})`] : []),
          `Alert:     ${a.alertId} (revision ${a.revision})`,
          `Severity:  ${a.severity} (score ${a.score})`,
          ...(a.who ? [`Employee:  ${a.who}`] : []),
          `Volume:    ${formatBytes(a.observedBytes)}${a.ratio > 0 ? ` (${a.ratio.toFixed(1)}x usual)` : ''}`,
          `Detectors: ${a.detectors.join(', ')}`,
          `Window:    ${new Date(a.windowStart).toISOString()} .. ${new Date(a.windowEnd).toISOString()}`,
          '',
          `Open the ${a.case ? 'case' : 'alert'}: ${a.link}`,
        ].join('\r\n'),
      };
    }
    case 'digest': {
      const alerts = sortedForDigest(msg.digest.alerts);
      return {
        subject: digestSummary(msg.digest),
        text: [digestSummary(msg.digest), '', `All alerts: ${msg.digest.link}`, '', ...alerts.map((a) => `${a.severity.padEnd(8)} ${a.alertId} ${a.who} ${formatBytes(a.observedBytes)} ${a.link}`)].join('\r\n'),
      };
    }
    case 'acknowledge':
    case 'resolve':
      return { subject: `Alert ${msg.alertId} ${msg.kind === 'acknowledge' ? 'acknowledged' : 'resolved'}`, text: `${msg.link}` };
    case 'test':
      return { subject: 'Test page from insider-detector', text: `Paging works (no action needed). Sent ${new Date(nowMs).toISOString()}.` };
  }
}

function encodeHeader(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

export function emailMessage(s: Pick<SmtpSettings, 'from' | 'to'>, msg: Message, nowMs: number): string {
  const { subject, text } = emailContent(msg, nowMs);
  // One Message-ID per message: a retried send is the same message, each update of an incident its own.
  const about = msg.kind === 'update' ? `|${msg.alert.alertId}@${msg.alert.revision}|${msg.alert.case?.alerts ?? 1}` : '';
  const id = crypto.createHash('sha256').update(`${msg.kind}|${msg.dedupKey}${about}`).digest('hex').slice(0, 32);
  const body = Buffer.from(text, 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
  return [
    `From: ${s.from}`,
    `To: ${s.to.join(', ')}`,
    `Subject: ${encodeHeader(subject.replace(/[\r\n]+/g, ' '))}`,
    `Date: ${new Date(nowMs).toUTCString()}`,
    `Message-ID: <${id}@insider-detector>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    `X-Insider-Dedup-Key: ${msg.dedupKey.replace(/[\r\n]/g, '')}`,
    '',
    body,
  ].join('\r\n');
}

/** The server answered with a reply code other than the one expected: 4xx is worth retrying, 5xx is not. */
class SmtpReply extends InsiderError {
  constructor(readonly reply: number, text: string) {
    super('SMTP_REFUSED', `SMTP ${reply}: ${text.slice(0, 200)}`, { retriable: reply < 500, context: { reply } });
  }
}

/** One SMTP conversation. */
export async function sendEmail(s: SmtpSettings, msg: Message, nowMs: number): Promise<Outcome> {
  let socket: net.Socket | tls.TLSSocket | undefined;
  const timer = setTimeout(() => socket?.destroy(new Error(`no answer within ${s.timeoutMs} ms`)), s.timeoutMs);
  try {
    socket = s.secure ? tls.connect({ host: s.host, port: s.port, servername: s.host, rejectUnauthorized: s.rejectUnauthorized ?? true }) : net.connect({ host: s.host, port: s.port });
    let reader = replies(socket);
    const expect = async (ok: (code: number) => boolean): Promise<{ code: number; lines: string[] }> => {
      const r = await reader.next();
      if (!ok(r.code)) throw new SmtpReply(r.code, r.lines.join(' '));
      return r;
    };
    const cmd = async (line: string, ok: (code: number) => boolean) => {
      socket!.write(`${line}\r\n`);
      return expect(ok);
    };
    await expect((c) => c === 220);
    let ehlo = await cmd('EHLO insider-detector', (c) => c === 250);
    if (!s.secure && ehlo.lines.some((l) => /^STARTTLS\b/i.test(l))) {
      await cmd('STARTTLS', (c) => c === 220);
      reader.stop();
      socket = tls.connect({ socket, servername: s.host, rejectUnauthorized: s.rejectUnauthorized ?? true });
      await new Promise<void>((resolve, reject) => {
        (socket as tls.TLSSocket).once('secureConnect', resolve).once('error', reject);
      });
      reader = replies(socket);
      ehlo = await cmd('EHLO insider-detector', (c) => c === 250);
    }
    if (s.username !== undefined && s.password !== undefined) {
      const token = Buffer.from(`\0${s.username}\0${s.password}`, 'utf8').toString('base64');
      await cmd(`AUTH PLAIN ${token}`, (c) => c === 235);
    }
    await cmd(`MAIL FROM:<${bare(s.from)}>`, (c) => c === 250);
    for (const to of s.to) await cmd(`RCPT TO:<${bare(to)}>`, (c) => c === 250 || c === 251);
    await cmd('DATA', (c) => c === 354);
    const data = emailMessage(s, msg, nowMs).replace(/\r\n\./g, '\r\n..');
    await cmd(`${data}\r\n.`, (c) => c === 250);
    socket.write('QUIT\r\n');
    socket.end();
    return { ok: true, status: 250 };
  } catch (err) {
    if (err instanceof SmtpReply) return { ok: false, retriable: err.retriable, status: err.reply, reason: err.message };
    const e = err as NodeJS.ErrnoException;
    return { ok: false, retriable: true, status: 0, reason: `${e.code ?? 'SMTP'}: ${e.message}` };
  } finally {
    clearTimeout(timer);
    socket?.destroy();
  }
}

function bare(address: string): string {
  return /<([^>]+)>/.exec(address)?.[1] ?? address.trim();
}

/** SMTP replies ("250-first", "250 last") from a socket, one complete reply per next(). */
function replies(socket: net.Socket): { next(): Promise<{ code: number; lines: string[] }>; stop(): void } {
  let buffer = '';
  let lines: string[] = [];
  const ready: Array<{ code: number; lines: string[] }> = [];
  const waiting: Array<{ resolve: (r: { code: number; lines: string[] }) => void; reject: (e: Error) => void }> = [];
  let failure: Error | undefined;
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i).replace(/\r$/, '');
      buffer = buffer.slice(i + 1);
      lines.push(line.slice(4));
      if (line[3] !== '-') {
        const reply = { code: Number(line.slice(0, 3)), lines };
        lines = [];
        const w = waiting.shift();
        if (w) w.resolve(reply);
        else ready.push(reply);
      }
    }
  };
  const onEnd = (err?: Error) => {
    failure = err ?? Object.assign(new Error('the SMTP server closed the connection'), { code: 'ECONNRESET' });
    for (const w of waiting.splice(0)) w.reject(failure);
  };
  const onError = (err: Error) => onEnd(err);
  const onClose = () => onEnd();
  socket.on('data', onData).on('error', onError).on('close', onClose);
  return {
    next: () => {
      const r = ready.shift();
      if (r) return Promise.resolve(r);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    stop: () => {
      socket.off('data', onData).off('error', onError).off('close', onClose);
    },
  };
}
