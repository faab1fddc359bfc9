#!/usr/bin/env node
/**
 * `npm run test:coverage`: line coverage of src/ by the whole suite, counted honestly (issue 18).
 * Not part of `npm test` or CI: it costs one full suite run.
 *
 * - Jest's own process (in-process servers, unit tests): Jest's V8 coverage, with every file of
 *   src/ listed (`collectCoverageFrom`), so a file no test loads counts as 0 %, not as absent.
 * - Child processes (server processes of the fault tests, the CLI, embedded mode, the demo): the
 *   test helpers hand them NODE_V8_COVERAGE (test/support/env.ts › childCoverageEnv); c8 maps
 *   their V8 coverage back to the TypeScript through tsx's source maps. A child killed with
 *   SIGKILL writes nothing (the crash tests' victims): what it ran is not counted.
 * A line counts as covered when either side ran it. Prints a table per folder (docs/TESTING.md)
 * and writes coverage-all/summary.json. Extra arguments go to Jest (e.g. a test path).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = path.join(root, 'coverage-all');
const children = path.join(out, 'children-v8');
rmSync(out, { recursive: true, force: true });
mkdirSync(children, { recursive: true });

const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const jest = spawnSync(
  bin('jest'),
  [
    '--coverage',
    '--coverageProvider=v8',
    '--collectCoverageFrom=src/**/*.ts',
    '--collectCoverageFrom=!src/**/*.test.ts',
    '--collectCoverageFrom=!src/generated/**',
    `--coverageDirectory=${path.join(out, 'jest')}`,
    '--coverageReporters=json',
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, TEST_CHILD_V8_COVERAGE: children } },
);
console.log(`jest exited ${jest.status}${jest.status ? ' (coverage is still reported; a failing test lowers it)' : ''}`);

const c8 = spawnSync(
  bin('c8'),
  [
    'report',
    `--temp-directory=${children}`,
    `--reports-dir=${path.join(out, 'children')}`,
    '--reporter=json',
    '--include=src/**/*.ts',
    '--exclude=src/**/*.test.ts',
    '--exclude=src/generated/**',
  ],
  { cwd: root, stdio: 'inherit' },
);
if (c8.status !== 0) console.log(`c8 report exited ${c8.status}: child-process coverage missing`);

/** file → Map(line → covered) from an Istanbul JSON report. */
function linesOf(file) {
  const result = new Map();
  if (!existsSync(file)) return result;
  const { createCoverageMap } = require('istanbul-lib-coverage');
  const map = createCoverageMap(JSON.parse(readFileSync(file, 'utf8')));
  for (const name of map.files()) {
    const relative = path.relative(root, name);
    const lines = new Map(Object.entries(map.fileCoverageFor(name).getLineCoverage()).map(([line, hits]) => [line, hits > 0]));
    result.set(relative, lines);
  }
  return result;
}

const inJest = linesOf(path.join(out, 'jest', 'coverage-final.json'));
const inChildren = linesOf(path.join(out, 'children', 'coverage-final.json'));

/** The folder a file is reported under: src/<folder> (src/ itself for top-level files). */
const folderOf = (file) => {
  const parts = file.split(path.sep);
  return parts.length > 2 ? `${parts[0]}/${parts[1]}/` : `${parts[0]}/ (top level)`;
};
const folders = new Map();
const files = [];
for (const [file, lines] of inJest) {
  const child = inChildren.get(file) ?? new Map();
  let total = 0;
  let covered = 0;
  let jestOnly = 0;
  for (const [line, hit] of lines) {
    total++;
    if (hit) jestOnly++;
    if (hit || child.get(line)) covered++;
  }
  files.push({ file, total, covered, jestOnly });
  const f = folders.get(folderOf(file)) ?? { total: 0, covered: 0, jestOnly: 0, files: 0, unloaded: 0 };
  f.total += total;
  f.covered += covered;
  f.jestOnly += jestOnly;
  f.files++;
  if (covered === 0) f.unloaded++;
  folders.set(folderOf(file), f);
}
const pct = (a, b) => (b === 0 ? '–' : `${((100 * a) / b).toFixed(1)} %`);
const all = [...folders.values()].reduce((s, f) => ({ total: s.total + f.total, covered: s.covered + f.covered, jestOnly: s.jestOnly + f.jestOnly }), {
  total: 0,
  covered: 0,
  jestOnly: 0,
});
const rows = [...folders.entries()].sort(([a], [b]) => a.localeCompare(b));
console.log('\n| Folder | Files (none run) | Lines | Covered (Jest + children) | Jest process only |');
console.log('|---|---|---|---|---|');
for (const [folder, f] of rows) {
  console.log(`| \`${folder}\` | ${f.files} (${f.unloaded}) | ${f.total} | ${pct(f.covered, f.total)} | ${pct(f.jestOnly, f.total)} |`);
}
console.log(`| **all of src/** | ${files.length} | ${all.total} | **${pct(all.covered, all.total)}** | ${pct(all.jestOnly, all.total)} |`);
const lowest = files.filter((f) => f.total > 0).sort((a, b) => a.covered / a.total - b.covered / b.total).slice(0, 15);
console.log('\nLeast covered files:');
for (const f of lowest) console.log(`  ${f.file}: ${pct(f.covered, f.total)} (${f.total} lines; Jest process only ${pct(f.jestOnly, f.total)})`);
writeFileSync(path.join(out, 'summary.json'), JSON.stringify({ folders: Object.fromEntries(rows), files }, null, 2));
process.exit(jest.status ?? 1);
