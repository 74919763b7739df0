// The queue's view as an address: filters and sort live in the hash query (#/alerts?status=all&...), so a
// view can be linked, reloaded and shared. Defaults are left out of the address to keep links short.
import { SEVERITIES, STATUSES, type Severity, type Status } from '../types';
import { query } from '../api';
import { SORT_KEYS, type SortDir, type SortKey } from './sort';

export interface Filters {
  status: Status | 'all';
  severity: Severity | '';
  department: string;
  detector: string;
  user: string;
  sort: SortKey | '';
  dir: SortDir;
}

/** The queue opens on what needs attention: open alerts. */
export const DEFAULT_FILTERS: Filters = { status: 'open', severity: '', department: '', detector: '', user: '', sort: '', dir: 'desc' };

/** Rows a page of the queue holds ("Show more" loads the next). */
export const PAGE_SIZE = 100;

const oneOf = <T extends string>(v: string | null, allowed: readonly T[]): T | undefined =>
  v !== null && (allowed as readonly string[]).includes(v) ? (v as T) : undefined;

export function filtersFromQuery(q: URLSearchParams): Filters {
  return {
    status: oneOf(q.get('status'), [...STATUSES, 'all'] as const) ?? DEFAULT_FILTERS.status,
    severity: oneOf(q.get('severity'), SEVERITIES) ?? '',
    department: (q.get('department') ?? '').trim(),
    detector: (q.get('detector') ?? '').trim(),
    user: (q.get('user') ?? '').trim(),
    sort: oneOf(q.get('sort'), SORT_KEYS) ?? '',
    dir: q.get('dir') === 'asc' ? 'asc' : 'desc',
  };
}

export function filtersToPath(f: Filters): string {
  const s = query({
    status: f.status === DEFAULT_FILTERS.status ? undefined : f.status,
    severity: f.severity,
    department: f.department,
    detector: f.detector,
    user: f.user,
    sort: f.sort,
    dir: f.sort ? f.dir : undefined,
  });
  return `/alerts${s}`;
}

/** The API query for the filters and the sort (the API filters, sorts and counts every alert). */
export function apiPath(f: Filters): string {
  return `/api/alerts${query({
    status: f.status === 'all' ? undefined : f.status,
    severity: f.severity,
    department: f.department,
    detector: f.detector,
    user: f.user,
    sort: f.sort,
    dir: f.sort ? f.dir : undefined,
  })}`;
}

export const isFiltered = (f: Filters) =>
  f.status !== DEFAULT_FILTERS.status || f.severity !== '' || f.department !== '' || f.detector !== '' || f.user !== '';
