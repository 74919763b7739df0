// Option parsers shared by subcommands: commander calls them and shows their message on a bad value.
import { InvalidArgumentError } from 'commander';

export function integer(value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `expected an integer >= ${min}.` : `expected an integer from ${min} to ${max}.`);
  }
  return n;
}

/** An ISO-8601 time as epoch ms. A date alone would mean local midnight in some parsers: time and zone are required. */
export function parseTime(value: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw new InvalidArgumentError('expected an ISO-8601 time with a zone, e.g. 2026-10-01T00:00:00Z.');
  }
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError('not a valid time.');
  return ms;
}
