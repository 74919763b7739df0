// The dashboard's entry: the session, the hash route, the page. Signed-out visitors are sent to sign-in
// with the page they asked for, and brought back to it afterwards.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import './styles.css';
import './pages.css';
import { errorText } from './api';
import { Banner } from './components/Banner';
import { Nav } from './components/Nav';
import { Shortcuts } from './components/Shortcuts';
import { useKeys } from './hooks';
import { AlertPage } from './pages/AlertPage';
import { CasePage } from './pages/CasePage';
import { Cases } from './pages/Cases';
import { Employee } from './pages/Employee';
import { Queue } from './pages/Queue';
import { Reports } from './pages/Reports';
import { SignIn } from './pages/SignIn';
import { Tuning } from './pages/Tuning';
import { Users } from './pages/Users';
import { queueHref, replace, useRoute, type Route } from './router';
import { loadMe, probeSession, useSession } from './session';

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'queue':
      return <Queue route={route} />;
    case 'alert':
      return <AlertPage id={route.id} />;
    case 'cases':
      return <Cases route={route} />;
    case 'case':
      return <CasePage id={route.id} />;
    case 'employee':
      return <Employee user={route.id} />;
    case 'reports':
      return <Reports />;
    case 'users':
      return <Users />;
    case 'tuning':
      return <Tuning />;
    default:
      return (
        <div class="page">
          <h1>Not found</h1>
          <p>
            There is no page at this address. <a href={queueHref()}>Go to the alerts</a>.
          </p>
        </div>
      );
  }
}

function App() {
  const route = useRoute();
  const session = useSession();
  const [help, setHelp] = useState(false);
  const [meError, setMeError] = useState<string | null>(null);
  const main = useRef<HTMLElement>(null);
  const signedOut = !session.token && !session.sso && !session.probing && route.page !== 'signin';

  useEffect(() => {
    if (session.probing) void probeSession();
  }, []);

  useKeys({ '?': () => setHelp(true) });

  useEffect(() => {
    // (signOut may already be on its way to sign-in: then the address is left to it.)
    if (signedOut && !location.hash.startsWith('#/signin')) replace(`/signin?next=${encodeURIComponent(location.hash.slice(1) || '/cases')}`);
  }, [signedOut]);

  useEffect(() => {
    if (!session.token || session.me) return;
    setMeError(null);
    loadMe().catch((e: unknown) => setMeError(errorText(e)));
  }, [session.token]);

  // A new page takes the focus, so screen readers start reading from its top (not on filter changes).
  const where = `${route.page}/${route.id}`;
  const first = useRef(true);
  useEffect(() => {
    if (first.current) return void (first.current = false);
    main.current?.focus({ preventScroll: false });
    window.scrollTo(0, 0);
  }, [where]);

  if (route.page === 'signin') {
    return (
      <main id="main" class="signin-main" tabIndex={-1} ref={main}>
        <SignIn route={route} />
      </main>
    );
  }
  if (signedOut || session.probing) return null;
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          main.current?.focus();
        }}
      >
        Skip to content
      </a>
      <Nav page={route.page} session={session} onHelp={() => setHelp(true)} />
      {meError && <Banner>Could not load your profile: {meError}</Banner>}
      <main id="main" tabIndex={-1} ref={main}>
        <Page route={route} />
      </main>
      <Shortcuts open={help} onClose={() => setHelp(false)} />
    </>
  );
}

render(<App />, document.getElementById('app')!);
