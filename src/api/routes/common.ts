// Pieces every route module uses: the error answers to document.
import { errorOut } from '../schemas';

/** The error answers of an authenticated route (400 validation, 401, 403, 429, 503), plus `extra`. */
export function errorResponses(...extra: number[]): Record<number, typeof errorOut> {
  const out: Record<number, typeof errorOut> = {};
  for (const status of [400, 401, 403, 429, 503, ...extra]) out[status] = errorOut;
  return out;
}
