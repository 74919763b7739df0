// The queue's sort keys, as the API names them (GET /api/alerts?sort=&dir=): the API sorts every matching
// alert, not the loaded page. Every order ends with the alert id, so equal keys keep a stable order.
export const SORT_KEYS = ['severity', 'volume', 'ratio', 'fired', 'status'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';

/** The first click on a column: biggest first for figures, lifecycle order for status. */
export const firstDir = (k: SortKey): SortDir => (k === 'status' ? 'asc' : 'desc');
