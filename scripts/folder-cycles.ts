import fs from 'node:fs';
import path from 'node:path';

/**
 * The import cycles between the top-level folders of `root` (src/a imports src/b and src/b imports
 * src/a, or longer), counting relative imports of non-test files that run (`import type` does not).
 * Each cycle is the folders of one strongly connected component, sorted. `npm test` fails on one
 * (test/folder-cycles.test.ts); `npx tsx scripts/folder-cycles.ts src` prints them.
 */
export function folderCycles(root: string): string[][] {
  const edges = new Map<string, Set<string>>();
  const folderOf = (file: string) => path.relative(root, file).split(path.sep)[0] || '.';
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'generated') walk(file);
        continue;
      }
      if (!/\.(ts|tsx|mts)$/.test(entry.name) || /\.test\.|\.d\.ts$/.test(entry.name)) continue;
      const text = fs.readFileSync(file, 'utf8');
      for (const match of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) {
        if (/^import\s+type\s/.test(match[0])) continue;
        const target = path.resolve(path.dirname(file), match[1]);
        const [from, to] = [folderOf(file), folderOf(target)];
        if (from === to || !target.startsWith(root)) continue;
        if (!edges.has(from)) edges.set(from, new Set());
        edges.get(from)!.add(to);
      }
    }
  };
  walk(path.resolve(root));

  // Tarjan's strongly connected components.
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const strong = (v: string): void => {
    indexOf.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!indexOf.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!indexOf.has(v)) strong(v);
  return cycles;
}

if (require.main === module) {
  const cycles = folderCycles(path.resolve(process.argv[2] ?? 'src'));
  console.log(cycles.length ? `folder cycles: ${cycles.map((c) => c.join(' <-> ')).join('; ')}` : 'no folder cycles');
  process.exit(cycles.length ? 1 : 0);
}
