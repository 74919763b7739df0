// Sign-in (#/signin): single sign-on through the organisation's identity provider when the API has it on
// (a link to /auth/login: the whole page goes there and comes back signed in), or an access token,
// checked against GET /api/me before it is kept. A link may carry
// the token (#/signin?token=...): it is taken, signed in with, and removed from the address bar at once,
// so it does not stay in the history or get copied along with the address.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText } from '../api';
import { Banner } from '../components/Banner';
import { useTitle } from '../hooks';
import { go, type Route } from '../router';
import { signIn, useSession } from '../session';

/** Why single sign-on came back without a session (/auth/callback's reason codes). */
const SSO_FAILURES: Record<string, string> = {
  denied: 'The identity provider did not sign you in.',
  state: 'The sign-in could not be matched to this browser (it took too long, or cookies are blocked). Try again.',
  exchange: 'The identity provider’s answer could not be verified. Try again, or tell an administrator.',
  no_name: 'The identity provider did not say who you are (no user name claim). Tell an administrator.',
  no_role: 'You are in none of the groups that give access to this dashboard. Ask for access.',
  refused: 'Your account may not sign in here (disabled, or a reserved name). Ask an administrator.',
  unavailable: 'Single sign-on is not available right now. Try again later, or use an access token.',
};

/** Where to go after signing in: the page that sent the analyst here, if it is one of ours. */
function target(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('/signin') ? next : '/cases';
}

export function SignIn({ route }: { route: Route }) {
  const { notice, me } = useSession();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const next = route.query.get('next');
  const ssoFailure = route.query.get('sso');
  const [ssoOn, setSsoOn] = useState(false);
  useTitle('Sign in');
  useEffect(() => {
    api<{ enabled: boolean }>('/auth/sso', { probe: true })
      .then((r) => setSsoOn(r.enabled))
      .catch(() => setSsoOn(false));
  }, []);

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
      {notice && !error && <Banner kind="info">{notice}</Banner>}
      {ssoFailure && (
        <p class="action-msg bad" role="alert" data-testid="sso-error">
          {SSO_FAILURES[ssoFailure] ?? 'Single sign-on failed. Try again.'}
        </p>
      )}
      {ssoOn && (
        <p>
          <a class="button primary" data-testid="sso-signin" href={`/auth/login?next=${encodeURIComponent(target(next))}`}>
            Sign in with single sign-on
          </a>
        </p>
      )}
      <p class="muted">{ssoOn ? 'Or sign in with' : 'Sign in with'} the access token an administrator issued to you.</p>
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
