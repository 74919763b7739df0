// API users (#/users, admins): every user with their role and state; change a role, disable (which ends
// their tokens at once) or enable a user, and see and revoke a user's tokens. Every change goes through the
// API, which audits it; the page shows the API's answer, so what it shows is what is stored.
import { useState } from 'preact/hooks';
import { enc, errorText, get, post } from '../api';
import { Banner } from '../components/Banner';
import { Time } from '../components/Time';
import { useKeys, useLoad, useTitle } from '../hooks';
import { useSession } from '../session';
import { ROLES, type Role, type Token, type User } from '../types';

function TokenList({ user, onMessage }: { user: User; onMessage: (m: string) => void }) {
  const list = useLoad((signal) => get<{ items: Token[] }>(`/api/users/${enc(user.name)}/tokens`, signal), [user.name]);
  const [error, setError] = useState<string | null>(null);
  const revoke = async (t: Token) => {
    setError(null);
    try {
      const revoked = await post<Token>(`/api/users/${enc(user.name)}/tokens/${enc(t.tokenId)}/revoke`);
      list.setData({ items: (list.data?.items ?? []).map((x) => (x.tokenId === t.tokenId ? revoked : x)) });
      onMessage(`Token ${t.tokenId} of ${user.name} revoked.`);
    } catch (e) {
      setError(errorText(e));
    }
  };
  if (list.error) return <Banner>{list.error}</Banner>;
  if (!list.data) return <p class="loading">Loading tokens…</p>;
  if (list.data.items.length === 0) return <p class="muted">No tokens (issue one with insider users token {user.name}).</p>;
  return (
    <>
      {error && <Banner>{error}</Banner>}
      <table class="grid compact" aria-label={`Tokens of ${user.name}`}>
        <thead>
          <tr>
            <th scope="col">Token</th>
            <th scope="col">State</th>
            <th scope="col">Issued (UTC)</th>
            <th scope="col">Expires (UTC)</th>
            <th scope="col">Ended</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.data.items.map((t) => (
            <tr key={t.tokenId} data-token-id={t.tokenId}>
              <th scope="row" class="mono">
                {t.tokenId}
              </th>
              <td data-testid="token-state">{t.state}</td>
              <td class="nowrap">
                <Time at={t.issuedAt} /> <span class="muted">by {t.issuedBy}</span>
              </td>
              <td class="nowrap">
                <Time at={t.expiresAt} />
              </td>
              <td class="nowrap">{t.revokedAt ? (t.revokedBy === t.name ? 'signed out' : `revoked by ${t.revokedBy}`) : '–'}</td>
              <td>
                {t.state === 'active' && (
                  <button type="button" class="small" onClick={() => void revoke(t)}>
                    Revoke<span class="sr-only"> {t.tokenId}</span>
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function UserRow({ user, self, onChanged, onMessage }: { user: User; self: boolean; onChanged: (u: User) => void; onMessage: (m: string) => void }) {
  const [tokens, setTokens] = useState(false);
  const [disabling, setDisabling] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const act = async (path: string, body: unknown, done: (u: User) => string) => {
    setBusy(true);
    setError(null);
    try {
      const u = await post<User>(`/api/users/${enc(user.name)}/${path}`, body);
      onChanged(u);
      onMessage(done(u));
      setDisabling(false);
      setReason('');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <tr data-user={user.name} class={user.disabled ? 'muted-row' : undefined}>
        <th scope="row" class="mono">
          {user.name}
          {self && <span class="muted"> (you)</span>}
        </th>
        <td>
          <select
            aria-label={`Role of ${user.name}`}
            value={user.role}
            disabled={busy || self}
            onChange={(e) => void act('role', { role: e.currentTarget.value as Role }, (u) => `${u.name} is now ${u.role}.`)}
          >
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </td>
        <td data-testid="user-state">{user.disabled ? `disabled${user.disabledReason ? ` (${user.disabledReason})` : ''}` : 'active'}</td>
        <td class="nowrap">
          <Time at={user.updatedAt} /> <span class="muted">by {user.updatedBy}</span>
        </td>
        <td class="nowrap">
          <button type="button" class="small" aria-expanded={tokens} onClick={() => setTokens(!tokens)}>
            Tokens<span class="sr-only"> of {user.name}</span>
          </button>{' '}
          {user.disabled ? (
            <button type="button" class="small" disabled={busy} onClick={() => void act('enable', {}, (u) => `${u.name} enabled; issue a new token (the old ones stay revoked).`)}>
              Enable<span class="sr-only"> {user.name}</span>
            </button>
          ) : (
            !self && (
              <button type="button" class="small" aria-expanded={disabling} onClick={() => setDisabling(!disabling)}>
                Disable…<span class="sr-only"> {user.name}</span>
              </button>
            )
          )}
        </td>
      </tr>
      {(disabling || error) && (
        <tr class="sub-row">
          <td colSpan={5}>
            {error && (
              <p class="action-msg bad" role="alert">
                {error}
              </p>
            )}
            {disabling && (
              <form
                class="inline-form"
                aria-label={`Disable ${user.name}`}
                onSubmit={(e) => {
                  e.preventDefault();
                  void act('disable', reason.trim() ? { reason: reason.trim() } : {}, (u) => `${u.name} disabled; their tokens were revoked.`);
                }}
              >
                <label class="field">
                  <span>Reason (optional)</span>
                  <input type="text" value={reason} maxLength={1000} onInput={(e) => setReason(e.currentTarget.value)} />
                </label>
                <button type="submit" class="primary" disabled={busy}>
                  Disable user
                </button>
                <button type="button" onClick={() => setDisabling(false)}>
                  Cancel
                </button>
              </form>
            )}
          </td>
        </tr>
      )}
      {tokens && (
        <tr class="sub-row">
          <td colSpan={5}>
            <TokenList key={`${user.name}|${user.updatedAt}`} user={user} onMessage={onMessage} />
          </td>
        </tr>
      )}
    </>
  );
}

export function Users() {
  const { me } = useSession();
  const list = useLoad((signal) => get<{ items: User[] }>('/api/users', signal), []);
  const [message, setMessage] = useState<string | null>(null);
  useTitle('Users');
  useKeys({ r: () => list.reload() });
  const items = list.data?.items ?? [];
  const changed = (u: User) => list.setData({ items: items.map((x) => (x.name === u.name ? u : x)) });

  return (
    <div class="page users-page">
      <div class="page-head">
        <h1>Users</h1>
        {list.data && <p class="count">{items.length} users</p>}
      </div>
      <p class="hint">
        Roles: viewer &lt; analyst &lt; admin; a change holds from the user's next request. Disabling a user refuses them at once and revokes their tokens. New users and
        tokens: <span class="mono">insider users add</span>, <span class="mono">insider users token</span>.
      </p>
      {message && (
        <Banner kind="ok">
          <span data-testid="users-message">{message}</span>
        </Banner>
      )}
      {list.error && <Banner>{list.error}</Banner>}
      {!list.data && !list.error && <p class="loading">Loading users…</p>}
      {items.length > 0 && (
        <div class="table-wrap">
          <table class="grid" aria-label="Users">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">State</th>
                <th scope="col">Last change (UTC)</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((u) => (
                <UserRow key={u.name} user={u} self={me?.name === u.name} onChanged={changed} onMessage={setMessage} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
