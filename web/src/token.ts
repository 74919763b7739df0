// Where the access token lives: sessionStorage, so it ends with the tab and is not shared between tabs
// or written to disk by the browser the way localStorage is.
const KEY = 'insider.token';

export function readToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function writeToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, token);
  } catch {
    // Storage can be disabled; the session then lasts until the page is reloaded.
  }
}
