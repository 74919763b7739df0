// Sign-in (#/signin): an access token, checked against GET /api/me before it is kept. A link may carry
// the token (#/signin?token=...): it is taken, signed in with, and removed from the address bar at once,
// so it does not stay in the history or get copied along with the address.
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from '../api';
import { Banner } from '../components/Banner';
import { useTitle } from '../hooks';
import { go, type Route } from '../router';
import { signIn, useSession } from '../session';

/** Where to go after signing in: the page that sent the analyst here, if it is one of ours. */
function target(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('/signin') ? next : '/alerts';
}

export function SignIn({ route }: { route: Route }) {
  const { notice, me } = useSession();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const next = route.query.get('next');
  useTitle('Sign in');

  const submit = async (value: string) => {
    setBusy(true);
    setError(null);
    try {
      await signIn(value.trim());
      go(target(next));
    } catch (e) {
      setError(errorText(e));
      input.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  // Also when the page is already open and only the address changes to carry a token.
  const linked = route.query.get('token');
  useEffect(() => {
    const t = linked;
    if (!t) {
      input.current?.focus();
      return;
    }
    history.replaceState(history.state, '', `${location.pathname}${location.search}#/signin${next ? `?next=${encodeURIComponent(next)}` : ''}`);
    setToken(t);
    void submit(t);
  }, [linked]);

  return (
    <div class="signin">
      <h1>Insider alerts</h1>
      <p class="muted">Sign in with the access token an administrator issued to you.</p>
      {notice && !error && <Banner kind="info">{notice}</Banner>}
      {me && <p class="hint">Signed in as {me.name}. A new token replaces this session.</p>}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit(token);
        }}
      >
        <label class="field">
          <span>Access token</span>
          <input ref={input} type="password" autocomplete="off" spellcheck={false} required value={token} onInput={(e) => setToken(e.currentTarget.value)} />
        </label>
        {error && (
          <p class="action-msg bad" role="alert" data-testid="signin-error">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
