import { SECRET_PATHS, type Config } from './schema';

/** A copy of the config safe to print: each secret shows only whether it is set. */
export function maskSecrets(config: Readonly<Config>): unknown {
  const copy = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  for (const { path } of SECRET_PATHS) {
    const keys = path.split('.');
    const parent = keys.slice(0, -1).reduce<unknown>((node, k) => (node as Record<string, unknown> | null)?.[k], copy);
    if (parent && typeof parent === 'object') {
      const last = keys[keys.length - 1];
      const obj = parent as Record<string, unknown>;
      obj[last] = obj[last] ? '****' : '(not set)';
    }
  }
  return copy;
}
