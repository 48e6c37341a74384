// The backend test harness (packages/testing): one vitest project per backend, each running every
// test file of every package and app, so that one `vitest run` tests everything on cpu, wasm and
// webgpu. The setup file starts the project's backend; the reporter ends the output with a
// per-backend summary. Packages are imported from source (`@gradkit/<name>` → packages/<name>/src).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { tfjsGradientsVitePlugin } from './packages/core/build/tfjs-gradients.mjs';
import { webgpuTestEnv } from './packages/testing/src/webgpu-env.ts';
import { watVitePlugin } from './scripts/wasm/wat.mjs';

const root = fileURLToPath(new URL('.', import.meta.url));

/** The backends every test file runs on; each is a vitest project of that name. */
const BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;

/** `@gradkit/<name>` (exactly, not its subpaths) → packages/<name>/src/index.ts, for every package that has one. */
const sourceAliases = readdirSync(join(root, 'packages'))
  .filter((dir) => existsSync(join(root, 'packages', dir, 'src', 'index.ts')))
  .map((dir) => {
    const manifest = join(root, 'packages', dir, 'package.json');
    const name: string = existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).name : `@gradkit/${dir}`;
    return { find: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`), replacement: join(root, 'packages', dir, 'src', 'index.ts') };
  });

/** tfjs messages that say nothing about the code under test. */
const NOISE = [/looks like you are running TensorFlow\.js in Node\.js/];

export default defineConfig({
  plugins: [tfjsGradientsVitePlugin(), watVitePlugin()],
  resolve: { alias: sourceAliases },
  test: {
    // Dawn (the `webgpu` package) is a native module: child processes, not worker threads.
    pool: 'forks',
    // One module graph per worker: tfjs, the backends and SwiftShader start once per worker instead of
    // once per test file (setup fell from ~160 s to ~7 s of a CI run). Tests restore what they change.
    isolate: false,
    maxWorkers: Math.max(2, availableParallelism()),
    minWorkers: 1,
    // SwiftShader runs WebGPU on the CPU: starting it and compiling shaders takes a while.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', './packages/testing/src/reporter.ts'],
    onConsoleLog: (log) => !NOISE.some((re) => re.test(log)),
    projects: BACKENDS.map((backend) => ({
      extends: true as const,
      test: {
        name: backend,
        include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'docs/guides/examples/**/*.test.ts'],
        setupFiles: ['./packages/testing/src/setup.ts'],
        provide: { gradkitBackend: backend },
        env: backend === 'webgpu' ? webgpuTestEnv(root) : {},
      },
    })),
  },
});
