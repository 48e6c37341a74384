import { defineConfig } from 'vite';
import { playgroundAssets } from './build/assets.js';

// Relative base: the built site works from any folder (a static server, a sub-path, tests' temp dir).
export default defineConfig({
  base: './',
  plugins: [playgroundAssets()],
  // The worker imports the backends lazily (one chunk each), which needs ES-module workers.
  worker: { format: 'es' },
  build: { target: 'es2022', reportCompressedSize: false, chunkSizeWarningLimit: 2000 },
});
