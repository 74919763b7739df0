// Cutting text to a length, one way for the whole product (sources' statements, paging channels' fields), so no copy splits a character.

/** A UTF-16 high (first) surrogate followed by a low (second) one: one character in two code units. */
const pairAt = (s: string, i: number) => {
  const hi = s.charCodeAt(i);
  const lo = s.charCodeAt(i + 1);
  return hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff;
};

/**
 * The start of `s` in at most `max` UTF-16 code units (String.length, what event validation and the
 * docs' "characters" count), unmarked. A surrogate pair at the cut is left out whole: half of one is not
 * text (validation refuses it in a field, SQL writing throws on it, UTF-8 makes it U+FFFD).
 */
export function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max <= 0) return '';
  return s.slice(0, pairAt(s, max - 1) ? max - 1 : max);
}

/** `s` whole when it fits in `max` code units, else cut to `max - 1` and marked with '…' (so still at most `max`). */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  if (max <= 0) return '';
  return `${cut(s, max - 1)}…`;
}
