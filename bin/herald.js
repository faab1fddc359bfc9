#!/usr/bin/env node
'use strict';
/**
 * `npx herald ...` (package.json "bin"). In a checkout (src/ present and the dev dependency tsx
 * installed, as after `npm install`) it runs the TypeScript source through tsx, so the CLI is
 * never older than the code and needs no build step; an installed build without dev
 * dependencies runs the compiled dist/src/cli/main.js (`npm run build`).
 */
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const source = path.join(root, 'src', 'cli', 'main.ts');
const compiled = path.join(root, 'dist', 'src', 'cli', 'main.js');

function hasTsx() {
  try {
    require.resolve('tsx/cjs', { paths: [root] });
    return true;
  } catch {
    return false;
  }
}

if (fs.existsSync(source) && hasTsx()) {
  require(require.resolve('tsx/cjs', { paths: [root] }));
  require(source).run();
} else if (fs.existsSync(compiled)) {
  require(compiled).run();
} else {
  process.stderr.write('herald: neither tsx (npm install) nor a build (npm run build) is there to run the CLI\n');
  process.exit(1);
}
