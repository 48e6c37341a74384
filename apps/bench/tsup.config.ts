import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/main.ts', 'src/run-backend.ts', 'src/run-profile.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  external: [/^@tensorflow\//, /^@gradkit\//, /^@jax-js\//, 'webgpu'],
});
