// Effective configuration = config/default.yaml, then the optional file (--config or INSIDER_CONFIG),
// then environment variables. The merge is validated once; every problem becomes one line naming
// where the bad value came from (file or variable), the key path and what was expected.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors';
import { PACKAGE_ROOT } from '../package-root';
import { configSchema, ENV_OVERRIDES, SECRET_PATHS, type Config } from './schema';

export const DEFAULT_CONFIG_FILE = path.join(PACKAGE_ROOT, 'config', 'default.yaml');

type Tree = { [key: string]: unknown };

export interface LoadOptions {
  /** Path given with --config; falls back to INSIDER_CONFIG. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Tests and embedders may replace the defaults file. */
  defaultsFile?: string;
}

export interface LoadedConfig {
  config: Readonly<Config>;
  /** Where each layer came from, for `config check`. */
  sources: string[];
}

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const defaultsFile = opts.defaultsFile ?? DEFAULT_CONFIG_FILE;
  const userFile = opts.file ?? (env.INSIDER_CONFIG || undefined);

  const defaults = readTree(defaultsFile);
  const user = userFile ? readTree(userFile) : {};
  if (userFile) rejectSecretsInFile(user, userFile);
  const fromEnv = readEnv(env);

  const merged = merge(merge(defaults, user), fromEnv.tree);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    // The value at a path (or, when missing, its nearest parent) was set by the highest layer holding it.
    const origin = (keyPath: string[]): string => {
      for (let n = keyPath.length; n > 0; n--) {
        const prefix = keyPath.slice(0, n);
        const envName = fromEnv.origins.get(prefix.join('.'));
        if (envName) return `environment variable ${envName}`;
        if (userFile && hasPath(user, prefix)) return userFile;
        if (hasPath(defaults, prefix)) return defaultsFile;
      }
      return userFile ?? defaultsFile;
    };
    const lines = parsed.error.issues.flatMap((issue) => describeIssue(issue, merged, origin));
    throw new ConfigError(lines.join('\n'), { file: userFile ?? defaultsFile });
  }
  const sources = [defaultsFile, ...(userFile ? [userFile] : []), ...(fromEnv.origins.size ? ['environment'] : [])];
  return { config: deepFreeze(parsed.data), sources };
}

function readTree(file: string): Tree {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read config file (${(err as NodeJS.ErrnoException).code ?? err})`, { file });
  }
  const doc = YAML.parseDocument(text);
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const where = e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : 'syntax';
    throw new ConfigError(`${file}: ${where}: not valid YAML or JSON (${e.code})`, { file });
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (!isTree(value)) throw new ConfigError(`${file}: (top level): expected a mapping of keys to values`, { file });
  return value;
}

function rejectSecretsInFile(tree: Tree, file: string): void {
  for (const { path: keyPath, env } of SECRET_PATHS) {
    if (hasPath(tree, keyPath.split('.'))) {
      throw new ConfigError(`${file}: ${keyPath}: secrets are not read from files; set the environment variable ${env}`, {
        file,
        key: keyPath,
      });
    }
  }
}

function readEnv(env: NodeJS.ProcessEnv): { tree: Tree; origins: Map<string, string> } {
  const tree: Tree = {};
  const origins = new Map<string, string>();
  for (const { env: name, path: keyPath, kind } of ENV_OVERRIDES) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(tree, keyPath.split('.'), parseEnvValue(name, raw, kind));
    origins.set(keyPath, name);
  }
  return { tree, origins };
}

function parseEnvValue(name: string, raw: string, kind: 'string' | 'list' | 'int' | 'bool'): unknown {
  switch (kind) {
    case 'string':
      return raw;
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`environment variable ${name}: expected an integer, got "${raw}"`);
      return Number(raw);
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      throw new ConfigError(`environment variable ${name}: expected true or false, got "${raw}"`);
    }
  }
}

function describeIssue(issue: z.core.$ZodIssue, merged: Tree, origin: (p: string[]) => string): string[] {
  const keyPath = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeys(keyPath);
    return issue.keys.map((key) => {
      const full = [...keyPath, key];
      const hint = closest(key, allowed);
      const expected = hint ? `did you mean "${hint}"?` : `expected one of: ${allowed.join(', ')}`;
      return `${origin(full)}: ${full.join('.')}: unknown key (${expected})`;
    });
  }
  const where = `${origin(keyPath)}: ${keyPath.join('.') || '(top level)'}`;
  const value = getPath(merged, keyPath);
  if (issue.code === 'invalid_type') {
    if (value === undefined) return [`${where}: required value is missing (expected ${issue.expected})`];
    return [`${where}: expected ${issue.expected}, got ${typeName(value)} ${preview(value)}`];
  }
  return [`${where}: ${issue.message}, got ${preview(value)}`];
}

/** The keys the schema accepts at a path, for "unknown key" messages. */
function allowedKeys(keyPath: string[]): string[] {
  let node: z.ZodType = configSchema;
  for (const key of keyPath) {
    node = unwrap(node);
    if (!(node instanceof z.ZodObject)) return [];
    node = (node.shape as Record<string, z.ZodType>)[key];
    if (!node) return [];
  }
  node = unwrap(node);
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

function unwrap(node: z.ZodType): z.ZodType {
  let n = node;
  while (n instanceof z.ZodNullable || n instanceof z.ZodOptional) n = n.unwrap() as z.ZodType;
  return n;
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  return typeof v;
}

function preview(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasPath(tree: Tree, keyPath: string[]): boolean {
  let node: unknown = tree;
  for (const key of keyPath) {
    if (!isTree(node) || !(key in node)) return false;
    node = node[key];
  }
  return true;
}

function getPath(tree: Tree, keyPath: string[]): unknown {
  let node: unknown = tree;
  for (const key of keyPath) {
    if (!isTree(node) && !Array.isArray(node)) return undefined;
    node = (node as Tree)[key];
  }
  return node;
}

function setPath(tree: Tree, keyPath: string[], value: unknown): void {
  let node = tree;
  for (const key of keyPath.slice(0, -1)) {
    if (!isTree(node[key])) node[key] = {};
    node = node[key] as Tree;
  }
  node[keyPath[keyPath.length - 1]] = value;
}

/** Objects merge key by key; lists, scalars and null replace. */
export function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] = isTree(value) ? merge(isTree(base[key]) ? base[key] : {}, value) : value;
  }
  return out;
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
