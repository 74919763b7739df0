// The README's rule for src/: a folder imports only folders below it, so the folders' imports form no
// loop (the lint rule checks the other half: only through a folder's index.ts). Read from the source
// text, type-only imports included: a loop of types is still a loop for a reader.
import fs from 'node:fs';
import path from 'node:path';

const SRC = path.join(__dirname, '../../src');
const IMPORT = /(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.[^'"]*)['"]/g;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

/** The top folder (or top-level file, without .ts) of a path inside src. */
const topOf = (p: string): string => path.relative(SRC, p).split(path.sep)[0].replace(/\.ts$/, '');

/** folder -> folder -> the files that import it, as "file -> specifier". */
function folderImports(): Map<string, Map<string, string[]>> {
  const edges = new Map<string, Map<string, string[]>>();
  for (const file of sourceFiles(SRC)) {
    const from = topOf(file);
    for (const m of fs.readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const to = topOf(path.resolve(path.dirname(file), m[1]));
      if (to === from) continue;
      const targets = edges.get(from) ?? new Map<string, string[]>();
      targets.set(to, [...(targets.get(to) ?? []), `${path.relative(SRC, file)} -> ${m[1]}`]);
      edges.set(from, targets);
    }
  }
  return edges;
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

  it('finds a loop where there is one', () => {
    const edges = new Map([
      ['a', new Map([['b', ['a/x.ts -> ../b']]])],
      ['b', new Map([['a', ['b/y.ts -> ../a']]])],
    ]);
    expect(findLoop(edges)).toEqual(['a -> b: a/x.ts -> ../b', 'b -> a: b/y.ts -> ../a']);
  });
});
