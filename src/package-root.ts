import path from 'node:path';

/** The project root (where package.json, config/ and deploy/ live), from both src/ and dist/. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..');
