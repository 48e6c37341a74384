#!/usr/bin/env node
// The à-la-carte test: packs every public package under packages/ with `pnpm pack` and installs them
// as a user does, with npm, into empty temporary projects, then runs snippets there in plain Node (ESM
// and CommonJS). So `exports`, `files`, the dependencies in the packed package.json, the peer
// dependencies and the Node autograd fix are checked as users get them, not as the workspace links them.
//
// Scenarios: `core` alone (tests/pack/snippets/core.{mjs,cjs}), then for every other public package X
// "core plus X": X with the @gradkit packages it depends on; the snippets load X (ESM and CJS) and run
// packages/X/pack-smoke.mjs and packages/X/pack-smoke.cjs where they exist (they must exit non-zero on
// failure). Every project also gets the cpu and wasm backends; npm installs the peers (tfjs-core).
//
//   node tests/pack/pack.mjs [--no-build] [--keep] [--only core,optimizers]
//
// Exits non-zero when a pack, an install or a snippet fails; the temporary directory is kept then.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const TFJS = '4.22.0';
/** What every project installs from the registry beside the packed tarballs (peers come by themselves). */
const REGISTRY_DEPS = [`@tensorflow/tfjs-backend-cpu@${TFJS}`, `@tensorflow/tfjs-backend-wasm@${TFJS}`];

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? new Set((args[onlyIndex + 1] ?? '').split(',').filter(Boolean)) : null;
const isWindows = process.platform === 'win32';

/** The environment for child npm/pnpm: without the npm_* variables of the `npm test` / `pnpm run` that started us. */
const KEEP_NPM_CONFIG =
  /^npm_config_(registry|cache|userconfig|proxy|https_proxy|noproxy|no_proxy|cafile|strict_ssl|fetch_retries|fetch_timeout|@.*:registry)$/i;
const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || KEEP_NPM_CONFIG.test(k)));

function run(command, commandArgs, cwd, { quiet = false } = {}) {
  const started = Date.now();
  const r = spawnSync(command, commandArgs, { cwd, env: childEnv, encoding: 'utf8', shell: isWindows, maxBuffer: 64 * 1024 * 1024 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  const ok = r.status === 0 && !r.error;
  if (!ok || !quiet) {
    const text = output || String(r.error ?? '');
    if (text) console.log(text.replace(/^/gm, '    '));
  }
  return { ok, output, seconds: (Date.now() - started) / 1000, status: r.status ?? r.error };
}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const { packageManager } = readJson(join(root, 'package.json'));
const pnpm = (pnpmArgs, cwd, options) => run('npx', ['-y', packageManager, ...pnpmArgs], cwd, options);

/** Public packages under packages/: name → { dir, manifest }. */
const packages = new Map();
for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const file = join(root, 'packages', dir, 'package.json');
  if (!existsSync(file)) continue;
  const manifest = readJson(file);
  if (manifest.private) continue;
  packages.set(manifest.name, { dir: join(root, 'packages', dir), short: dir, manifest });
}
const CORE = '@gradkit/core';
if (!packages.has(CORE)) {
  console.error(`pack: ${CORE} is not among the public packages under packages/`);
  process.exit(1);
}

/** X and the workspace packages it needs (dependencies and peer dependencies, transitively). */
function closure(name, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  const { manifest } = packages.get(name);
  for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) if (packages.has(dep)) closure(dep, seen);
  return seen;
}

const scenarios = [
  { name: 'core', packages: [CORE], snippets: [join(here, 'snippets', 'core.mjs'), join(here, 'snippets', 'core.cjs')].map((file) => ({ file, args: [] })) },
  ...[...packages.values()]
    .filter(({ manifest }) => manifest.name !== CORE)
    .map(({ manifest, dir, short }) => ({
      name: `core + ${short}`,
      packages: [...closure(manifest.name)].sort((a, b) => (a === CORE ? -1 : b === CORE ? 1 : 0)),
      snippets: [
        { file: join(here, 'snippets', 'load.mjs'), args: [manifest.name] },
        { file: join(here, 'snippets', 'load.cjs'), args: [manifest.name] },
        ...['pack-smoke.mjs', 'pack-smoke.cjs'].filter((f) => existsSync(join(dir, f))).map((f) => ({ file: join(dir, f), args: [] })),
      ],
    })),
].filter((s) => !only || only.has(s.name) || only.has(s.name.replace('core + ', '')));

const results = [];
const fail = (scenario, step, seconds = 0) => results.push({ scenario, step, ok: false, seconds });
const pass = (scenario, step, seconds) => results.push({ scenario, step, ok: true, seconds });

const work = mkdtempSync(join(tmpdir(), 'gradkit-pack-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
console.log(`pack: working in ${work}`);

// 1. Build (turbo: cached when nothing changed), then pack every package the scenarios need.
if (!flag('--no-build')) {
  console.log('pack: building the packages');
  const b = pnpm(['exec', 'turbo', 'run', 'build', '--output-logs=errors-only'], root, { quiet: true });
  (b.ok ? pass : fail)('build', 'turbo run build', b.seconds);
}
const tarballOf = new Map();
const needed = new Set(scenarios.flatMap((s) => s.packages));
for (const name of needed) {
  const { dir, manifest } = packages.get(name);
  const before = new Set(readdirSync(tarballs));
  const p = pnpm(['pack', '--pack-destination', tarballs], dir, { quiet: true });
  const made = readdirSync(tarballs).filter((f) => !before.has(f) && f.endsWith('.tgz'));
  if (!p.ok || made.length !== 1) {
    fail(name, `pnpm pack${p.ok ? ` made ${made.length} tarballs` : ''}`, p.seconds);
    continue;
  }
  const tgz = join(tarballs, made[0]);
  // The packed manifest must not keep workspace: ranges, and what it points at must be in the tarball.
  const listing = run('tar', ['-tzf', tgz], root, { quiet: true });
  const packed = run('tar', ['-xzOf', tgz, 'package/package.json'], root, { quiet: true });
  const problems = [];
  if (!listing.ok || !packed.ok) problems.push('cannot read the tarball');
  else {
    const files = new Set(listing.output.split('\n').map((f) => f.trim().replace(/^package\//, '')));
    const pj = JSON.parse(packed.output);
    if (/"workspace:/.test(packed.output)) problems.push('the packed package.json still has workspace: ranges');
    const targets = [pj.main, pj.module, pj.types, ...JSON.stringify(pj.exports ?? {}).matchAll(/"(\.\/[^"*]+)"/g)]
      .map((t) => (Array.isArray(t) ? t[1] : t))
      .filter(Boolean);
    for (const t of new Set(targets)) if (!files.has(t.replace(/^\.\//, ''))) problems.push(`${t} (named in package.json) is not in the tarball`);
    if (pj.version !== manifest.version) problems.push(`packed version ${pj.version} ≠ ${manifest.version}`);
  }
  for (const problem of problems) console.log(`    ${name}: ${problem}`);
  (problems.length ? fail : pass)(name, `pnpm pack → ${basename(tgz)}`, p.seconds);
  if (!problems.length) tarballOf.set(name, tgz);
}

// 2. One empty npm project per scenario: install, then run the snippets in plain Node.
for (const scenario of scenarios) {
  const missing = scenario.packages.filter((p) => !tarballOf.has(p));
  if (missing.length) {
    fail(scenario.name, `not run: no tarball for ${missing.join(', ')}`);
    continue;
  }
  const project = join(work, scenario.name.replace(/[^a-z0-9]+/gi, '-'));
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'gradkit-pack-test', version: '0.0.0', private: true }, null, 2)}\n`);
  console.log(`pack: ${scenario.name}: npm install ${[...scenario.packages, ...REGISTRY_DEPS].join(' ')}`);
  const install = run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      '--no-package-lock',
      ...scenario.packages.map((p) => tarballOf.get(p)),
      ...REGISTRY_DEPS,
    ],
    project,
    { quiet: true },
  );
  (install.ok ? pass : fail)(scenario.name, 'npm install', install.seconds);
  if (!install.ok) continue;
  for (const { file, args: snippetArgs } of scenario.snippets) {
    const target = join(project, basename(file));
    copyFileSync(file, target);
    const r = run(process.execPath, [target, ...snippetArgs], project);
    const label = `node ${basename(file)}${snippetArgs.length ? ` ${snippetArgs.join(' ')}` : ''}`;
    (r.ok ? pass : fail)(scenario.name, label, r.seconds);
  }
}

// 3. Summary.
const failed = results.filter((r) => !r.ok);
const width = Math.max(...results.map((r) => r.scenario.length));
console.log('\n à-la-carte pack test');
for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'}  ${r.scenario.padEnd(width)}  ${r.step}${r.seconds ? `  (${r.seconds.toFixed(1)} s)` : ''}`);
if (failed.length || flag('--keep')) console.log(`  (kept ${work})`);
else rmSync(work, { recursive: true, force: true });
console.log(`pack: ${results.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length ? 1 : 0);
