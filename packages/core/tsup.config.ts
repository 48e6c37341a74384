import { defineConfig } from 'tsup';
import { tfjsGradientsEsbuildPlugin } from './build/tfjs-gradients.mjs';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  external: ['@tensorflow/tfjs-core', /^@tensorflow\/tfjs-backend-/, 'webgpu'],
  noExternal: [/register_all_gradients/],
  esbuildPlugins: [tfjsGradientsEsbuildPlugin()],
});
