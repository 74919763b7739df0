// Single sign-on's pure parts: roles from groups, claims as lists, where the dashboard may be sent back
// to, and the session's CSRF token.
import { claimList, roleOfGroups, safeNext } from '../../src/api/sso';
import { csrfTokenOf, sameCsrfToken } from '../../src/triage';

const roles = { admin: ['insider-admins'], analyst: ['secops', 'soc-l2'], viewer: ['auditors'] };

describe('roleOfGroups', () => {
  it('gives the highest role whose groups the user is in, or none', () => {
    expect(roleOfGroups(['staff', 'secops'], roles)).toBe('analyst');
    expect(roleOfGroups(['auditors', 'insider-admins'], roles)).toBe('admin');
    expect(roleOfGroups(['auditors'], roles)).toBe('viewer');
    expect(roleOfGroups(['staff'], roles)).toBeNull();
    expect(roleOfGroups([], roles)).toBeNull();
    // Exact names: no prefix, case or substring match.
    expect(roleOfGroups(['SecOps', 'secops-old', 'insider-admins '], roles)).toBeNull();
  });
});

describe('claimList', () => {
  it('takes an array of strings or one string, and ignores anything else', () => {
    expect(claimList(['a', 'b'])).toEqual(['a', 'b']);
    expect(claimList('a')).toEqual(['a']);
    expect(claimList(['a', 1, null, { g: 'admin' }])).toEqual(['a']);
    expect(claimList(undefined)).toEqual([]);
    expect(claimList({ admin: true })).toEqual([]);
  });
});

describe('safeNext', () => {
  it('returns only to the dashboard’s own routes', () => {
    expect(safeNext('/alerts/al_20261129_dad02117da')).toBe('/alerts/al_20261129_dad02117da');
    expect(safeNext('/alerts?status=open')).toBe('/alerts?status=open');
    for (const bad of ['//evil.example', 'https://evil.example', 'javascript:alert(1)', '/signin?next=x', '/a"><script>', undefined, 42]) expect(safeNext(bad)).toBe('/cases');
  });
});

describe('the CSRF token of a session', () => {
  it('is derived from the secret, and only the right one matches', () => {
    const t = csrfTokenOf('ses_secret');
    expect(t).toBe(csrfTokenOf('ses_secret'));
    expect(t).not.toBe(csrfTokenOf('ses_secreT'));
    expect(sameCsrfToken('ses_secret', t)).toBe(true);
    for (const bad of [undefined, '', t.slice(1), `${t}x`, csrfTokenOf('other')]) expect(sameCsrfToken('ses_secret', bad)).toBe(false);
  });
});
