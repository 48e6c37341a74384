import { defineConfig } from 'tsup';

export default defineConfig({
  // `model` is the browser-safe entry (`@gradkit/gradient-lab/model`, for the playground): its graph
  // must stay free of Node imports (tests/playground builds it for the browser).
  entry: ['src/cli.ts', 'src/index.ts', 'src/model.ts'],
  format: ['esm'],
  dts: { entry: ['src/index.ts', 'src/model.ts'] },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  external: [/^@tensorflow\//, /^@gradkit\//, 'mnist', 'webgpu'],
});
