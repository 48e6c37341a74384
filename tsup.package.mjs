// The build every public package shares: ESM + CJS with type declarations from src/index.ts, with
// tfjs and the other gradkit packages left as imports. A package's tsup.config.ts passes only what it
// adds (esbuild plugins, more externals, bundled modules).
import { defineConfig } from 'tsup';

/** tsup's config for one package: the shared settings plus `extra` (its `external` is appended). */
export function packageConfig({ external = [], ...extra } = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    external: ['@tensorflow/tfjs-core', /^@gradkit\//, ...external],
    ...extra,
  });
}
