// Routing rules, storm budget, backoff and Retry-After, and the notify config section.
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { loadConfig } from '../../src/config';
import { backoffMs, classifyStatus, inLocalWindow, maxInAnyWindow, PageBudget, parseRetryAfter, routeAlert, type RouteConfig } from '../../src/notify';

const at = (iso: string) => Date.parse(iso);

describe('routing rules', () => {
  const routes: RouteConfig[] = [
    { name: 'severe', minSeverity: 'high', channels: ['pd', 'slack'], escalateAfterMs: 900_000, escalateTo: ['manager'] },
    { name: 'exports', minSeverity: 'medium', detectors: ['exportRate'], channels: ['og'] },
    { name: 'finance', minSeverity: 'low', departments: ['Finance'], channels: ['fin-hook'] },
    { name: 'office', minSeverity: 'low', channels: ['slack-day'], hours: { from: '09:00', to: '18:00', timezone: 'Europe/London' } },
    { name: 'quiet', minSeverity: 'low', channels: ['slack'], quietHours: { from: '22:00', to: '07:00', timezone: 'America/New_York', minSeverity: 'high' } },
  ];
  const noon = at('2026-07-01T11:00:00Z'); // 12:00 London, 07:00 New York
  const night = at('2026-07-01T06:00:00Z'); // 07:00 London, 02:00 New York

  it('by severity, detector and department; several channels per rule; each channel once', () => {
    expect(routeAlert(routes, { severity: 'critical', detectors: ['exportRate'] }, 'Sales', noon)).toEqual([
      { channel: 'pd', route: 'severe', escalateAfterMs: 900_000, escalateTo: ['manager'] },
      { channel: 'slack', route: 'severe', escalateAfterMs: 900_000, escalateTo: ['manager'] },
      { channel: 'og', route: 'exports', escalateAfterMs: undefined, escalateTo: ['og'] },
      { channel: 'slack-day', route: 'office', escalateAfterMs: undefined, escalateTo: ['slack-day'] },
    ]);
    expect(routeAlert(routes, { severity: 'medium', detectors: ['volumeSelf'] }, 'Finance', noon).map((t) => t.channel)).toEqual(['fin-hook', 'slack-day', 'slack']);
    expect(routeAlert(routes, { severity: 'medium', detectors: ['volumeSelf'] }, null, noon).map((t) => t.channel)).toEqual(['slack-day', 'slack']);
  });

  it('by time of day: office hours, and quiet hours that keep low severities from waking anyone', () => {
    expect(routeAlert(routes, { severity: 'low', detectors: [] }, null, night).map((t) => t.channel)).toEqual([]);
    expect(routeAlert(routes, { severity: 'high', detectors: [] }, null, night).map((t) => t.channel)).toEqual(['pd', 'slack']);
    expect(inLocalWindow(at('2026-01-15T22:30:00Z'), { from: '22:00', to: '07:00', timezone: 'UTC' })).toBe(true);
    expect(inLocalWindow(at('2026-01-15T07:00:00Z'), { from: '22:00', to: '07:00', timezone: 'UTC' })).toBe(false);
    expect(inLocalWindow(at('2026-01-15T03:30:00Z'), { from: '09:00', to: '18:00', timezone: 'Asia/Kolkata' })).toBe(true);
  });
});

describe('storm budget', () => {
  it('1,000 alerts within 10 s stay within the rate, every alert individually paged or in a digest', () => {
    const W = 60_000;
    const b = new PageBudget(10, W);
    const pages: number[] = [];
    let digest: { due: number; n: number } | undefined;
    const members: number[] = [];
    let individual = 0;
    for (let i = 0; i < 1000; i++) {
      const t = Math.floor(i * 10); // 1,000 alerts over 10 s
      if (b.fits(t, b.individualLimit)) {
        b.add(t);
        pages.push(t);
        individual++;
        continue;
      }
      if (!digest || digest.due <= t || digest.n >= 500) {
        const due = b.earliest(t + 5000);
        b.add(due);
        pages.push(due);
        digest = { due, n: 0 };
      }
      digest.n++;
      members.push(i);
    }
    expect(individual + members.length).toBe(1000);
    expect(individual).toBe(9);
    expect(maxInAnyWindow(pages, W)).toBeLessThanOrEqual(10);
    // 9 pages, a digest 5 s later with the alerts until then, and one a window after the first page with the rest.
    expect(pages.slice(9)).toEqual([5090, 60000]);
  });

  it('places a page at the earliest time every window allows', () => {
    const b = new PageBudget(2, 1000);
    b.add(0);
    b.add(500);
    expect(b.fits(999)).toBe(false);
    expect(b.earliest(600)).toBe(1000);
    b.add(1000);
    expect(b.earliest(1000)).toBe(1500);
    // A future digest counts for the windows that will contain it.
    const c = new PageBudget(2, 1000);
    c.add(5000);
    c.add(4500);
    expect(c.fits(4200)).toBe(false);
    expect(c.fits(3400)).toBe(true);
  });
});

describe('retries', () => {
  it('back off exponentially with full jitter, capped, and never sooner than Retry-After', () => {
    const p = { initialDelayMs: 1000, maxDelayMs: 30_000 };
    expect(backoffMs(1, p, () => 1)).toBe(1000);
    expect(backoffMs(4, p, () => 1)).toBe(8000);
    expect(backoffMs(20, p, () => 1)).toBe(30_000);
    expect(backoffMs(4, p, () => 0)).toBe(500);
    expect(backoffMs(1, p, () => 0.5, 120_000)).toBe(120_000);
  });
  it('read Retry-After as seconds or an HTTP date, and classify answers', () => {
    const now = at('2026-11-29T03:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('Sun, 29 Nov 2026 03:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(classifyStatus(202, '', null, now)).toEqual({ ok: true, status: 202 });
    expect(classifyStatus(429, 'slow down', '3', now)).toEqual({ ok: false, retriable: true, status: 429, reason: 'HTTP 429: slow down', retryAfterMs: 3000 });
    expect(classifyStatus(503, '', null, now)).toMatchObject({ retriable: true });
    expect(classifyStatus(400, '{"status":"invalid event"}', null, now)).toMatchObject({ ok: false, retriable: false });
  });
});

describe('notify configuration', () => {
  const write = (text: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notify-config-'));
    const file = path.join(dir, 'c.yaml');
    fs.writeFileSync(file, text);
    return file;
  };
  it('refuses a route to an unknown channel, naming the file and key', () => {
    const file = write('notify:\n  channels:\n    pd: { type: pagerduty, routingKeyEnv: PD_KEY }\n  routes:\n    - { name: r, minSeverity: high, channels: [pdd] }\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(`${file}: notify.routes.0.channels.0: no channel named "pdd" in notify.channels (pd)`);
  });
  it('refuses a secret written in the file instead of a variable name', () => {
    const file = write('notify:\n  channels:\n    pd: { type: pagerduty, routingKeyEnv: PD_KEY, routingKey: abc }\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(/notify\.channels\.pd: unknown key|routingKey/);
  });
  it('takes a valid section and the environment overrides', () => {
    const file = write('notify:\n  channels:\n    hook: { type: webhook, url: "https://x.example/h", secretEnv: HOOK_SECRET }\n  routes:\n    - { name: r, minSeverity: low, channels: [hook], quietHours: { from: "22:00", to: "07:00", timezone: Europe/London, minSeverity: high } }\n');
    const { config } = loadConfig({ file, env: { INSIDER_NOTIFY_IDENTITY: 'none', INSIDER_NOTIFY_PUBLIC_URL: 'https://insider.example.com' } });
    expect(config.notify.identity).toBe('none');
    expect(config.notify.publicUrl).toBe('https://insider.example.com');
    expect(config.notify.channels.hook).toEqual({ type: 'webhook', url: 'https://x.example/h', secretEnv: 'HOOK_SECRET' });
  });
  it('refuses a bad time zone', () => {
    const file = write('notify:\n  channels:\n    hook: { type: webhook, url: "https://x.example/h", secretEnv: S }\n  routes:\n    - { name: r, minSeverity: low, channels: [hook], hours: { from: "09:00", to: "18:00", timezone: Mars/Olympus } }\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(/notify\.routes\.0\.hours\.timezone: expected an IANA time zone/);
  });
});
