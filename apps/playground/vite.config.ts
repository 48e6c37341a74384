import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig } from 'vite';
import { playgroundAssets } from './build/assets.js';

// The page imports the BUILT workspace packages (their dist/), as a user's app imports the published
// ones. Say what to run when one is not built yet, instead of Vite's "failed to resolve entry".
const require = createRequire(import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
const unbuilt = Object.keys(manifest.dependencies).filter(
  (name) => name.startsWith('@gradkit/') && !existsSync(join(dirname(require.resolve(`${name}/package.json`)), 'dist')),
);
if (unbuilt.length > 0)
  throw new Error(`${unbuilt.join(', ')} not built: run 'pnpm build' (or 'pnpm --filter playground... build') from the repository root first`);

// Cross-origin isolation (COOP + COEP): the page may then use SharedArrayBuffer, and tfjs runs its
// threaded wasm build (docs/guides/threads.md). Every resource of the page is same-origin, so
// `require-corp` blocks nothing. tests/playground/run.mjs serves the build with the same headers.
const crossOriginIsolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

// Relative base: the built site works from any folder (a static server, a sub-path, tests' temp dir).
export default defineConfig({
  base: './',
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
  plugins: [playgroundAssets()],
  // The worker imports the backends lazily (one chunk each), which needs ES-module workers.
  worker: { format: 'es' },
  // `vite dev`: pre-bundle what the worker imports (the scanner does not follow workers' lazy imports;
  // discovering them mid-run would reload the page).
  optimizeDeps: {
    include: [
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-layers',
      '@tensorflow/tfjs-backend-cpu',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-webgpu',
    ],
  },
  build: { target: 'es2022', reportCompressedSize: false, chunkSizeWarningLimit: 2000 },
});
