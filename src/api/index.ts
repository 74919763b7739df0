// The triage HTTP API (docs/api.md): alerts with their evidence and lifecycle, suppressions, users and
// tokens, the audit trail, pseudonyms; health, readiness, Prometheus metrics and the OpenAPI document.
export { buildApi, startApi, type ApiOptions, type RunningApi } from './server';
export { bearerToken, routeAccess, type Access, type ApiRoute } from './auth';
export { ApiError, errorResponse, type ErrorBody } from './errors';
export type { ApiApp } from './context';
