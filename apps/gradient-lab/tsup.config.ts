import { defineConfig } from 'tsup';

export default defineConfig({
  // `model` and `doctor` are the browser-safe entries (`@gradkit/gradient-lab/model`, `…/doctor`, for the playground): its graph
  // must stay free of Node imports (tests/playground builds it for the browser).
  entry: ['src/cli.ts', 'src/index.ts', 'src/model.ts', 'src/doctor.ts'],
  format: ['esm'],
  dts: { entry: ['src/index.ts', 'src/model.ts', 'src/doctor.ts'] },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  external: [/^@tensorflow\//, /^@gradkit\//, 'mnist', 'webgpu'],
});
