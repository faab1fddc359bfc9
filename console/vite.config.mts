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
        // Brotli's best level takes seconds on the explorer's megabytes of Monaco: a lower one there.
        const quality = body.length > 200_000 ? 7 : 11;
        writeFileSync(`${path}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: quality } }));
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
    // The explorer's GraphiQL and Monaco are large by nature; it loads only on that page.
    chunkSizeWarningLimit: 3000,
    rollupOptions: {
      onwarn(warning, warn) {
        // React libraries' "use client" directives mean nothing in a single-page app.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: { '/graphql': { target: 'http://127.0.0.1:4000', ws: true }, '/console/auth': 'http://127.0.0.1:4000' },
  },
});
