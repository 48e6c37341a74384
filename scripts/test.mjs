#!/usr/bin/env node
// `npm test`: what the system must provide (scripts/system.mjs: Chromium, SwiftShader and the Vulkan
// loader, installed with apt-get where it can be), the workspace (scripts/setup.mjs), then every check
// (`pnpm run test:all`) with CI=true, so that a backend or a browser page that cannot start fails the
// run instead of being skipped: `npm test` passes only when every check ran on every backend.
import { pnpm } from './pnpm.mjs';
import { setup } from './setup.mjs';
import { ensureSystem, thisSystem } from './system.mjs';

const problem = ensureSystem(thisSystem());
if (problem) {
  console.error(problem);
  process.exit(1);
}
const status = setup();
if (status !== 0) process.exit(status);
process.exit(pnpm(['--silent', 'run', 'test:all'], { env: { ...process.env, CI: 'true' } }));
