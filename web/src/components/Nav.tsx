// The top bar: where to go, who is signed in and as what, and the way out.
import type { Page } from '../router';
import { href, queueHref } from '../router';
import { endSession, isAdmin, type SessionState } from '../session';

interface Props {
  page: Page;
  session: SessionState;
  onHelp: () => void;
}

export function Nav({ page, session, onHelp }: Props) {
  const alerts = page === 'queue' || page === 'alert' || page === 'employee';
  return (
    <header class="topbar">
      <a class="brand" href={href('/cases')}>
        Insider alerts
      </a>
      <nav aria-label="Main">
        <a href={href('/cases')} aria-current={page === 'cases' || page === 'case' ? 'page' : undefined}>
          Cases
        </a>
        <a href={queueHref()} aria-current={alerts ? 'page' : undefined}>
          Alerts
        </a>
        <a href={href('/reports')} aria-current={page === 'reports' ? 'page' : undefined}>
          Reports
        </a>
        {isAdmin(session.me) && (
          <a href={href('/users')} aria-current={page === 'users' ? 'page' : undefined}>
            Users
          </a>
        )}
        {isAdmin(session.me) && (
          <a href={href('/tuning')} aria-current={page === 'tuning' ? 'page' : undefined}>
            Tuning
          </a>
        )}
      </nav>
      <div class="who">
        <button type="button" class="link" onClick={onHelp} aria-keyshortcuts="?">
          Shortcuts <kbd>?</kbd>
        </button>
        {session.me && (
          <span class="me">
            <span class="me-name">{session.me.name}</span> <span class="role">{session.me.role}</span>
          </span>
        )}
        <button type="button" class="quiet" onClick={() => void endSession()}>
          Sign out
        </button>
      </div>
    </header>
  );
}
