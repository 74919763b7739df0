// The dashboard: the single-page app built from web/ by `npm run build` into dist/web, served here as
// static files without a token (the shell holds no data; every figure comes from /api with the token
// the analyst signs in with). A strict Content-Security-Policy: only this origin's scripts and styles.
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { ApiApp } from './context';
import { ApiError } from './errors';

/** dist/web from both src/api (tests) and dist/api (the built CLI). */
export const DASHBOARD_DIR = path.resolve(__dirname, '..', '..', 'dist', 'web');

const CSP = ["default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"].join('; ');

export async function dashboardRoutes(app: ApiApp, dir = DASHBOARD_DIR): Promise<void> {
  const built = fs.existsSync(path.join(dir, 'index.html'));
  if (built) await app.register(fastifyStatic, { root: dir, serve: false, cacheControl: false });
  else app.log.warn(`the dashboard is not built (no ${path.join(dir, 'index.html')}): / answers 503 until npm run build`);
  const notBuilt = () => new ApiError(503, 'DASHBOARD_NOT_BUILT', `the dashboard is not built (no ${path.join(dir, 'index.html')}): run npm run build`);
  const headers = { 'content-security-policy': CSP, 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' };

  app.get('/', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
    if (!built) throw notBuilt();
    return reply.headers(headers).sendFile('index.html');
  });
  // File names carry a content hash (Vite), so a browser may keep them.
  app.get('/assets/*', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    if (!built) throw notBuilt();
    const file = (request.params as { '*': string })['*'];
    if (!/^[A-Za-z0-9._-]+$/.test(file)) throw new ApiError(404, 'NOT_FOUND', `no asset ${file}`);
    return reply.headers(headers).header('cache-control', 'public, max-age=31536000, immutable').sendFile(`assets/${file}`);
  });
}
