#!/usr/bin/env node
// The root `docs` script: builds the documentation site into docs/site.
//   node scripts/pnpm.mjs run docs     (or: npm run docs)
// Run by hand, it runs turbo's `docs` task, which builds every package first (typedoc reads their
// types from dist/) and caches the site. Inside that task (turbo sets TURBO_HASH) it runs typedoc
// itself: typedoc.json, warnings are errors. A root script cannot call turbo directly: turbo refuses
// a script that calls turbo from the task that runs it.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// biome-ignore lint/suspicious/noUndeclaredEnvVars: turbo sets it in every task it runs; it changes no output, only who runs typedoc
const [command, args] = process.env.TURBO_HASH ? ['typedoc', []] : ['turbo', ['run', 'docs', '--output-logs=errors-only']];
const r = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
if (r.error) throw r.error;
process.exit(r.status ?? 1);
