// What each channel sends, checked against the providers' documented formats, and what pages never carry.
import net from 'node:net';
import { createChannel, pageOf, verifySignature, signatureOf, summaryOf, type AlertRevision, type Message } from '../../src/notify';
import { emailMessage } from '../../src/notify/channels';
import { sendEmail } from '../../src/notify/channels/email';

const revision: AlertRevision = {
  alertId: 'al_20261129_dad02117da', revision: 3, user: 'bea.lopez@corp.example', severity: 'critical', score: 86, detectors: ['exportRate', 'volumeSelf'],
  observedBytes: 20_400_000_000, ratio: 425, windowStart: Date.UTC(2026, 10, 29), windowEnd: Date.UTC(2026, 10, 30), firedAt: Date.UTC(2026, 10, 29, 3, 12), updatedAtWall: Date.UTC(2026, 10, 29, 3, 12, 5),
};
const alert = pageOf(revision, { who: () => 'emp-3fa9c2d1e0', baseUrl: 'https://insider.example.com/' });
const trigger: Message = { kind: 'trigger', dedupKey: alert.alertId, alert };
const n = { storm: { maxPages: 10, windowMs: 60000, digestDelayMs: 0, maxDigestAlerts: 500 }, delivery: { timeoutMs: 1000, initialDelayMs: 1, maxDelayMs: 1, giveUpAfterMs: 1 } };
const env = { PD: 'routing-key-0123456789', OG: 'genie-key', SLACK: 'https://hooks.slack.example/services/T0/B0/xyz', HOOK: 'whsec' };
const body = (c: ReturnType<typeof createChannel>, m: Message) => JSON.parse(c.render(m, 'id-1', Date.UTC(2026, 10, 29, 3, 13))!.body) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('pages', () => {
  it('carry the minimum: pseudonym, volume, severity, link; never the employee id', () => {
    // The dashboard routes in the fragment: the page of the alert is #/alerts/<id>.
    expect(alert.link).toBe('https://insider.example.com/#/alerts/al_20261129_dad02117da');
    expect(summaryOf(alert)).toBe('CRITICAL insider alert: emp-3fa9c2d1e0 took 20.4 GB (425x usual) [exportRate, volumeSelf]');
    expect(JSON.stringify(alert)).not.toContain('bea.lopez');
    expect(Object.keys(alert).sort()).toEqual(['alertId', 'detectors', 'firedAt', 'link', 'observedBytes', 'ratio', 'revision', 'score', 'severity', 'who', 'windowEnd', 'windowStart']);
  });
});

describe('PagerDuty Events API v2', () => {
  const pd = createChannel('pd', { type: 'pagerduty', routingKeyEnv: 'PD' }, n, env);
  it('triggers at events.pagerduty.com/v2/enqueue with a dedup key and a payload', () => {
    const req = pd.render(trigger, 'id', 0)!;
    expect(req.url).toBe('https://events.pagerduty.com/v2/enqueue');
    expect(req.headers['Content-Type']).toBe('application/json');
    const b = body(pd, trigger);
    expect(b).toMatchObject({ routing_key: env.PD, event_action: 'trigger', dedup_key: alert.alertId, links: [{ href: alert.link }] });
    expect(b.payload).toMatchObject({ source: 'insider-detector', severity: 'critical', timestamp: '2026-11-29T03:12:00.000Z', component: 'emp-3fa9c2d1e0', class: 'exportRate,volumeSelf' });
    expect(b.payload.summary.length).toBeLessThanOrEqual(1024);
  });
  it('acknowledges and resolves with only the key and the action', () => {
    for (const kind of ['acknowledge', 'resolve'] as const) {
      expect(body(pd, { kind, dedupKey: alert.alertId, alertId: alert.alertId, link: alert.link })).toEqual({ routing_key: env.PD, event_action: kind, dedup_key: alert.alertId });
    }
  });
  it('maps severities to PagerDuty\'s four', () => {
    const sev = (s: 'low' | 'medium' | 'high') => body(pd, { ...trigger, alert: { ...alert, severity: s } }).payload.severity;
    expect([sev('low'), sev('medium'), sev('high')]).toEqual(['info', 'warning', 'error']);
  });
  it('lists every alert of a digest', () => {
    const alerts = Array.from({ length: 300 }, (_, i) => ({ ...alert, alertId: `al_${i}`, severity: i === 7 ? ('critical' as const) : ('low' as const) }));
    const b = body(pd, { kind: 'digest', dedupKey: 'digest:pd:x', digest: { digestId: 'digest:pd:x', alerts, link: 'https://insider.example.com/alerts' } });
    expect(b.payload.custom_details.alert_ids).toHaveLength(300);
    expect(b.payload.severity).toBe('critical');
    expect(b.payload.summary).toBe('Alert storm: 300 insider alerts (1 critical, 299 low)');
  });
  it('fails at start when the routing key variable is not set', () => {
    expect(() => createChannel('pd', { type: 'pagerduty', routingKeyEnv: 'NOPE' }, n, env)).toThrow('notify.channels.pd.routingKeyEnv: the environment variable NOPE is not set');
  });
});

describe('Opsgenie Alert API', () => {
  const og = createChannel('og', { type: 'opsgenie', url: 'https://api.eu.opsgenie.com/', apiKeyEnv: 'OG' }, n, env);
  it('creates with GenieKey auth, a <=130 character message, the alias, priority and string details', () => {
    const req = og.render(trigger, 'id', 0)!;
    expect(req.url).toBe('https://api.eu.opsgenie.com/v2/alerts');
    expect(req.headers.Authorization).toBe('GenieKey genie-key');
    const b = body(og, trigger);
    expect(b).toMatchObject({ alias: alert.alertId, priority: 'P1', entity: 'emp-3fa9c2d1e0' });
    expect(b.message.length).toBeLessThanOrEqual(130);
    expect(Object.values(b.details).every((v) => typeof v === 'string')).toBe(true);
  });
  it('acknowledges and closes by alias', () => {
    expect(og.render({ kind: 'acknowledge', dedupKey: 'a/b', alertId: 'a', link: 'l' }, 'id', 0)!.url).toBe('https://api.eu.opsgenie.com/v2/alerts/a%2Fb/acknowledge?identifierType=alias');
    expect(og.render({ kind: 'resolve', dedupKey: 'a', alertId: 'a', link: 'l' }, 'id', 0)!.url).toBe('https://api.eu.opsgenie.com/v2/alerts/a/close?identifierType=alias');
  });
});

describe('Slack incoming webhooks', () => {
  const slack = createChannel('slack', { type: 'slack', urlEnv: 'SLACK' }, n, env);
  it('posts text and blocks with a link to the alert, escaping mrkdwn', () => {
    const b = body(slack, { ...trigger, alert: { ...alert, who: 'a<b>&c' } });
    expect(b.text).toContain('CRITICAL insider alert');
    expect(b.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'CRITICAL insider alert', emoji: true } });
    expect(JSON.stringify(b.blocks)).toContain(`<${alert.link}|Open alert ${alert.alertId}>`);
    expect(JSON.stringify(b.blocks)).toContain('a&lt;b&gt;&amp;c');
    expect(slack.updates).toBe(false);
  });
  it('escapes the fallback text too: an id cannot mention @channel or hide a link there', () => {
    for (const who of ['<!channel>', '<https://evil.example|click here>', '<@U024BE7LH>', 'a&b']) {
      const b = body(slack, { ...trigger, alert: { ...alert, who } });
      expect(b.text).not.toMatch(/[<>]/);
      expect(b.text).toContain(who.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
      expect(JSON.stringify(b)).not.toContain(who);
    }
    const digest = body(slack, { kind: 'digest', dedupKey: 'd', digest: { digestId: 'd', alerts: [{ ...alert, who: '<!here>' }], link: 'https://x/#/alerts' } });
    expect(JSON.stringify(digest)).not.toContain('<!here>');
    const ack = body(slack, { kind: 'acknowledge', dedupKey: 'a', alertId: '<!channel>', link: alert.link });
    expect(ack.text).toBe('Alert &lt;!channel&gt; acknowledged');
  });
  it('keeps a digest of 5,000 alerts within 50 blocks of 3,000 characters, every id listed', () => {
    const alerts = Array.from({ length: 5000 }, (_, i) => ({ ...alert, alertId: `al_20261129_${String(i).padStart(10, '0')}` }));
    const b = body(slack, { kind: 'digest', dedupKey: 'd', digest: { digestId: 'd', alerts, link: 'https://x/alerts' } });
    expect(b.blocks.length).toBeLessThanOrEqual(50);
    for (const blk of b.blocks) if (blk.text) expect(blk.text.text.length).toBeLessThanOrEqual(3000);
    const text = JSON.stringify(b.blocks);
    expect(alerts.every((a) => text.includes(a.alertId))).toBe(true);
  });
});

describe('signed webhooks', () => {
  const hook = createChannel('hook', { type: 'webhook', url: 'https://siem.example.com/in', secretEnv: 'HOOK' }, n, env);
  it('signs "<timestamp>.<body>" with HMAC-SHA256 and a receiver verifies it', () => {
    const now = Date.UTC(2026, 10, 29, 3, 13);
    const req = hook.render(trigger, 'hook|trigger|x', now)!;
    expect(req.headers['X-Insider-Timestamp']).toBe(String(now / 1000));
    expect(req.headers['X-Insider-Signature']).toBe(signatureOf('whsec', now / 1000, req.body));
    expect(req.headers['X-Insider-Signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    const check = (over: Partial<Parameters<typeof verifySignature>[0]>) => verifySignature({ secret: 'whsec', timestamp: req.headers['X-Insider-Timestamp'], signature: req.headers['X-Insider-Signature'], body: req.body, nowMs: now + 1000, ...over });
    expect(check({})).toEqual({ ok: true });
    expect(check({ body: req.body.replace('critical', 'low') })).toEqual({ ok: false, reason: 'signature does not match' });
    expect(check({ secret: 'other' }).ok).toBe(false);
    expect(check({ nowMs: now + 301_000 })).toMatchObject({ ok: false, reason: expect.stringContaining('possible replay') });
    expect(check({ signature: `v1=${'0'.repeat(64)}, ${req.headers['X-Insider-Signature']}` })).toEqual({ ok: true });
    expect(JSON.parse(req.body)).toMatchObject({ version: 1, event: 'trigger', delivery_id: 'hook|trigger|x', dedup_key: alert.alertId, alert: { who: 'emp-3fa9c2d1e0' } });
  });
});

describe('e-mail over SMTP', () => {
  it('builds a message whose Message-ID follows the dedup key', () => {
    const a = emailMessage({ from: 'insider@example.com', to: ['oncall@example.com'] }, trigger, 0);
    const b = emailMessage({ from: 'insider@example.com', to: ['oncall@example.com'] }, trigger, 99_999);
    expect(/Message-ID: <(\w+)@insider-detector>/.exec(a)![1]).toBe(/Message-ID: <(\w+)@insider-detector>/.exec(b)![1]);
    expect(a).toContain('Subject: CRITICAL insider alert: emp-3fa9c2d1e0 took 20.4 GB');
  });

  it('talks SMTP to a server: EHLO, AUTH PLAIN, MAIL, RCPT, DATA; a 4xx is retriable, a 5xx is not', async () => {
    const seen: string[] = [];
    let rcptReply = '250 ok';
    const server = net.createServer((s) => {
      s.write('220 test ESMTP\r\n');
      let inData = false;
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString();
        let i;
        while ((i = buf.indexOf('\r\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (inData) {
            if (line === '.') {
              inData = false;
              s.write('250 queued\r\n');
            } else seen.push(`DATA:${line}`);
            continue;
          }
          seen.push(line);
          if (line.startsWith('EHLO')) s.write('250-test\r\n250 AUTH PLAIN\r\n');
          else if (line.startsWith('AUTH')) s.write('235 ok\r\n');
          else if (line.startsWith('MAIL')) s.write('250 ok\r\n');
          else if (line.startsWith('RCPT')) s.write(`${rcptReply}\r\n`);
          else if (line === 'DATA') {
            inData = true;
            s.write('354 go\r\n');
          } else if (line === 'QUIT') s.end('221 bye\r\n');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const settings = { host: '127.0.0.1', port, secure: false, from: 'Insider <insider@example.com>', to: ['oncall@example.com'], username: 'u', password: 'p', timeoutMs: 2000 };
    try {
      expect(await sendEmail(settings, trigger, 0)).toEqual({ ok: true, status: 250 });
      expect(seen).toEqual(expect.arrayContaining(['EHLO insider-detector', `AUTH PLAIN ${Buffer.from('\0u\0p').toString('base64')}`, 'MAIL FROM:<insider@example.com>', 'RCPT TO:<oncall@example.com>', 'DATA']));
      rcptReply = '451 try later';
      expect(await sendEmail(settings, trigger, 0)).toMatchObject({ ok: false, retriable: true, status: 451 });
      rcptReply = '550 no such user';
      expect(await sendEmail(settings, trigger, 0)).toMatchObject({ ok: false, retriable: false, status: 550 });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
