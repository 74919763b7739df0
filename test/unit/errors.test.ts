import fs from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../src/api/errors';
import { ERROR_CODES, InsiderError, InternalError, TriageError } from '../../src/errors';

describe('the error code registry', () => {
  it('docs/errors.md lists exactly the codes of ERROR_CODES, with the same meanings', () => {
    const page = fs.readFileSync(path.join(__dirname, '../../docs/errors.md'), 'utf8');
    const rows = [...page.matchAll(/^\| `([A-Z_]+)` \| (.*) \|$/gm)].map((m) => [m[1], m[2]]);
    expect(Object.fromEntries(rows)).toEqual(ERROR_CODES);
    expect(rows).toHaveLength(Object.keys(ERROR_CODES).length);
  });

  it('every error class of the tree carries a registered code and says whether to retry', () => {
    const errors: InsiderError[] = [new InternalError('x'), new TriageError('TRIAGE_CONFLICT', 'y'), new ApiError(429, 'RATE_LIMITED', 'z'), new ApiError(403, 'FORBIDDEN', 'w')];
    for (const e of errors) {
      expect(e).toBeInstanceOf(InsiderError);
      expect(Object.keys(ERROR_CODES)).toContain(e.code);
    }
    expect(errors.map((e) => e.retriable)).toEqual([false, false, true, false]);
  });
});
