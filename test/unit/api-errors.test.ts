// The API's error answers: one shape for every cause, the right status, the field path of a validation
// error, and nothing of a server fault's message or stack.
import { validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError, errorResponse } from '../../src/api/errors';
import { ClickHouseError, SqlValueError, TriageError } from '../../src/errors';

/** A validation error as fastify raises it from a zod schema. */
function validationError(schema: z.ZodType, data: unknown, context: string): Error {
  const result = validatorCompiler({ schema, method: 'GET', url: '/x', httpPart: context })(data) as { error?: unknown };
  return Object.assign(new Error('validation'), { validation: result.error, validationContext: context, statusCode: 400, code: 'FST_ERR_VALIDATION' });
}

describe('errorResponse', () => {
  it('answers validation errors with 400, each issue with where it was and its field path', () => {
    const schema = z.strictObject({ limit: z.string().regex(/^\d+$/, 'expected a whole number'), range: z.strictObject({ from: z.string() }) });
    const out = errorResponse(validationError(schema, { limit: 'x', range: { from: 1 }, extra: 1 }, 'querystring'), 'req-1');
    expect(out.status).toBe(400);
    expect(out.serverFault).toBe(false);
    expect(out.body.error.code).toBe('INVALID_REQUEST');
    expect(out.body.error.requestId).toBe('req-1');
    expect(out.body.error.message).toContain('querystring.limit: expected a whole number');
    expect(out.body.error.message).toContain('querystring.range.from: ');
    expect(out.body.error.message).toContain('querystring: Unrecognized key: "extra"');
    expect(out.body.error.details).toEqual({
      issues: expect.arrayContaining([
        { in: 'querystring', path: 'limit', message: 'expected a whole number' },
        { in: 'querystring', path: 'range.from', message: expect.any(String) },
      ]),
    });
  });

  it.each([
    ['TRIAGE_NOT_FOUND', 404],
    ['TRIAGE_CONFLICT', 409],
    ['TRIAGE_INVALID', 400],
  ] as const)('answers %s with %i and the service message', (code, status) => {
    const out = errorResponse(new TriageError(code, 'the alert is already resolved'), 'r');
    expect(out).toEqual({ status, serverFault: false, body: { error: { code, message: 'the alert is already resolved', requestId: 'r' } } });
  });

  it('keeps the status, code and details of its own errors (401, 403, 429)', () => {
    for (const [status, code] of [[401, 'UNAUTHENTICATED'], [403, 'FORBIDDEN'], [429, 'RATE_LIMITED']] as const) {
      expect(errorResponse(new ApiError(status, code, 'no'), 'r')).toEqual({ status, serverFault: false, body: { error: { code, message: 'no', requestId: 'r' } } });
    }
    expect(errorResponse(new ApiError(400, 'INVALID_REQUEST', 'bad', { field: 'x' }), 'r').body.error.details).toEqual({ field: 'x' });
  });

  it("maps fastify's request errors to their status with our codes", () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    expect(errorResponse(tooLarge, 'r')).toMatchObject({ status: 413, body: { error: { code: 'BODY_TOO_LARGE' } } });
    const media = Object.assign(new Error("Unsupported Media Type: 'text/evil'"), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
    expect(errorResponse(media, 'r')).toMatchObject({ status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } } });
    const json = Object.assign(new SyntaxError('Unexpected end of JSON input'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
    expect(errorResponse(json, 'r')).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST', message: 'Unexpected end of JSON input' } } });
  });

  it('answers a value the escaping helper refuses with 400', () => {
    expect(errorResponse(new SqlValueError('cannot write a string with an unpaired surrogate as SQL'), 'r')).toMatchObject({ status: 400, body: { error: { code: 'INVALID_VALUE' } } });
  });

  it('answers ClickHouse being away with 503, without its message', () => {
    const out = errorResponse(new ClickHouseError('ClickHouse unreachable during query: connect ECONNREFUSED 10.1.2.3:8123', { retriable: true }), 'r');
    expect(out.status).toBe(503);
    expect(out.serverFault).toBe(true);
    expect(out.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(JSON.stringify(out.body)).not.toContain('10.1.2.3');
  });

  it('never leaks the message or stack of anything else', () => {
    for (const err of [
      new Error('secret detail at /srv/app/src/x.ts:12'),
      new ClickHouseError("ClickHouse rejected the query: SELECT * FROM audit_log WHERE actor = 'ana'", { retriable: false }),
      new TypeError("Cannot read properties of undefined (reading 'x')"),
      Object.assign(new Error("Response doesn't match the schema"), { statusCode: 500, code: 'FST_ERR_RESPONSE_SERIALIZATION', method: 'GET', url: '/x' }),
      'a thrown string',
      null,
    ]) {
      const out = errorResponse(err, 'req-9');
      expect(out.status).toBe(500);
      expect(out.serverFault).toBe(true);
      expect(out.body).toEqual({ error: { code: 'INTERNAL', message: 'internal error; the log has the details under request id req-9', requestId: 'req-9' } });
    }
  });
});
