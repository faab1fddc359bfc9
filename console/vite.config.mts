import { readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/** Writes a .br and a .gz beside each text file of the build, which Herald sends as they are. */
function precompress(): Plugin {
  return {
    name: 'herald-precompress',
    apply: 'build',
    writeBundle(options, bundle) {
      for (const name of Object.keys(bundle)) {
        if (!/\.(js|css|html|svg|json|txt)$/.test(name)) continue;
        const path = resolve(options.dir!, name);
        const body = readFileSync(path);
        if (body.length < 1024) continue;
        writeFileSync(`${path}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
        writeFileSync(`${path}.gz`, gzipSync(body, { level: 9 }));
      }
    },
  };
}

const here = dirname(fileURLToPath(import.meta.url));

/** The console: a Preact single-page app served by Herald under /console (docs/CONSOLE.md). */
export default defineConfig({
  root: here,
  base: '/console/',
  plugins: [precompress()],
  build: {
    outDir: resolve(here, '../dist/console'),
    emptyOutDir: true,
    target: 'es2022',
    // No inline <script> or module preload polyfill: the CSP allows scripts from Herald's files only.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/graphql': { target: 'http://127.0.0.1:4000', ws: true }, '/console/auth': 'http://127.0.0.1:4000' },
  },
});
