#!/usr/bin/env node
// First half of `npm test` / `npm run demo`: install the workspace with the pinned pnpm, then build
// every package (turbo caches the build, so a second run is quick).
import { fileURLToPath } from 'node:url';
import { pnpm } from './pnpm.mjs';

/** Installs and builds the workspace; returns 0, or the exit status of the step that failed (after saying which). */
export function setup() {
  const frozen = process.env.CI ? ['--frozen-lockfile'] : [];
  for (const args of [
    ['install', '--reporter=append-only', ...frozen],
    ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only'],
  ]) {
    const status = pnpm(args);
    if (status !== 0) {
      console.error(`setup: 'pnpm ${args.join(' ')}' failed with exit code ${status}`);
      return status;
    }
  }
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(setup());
