// The README's rules for src/: a folder imports only folders below it, so the folders' imports form no
// loop; and it reaches another folder only through that folder's index.ts (the lint rule says so while
// editing; this checks the resolved paths, so './../x/y', '../../../src/x/y', import() and require()
// cannot go around it). Read from the source text, type-only imports included: a loop of types is still
// a loop for a reader.
import fs from 'node:fs';
import path from 'node:path';

const SRC = path.join(__dirname, '../../src');
const IMPORT = /(?:(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?|(?:import|require)\s*\(\s*)['"](\.[^'"]*)['"]/g;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

/** The top folder (or top-level file, without .ts) of a path inside src. */
const topOf = (p: string): string => path.relative(SRC, p).split(path.sep)[0].replace(/\.ts$/, '');

/** Every relative import of src's files: the importing file, the specifier and where it leads (inside src). */
function relativeImports(): Array<{ file: string; spec: string; target: string }> {
  return sourceFiles(SRC).flatMap((file) =>
    [...fs.readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => ({ file, spec: m[1], target: path.resolve(path.dirname(file), m[1]) })),
  );
}

/** folder -> folder -> the files that import it, as "file -> specifier". */
function folderImports(): Map<string, Map<string, string[]>> {
  const edges = new Map<string, Map<string, string[]>>();
  for (const { file, spec, target } of relativeImports()) {
    const from = topOf(file);
    const to = topOf(target);
    if (to === from) continue;
    const targets = edges.get(from) ?? new Map<string, string[]>();
    targets.set(to, [...(targets.get(to) ?? []), `${path.relative(SRC, file)} -> ${spec}`]);
    edges.set(from, targets);
  }
  return edges;
}

/** Whether an import from `file` to `target` goes through the front door: its own folder, a top-level file, or another folder's index. */
function throughFrontDoor(file: string, target: string): boolean {
  const rel = path.relative(SRC, target).split(path.sep);
  if (topOf(file) === rel[0]) return true;
  return rel.length === 1 || (rel.length === 2 && rel[1].replace(/\.tsx?$/, '') === 'index');
}

/** One loop of folders, as the imports that close it, or null. */
function findLoop(edges: Map<string, Map<string, string[]>>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const visit = (n: string): string[] | null => {
    state.set(n, 'open');
    trail.push(n);
    for (const next of edges.get(n)?.keys() ?? []) {
      if (state.get(next) === 'open') {
        const loop = [...trail.slice(trail.indexOf(next)), next];
        return loop.slice(1).map((to, i) => `${loop[i]} -> ${to}: ${edges.get(loop[i])!.get(to)![0]}`);
      }
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    trail.pop();
    state.set(n, 'done');
    return null;
  };
  for (const n of edges.keys()) {
    if (state.has(n)) continue;
    const found = visit(n);
    if (found) return found;
  }
  return null;
}

describe('src folders', () => {
  it('import each other in no loop', () => {
    const edges = folderImports();
    // The reading itself: detect is known to import config and be imported by triage.
    expect(edges.get('detect')?.has('config')).toBe(true);
    expect(edges.get('triage')?.has('detect')).toBe(true);
    expect(findLoop(edges)).toBeNull();
  });

  it('reach another folder only through its index.ts, however the path is written', () => {
    const around = relativeImports()
      .filter(({ file, target }) => !throughFrontDoor(file, target))
      .map(({ file, spec }) => `${path.relative(SRC, file)} -> ${spec}`);
    expect(around).toEqual([]);
  });

  it('sees the ways around a front door', () => {
    const file = path.join(SRC, 'api/schemas/x.ts');
    const imports = (text: string) => [...text.matchAll(IMPORT)].map((m) => m[1]);
    const text = [
      "import { a } from '../../detect';",
      "export { b } from './../../detect/history';",
      "const c = () => import('../../../src/detect/history');",
      "const d = require('../../detect/history');",
      "import type { E } from '../routes/common';",
    ].join('\n');
    const found = imports(text);
    expect(found).toHaveLength(5);
    expect(found.map((spec) => throughFrontDoor(file, path.resolve(path.dirname(file), spec)))).toEqual([true, false, false, false, true]);
  });

  it('finds a loop where there is one', () => {
    const edges = new Map([
      ['a', new Map([['b', ['a/x.ts -> ../b']]])],
      ['b', new Map([['a', ['b/y.ts -> ../a']]])],
    ]);
    expect(findLoop(edges)).toEqual(['a -> b: a/x.ts -> ../b', 'b -> a: b/y.ts -> ../a']);
  });
});
