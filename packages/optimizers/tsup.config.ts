import { defineConfig } from 'tsup';
import { watEsbuildPlugin } from '../../scripts/wasm/wat.mjs';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  external: ['@tensorflow/tfjs-core', '@gradkit/core'],
  // `.wat` kernels (src/kernels/wasm) are compiled to WebAssembly and inlined at build time.
  esbuildPlugins: [watEsbuildPlugin()],
});
