// Builds one of tests/browser's pages (a folder with index.html and main.js) with Vite into
// `<out>/site`, importing the BUILT @gradkit packages as a user's app does, and copies tfjs's .wasm
// binaries into `<out>/site/tfjs-wasm/`, where the pages point useBackend's `wasmPaths`. Vite's cache
// goes to `<out>` too: nothing is written to the repository.
import { cp, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'vite';

/** Builds `appDir` into `<out>/site` with tfjs's .wasm files; returns the site's folder. */
export async function buildSite(appDir, out) {
  const site = join(out, 'site');
  await build({
    root: appDir,
    configFile: false,
    logLevel: 'warn',
    cacheDir: join(out, '.vite'),
    build: { outDir: site, emptyOutDir: true, reportCompressedSize: false },
  });
  const wasmDist = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  for (const f of (await readdir(wasmDist)).filter((n) => n.endsWith('.wasm'))) await cp(join(wasmDist, f), join(site, 'tfjs-wasm', f));
  return site;
}
