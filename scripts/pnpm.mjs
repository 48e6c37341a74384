#!/usr/bin/env node
// Runs the pnpm version pinned in package.json's `packageManager`, through npx, so that a machine with
// only Node and npm needs nothing installed by hand (corepack's signature check is not relied on).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** Runs pnpm with `args` in the repository root; returns its exit status. */
export function pnpm(args, options = {}) {
  const r = spawnSync('npx', ['-y', packageManager, ...args], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32', ...options });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(pnpm(process.argv.slice(2)));
