// Every error the API answers has one shape, {error: {code, message, requestId, details?}}, and a status
// that says whose fault it is: 4xx for the request (validation with the field path, 401, 403, 404, 409,
// 429), 503 when ClickHouse is away, 500 for our bugs. A 5xx never carries the cause's message or stack:
// they go to the log, under the same request id.
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { ClickHouseError, InsiderError, SqlValueError, TriageError, type ErrorCode } from '../errors';

/** An error raised by the API itself, with its HTTP status and a stable code. */
export class ApiError extends InsiderError {
  readonly statusCode: number;
  readonly details: unknown;

  constructor(statusCode: number, code: ErrorCode, message: string, details?: unknown) {
    super(code, message, { retriable: statusCode === 429 || statusCode === 503 });
    this.statusCode = statusCode;
    this.details = details;
  }
}

export interface ErrorBody {
  error: { code: string; message: string; requestId: string; details?: unknown };
}

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  /** Whether the cause should be logged as an error (a 5xx: ours, or ClickHouse's). */
  serverFault: boolean;
}

const TRIAGE_STATUS: Partial<Record<ErrorCode, number>> = { TRIAGE_NOT_FOUND: 404, TRIAGE_CONFLICT: 409, TRIAGE_INVALID: 400 };

/** Fastify's own request errors (bad JSON, wrong media type, body too large...): their status, our codes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_REQUEST',
  FST_ERR_BAD_URL: 'INVALID_REQUEST',
  FST_ERR_MAX_PARAM_LENGTH: 'INVALID_REQUEST',
};

interface ValidationIssue {
  in: string;
  path: string;
  message: string;
}

/** "querystring.limit: expected a whole number" for each zod issue, with where it was. */
export function validationIssues(context: string | undefined, validation: ReadonlyArray<{ instancePath: string; message?: string }>): ValidationIssue[] {
  return validation.map((v) => ({
    in: context ?? 'request',
    path: v.instancePath.replace(/^\//, '').replace(/\//g, '.'),
    message: v.message ?? 'invalid',
  }));
}

function describeIssues(issues: ReadonlyArray<ValidationIssue>): string {
  return issues.map((i) => `${i.in}${i.path === '' ? '' : `.${i.path}`}: ${i.message}`).join('; ');
}

/** The status and body for any error thrown while handling a request. Pure. */
export function errorResponse(err: unknown, requestId: string): ErrorResponse {
  const body = (code: ErrorCode, message: string, details?: unknown): ErrorBody => ({
    error: details === undefined ? { code, message, requestId } : { code, message, requestId, details },
  });
  if (err instanceof ApiError) return { status: err.statusCode, body: body(err.code, err.message, err.details), serverFault: err.statusCode >= 500 };
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issues = validationIssues((err as { validationContext?: string }).validationContext, err.validation);
    return { status: 400, body: body('INVALID_REQUEST', describeIssues(issues), { issues }), serverFault: false };
  }
  if (err instanceof TriageError) return { status: TRIAGE_STATUS[err.code] ?? 400, body: body(err.code, err.message), serverFault: false };
  if (err instanceof SqlValueError) return { status: 400, body: body('INVALID_VALUE', err.message), serverFault: false };
  if (err instanceof ClickHouseError && err.retriable) {
    return { status: 503, body: body('SERVICE_UNAVAILABLE', 'the alert store (ClickHouse) is unavailable; retry later'), serverFault: true };
  }
  if (isFastifyClientError(err) && !isResponseSerializationError(err)) {
    const fastifyErr = err as { statusCode: number; code?: string; message: string; validation?: unknown };
    // A validation error from a non-zod schema (none today) still says where.
    const code = FASTIFY_CODES[fastifyErr.code ?? ''] ?? (fastifyErr.statusCode === 404 ? 'NOT_FOUND' : 'INVALID_REQUEST');
    return { status: fastifyErr.statusCode, body: body(code, fastifyErr.message), serverFault: false };
  }
  return { status: 500, body: body('INTERNAL', `internal error; the log has the details under request id ${requestId}`), serverFault: true };
}

function isFastifyClientError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { statusCode?: unknown; code?: unknown };
  return typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 && typeof e.code === 'string' && e.code.startsWith('FST_');
}
