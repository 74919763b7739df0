// Text from the logs (table names, session ids, applications) shown to people: bidirectional control
// characters are taken out, so that a crafted name cannot reorder what an analyst reads ("Trojan Source",
// CVE-2021-42574: U+202E makes "crm.sremotsuc" read as "crm.customers"). The API's answers about alerts
// and the CLI's output go through here; the stored data is not changed. Pure.

/** Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and the directional marks (U+200E, U+200F, U+061C). */
export const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function stripBidi(text: string): string {
  return text.replace(BIDI_CONTROLS, '');
}

/** The same value with every string in it (keys too) stripped of bidirectional controls. */
export function displaySafe<T>(value: T): T {
  if (typeof value === 'string') return stripBidi(value) as T;
  if (Array.isArray(value)) return value.map(displaySafe) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [stripBidi(k), displaySafe(v)])) as T;
  }
  return value;
}
