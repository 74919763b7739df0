// The hash router: #/cases (the default page: the cases queue), #/cases/<alert id>, #/signin, #/alerts
// (the alert queue; filters in the query), #/alerts/<id>, #/employees/<user>, #/reports, #/users and
// #/tuning (admins). Pages link to #/cases/<id> and #/alerts/<id> (src/notify/page.ts). Hash routes need
// nothing from the server that serves the files, and a view can be linked.
import { useEffect, useState } from 'preact/hooks';

export type Page = 'signin' | 'queue' | 'alert' | 'cases' | 'case' | 'employee' | 'reports' | 'users' | 'tuning' | 'notfound';

export interface Route {
  page: Page;
  /** The alert id or the employee's pseudonym. */
  id: string;
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const [path, q = ''] = raw.split('?', 2) as [string, string?];
  const query = new URLSearchParams(q);
  const parts = path.split('/').filter(Boolean).map(safeDecode);
  const [head, id = '', extra] = parts;
  if (extra !== undefined) return { page: 'notfound', id: '', query };
  if (head === undefined) return { page: 'cases', id: '', query };
  if (head === 'alerts' && id === '') return { page: 'queue', id: '', query };
  if (head === 'alerts') return { page: 'alert', id, query };
  if (head === 'cases') return id === '' ? { page: 'cases', id: '', query } : { page: 'case', id, query };
  if (head === 'signin' && id === '') return { page: 'signin', id: '', query };
  if (head === 'employees' && id !== '') return { page: 'employee', id, query };
  if (head === 'reports' && id === '') return { page: 'reports', id: '', query };
  if (head === 'users' && id === '') return { page: 'users', id: '', query };
  if (head === 'tuning' && id === '') return { page: 'tuning', id: '', query };
  return { page: 'notfound', id: '', query };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function go(path: string): void {
  location.hash = path;
}

/** Changes the address without a new history entry (the queue's filters as they are typed). */
export function replace(path: string): void {
  history.replaceState(history.state, '', `#${path}`);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export const href = (path: string) => `#${path}`;

// The queue's last address (its filters), so "back to alerts" returns to the same view.
let queuePath = '/alerts';
const rememberQueue = (path: string) => void (queuePath = path);
export const queueHref = () => href(queuePath);
export const alertHref = (id: string) => href(`/alerts/${encodeURIComponent(id)}`);
export const employeeHref = (user: string) => href(`/employees/${encodeURIComponent(user)}`);
/** A case, by any of its alerts (the API finds the case holding it). */
export const caseHref = (alertId: string) => href(`/cases/${encodeURIComponent(alertId)}`);

/** The current route; the queue's address (with its filters) is remembered as it changes. */
function current(): Route {
  const r = parseHash(location.hash);
  if (r.page === 'queue') rememberQueue(location.hash.slice(1) || '/alerts');
  return r;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const on = () => setRoute(current());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

