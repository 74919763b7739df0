// What the alert's activity consisted of: which tables (sensitive ones marked), sessions, client
// addresses, applications, and what was left out as allowlisted.
import type { ComponentChildren } from 'preact';
import { formatBytes, formatCount, formatPercent, formatRange } from '../format';
import type { Evidence as E } from '../types';

/** Sensitivity classes that make a table worth a second look. */
const SENSITIVE = new Set(['pii', 'payment']);

function Block({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <div class="ev-block">
      <h3>{title}</h3>
      {children}
    </div>
  );
}

function ByteTable({ label, rows }: { label: string; rows: Array<{ key: string; bytes: number }> }) {
  if (!rows.length) return <p class="muted">None recorded.</p>;
  return (
    <table class="grid compact">
      <thead>
        <tr>
          <th scope="col">{label}</th>
          <th scope="col" class="num">Volume</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key}>
            <th scope="row" class="mono clip">{r.key}</th>
            <td class="num">{formatBytes(r.bytes)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Evidence({ evidence: e }: { evidence: E }) {
  return (
    <section aria-labelledby="evidence-h">
      <h2 id="evidence-h">Evidence</h2>
      <p class="ev-summary">
        {formatCount(e.events)} events ({formatCount(e.failedEvents)} failed) between {formatRange(e.firstEventAt, e.lastEventAt)};{' '}
        <strong>{formatBytes(e.sensitiveBytes)}</strong> from sensitive tables.
      </p>
      <div class="ev-grid">
        <Block title="Tables">
          <table class="grid compact">
            <thead>
              <tr>
                <th scope="col">Table</th>
                <th scope="col">Sensitivity</th>
                <th scope="col" class="num">Volume</th>
                <th scope="col" class="num">Rows</th>
                <th scope="col" class="num">Share</th>
              </tr>
            </thead>
            <tbody>
              {e.topTables.map((t) => (
                <tr key={t.table}>
                  <th scope="row" class="mono">{t.table}</th>
                  <td>
                    <span class={SENSITIVE.has(t.sensitivity) ? 'sens sens-high' : 'sens'}>{t.sensitivity}</span>
                  </td>
                  <td class="num" title={(e.estimatedBytes ?? 0) > 0 ? 'estimated: rows × average row width' : undefined}>
                    {(e.estimatedBytes ?? 0) > 0 ? '≈' : ''}
                    {formatBytes(t.bytes)}
                  </td>
                  <td class="num">{formatCount(t.rows)}</td>
                  <td class="num">{formatPercent(t.share)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Block>
        <Block title={`Sessions (${formatCount(e.sessions.count)})`}>
          <ByteTable label="Session" rows={e.sessions.top.map((s) => ({ key: s.id, bytes: s.bytes }))} />
        </Block>
        <Block title="Client addresses">
          <ByteTable label="Address" rows={e.clientIps.map((c) => ({ key: c.ip, bytes: c.bytes }))} />
        </Block>
        <Block title="Applications">
          <ByteTable label="Application" rows={e.apps.map((a) => ({ key: a.app, bytes: a.bytes }))} />
        </Block>
        {(e.identities ?? []).length > 0 && (
          <Block title="Signed in as">
            <ByteTable label="Person behind the database role" rows={(e.identities ?? []).map((i) => ({ key: i.identity, bytes: i.bytes }))} />
          </Block>
        )}
        <Block title="Allowlisted">
          {e.allowlisted.events === 0 ? (
            <p class="muted">Nothing allowlisted in this window.</p>
          ) : (
            <>
              <p>
                {formatBytes(e.allowlisted.bytes)} in {formatCount(e.allowlisted.events)} events left out of the volumes judged.
              </p>
              <ul class="plain">
                {e.allowlisted.reasons.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
            </>
          )}
        </Block>
      </div>
    </section>
  );
}
