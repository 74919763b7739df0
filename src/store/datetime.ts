// DateTime('UTC') values as ClickHouse takes and prints them in JSON: "YYYY-MM-DD hh:mm:ss" (whole
// seconds; tables that need milliseconds keep them in a UInt16 column next to it).
export function toDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

export function fromDateTime(text: string): number {
  // 18.16 prints the zero DateTime as 0000-00-00 00:00:00; modern servers as 1970-01-01 00:00:00.
  if (text.startsWith('0000-00-00')) return 0;
  return Date.parse(`${text.replace(' ', 'T')}Z`);
}

/** The zero DateTime, 1970-01-01 00:00:00, stands for "none" in columns that cannot be NULL on 18.16. */
export const NO_TIME = 0;
