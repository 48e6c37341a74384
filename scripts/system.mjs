#!/usr/bin/env node
// What `npm test` needs from the system rather than from npm: a Chromium for the browser tests
// (tests/browser, tests/playground) and, on Linux, what WebGPU in Node (Dawn) runs on without a GPU:
// SwiftShader's Vulkan ICD (Debian's `chromium` ships it) and the Vulkan loader (`libvulkan1`).
// Installs the missing Debian packages with apt-get when it can (as root, or through passwordless
// sudo); otherwise exits 1 with one line saying what to run. `npm run demo` needs none of this.
//   node scripts/system.mjs
// Env: CHROMIUM_PATH (a Chromium other than Debian's /usr/bin/chromium), VK_ICD_FILENAMES (a Vulkan
// ICD other than SwiftShader's, e.g. a GPU's).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's Chromium; the browser tests use it unless CHROMIUM_PATH names another. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** SwiftShader's Vulkan ICD, where `useBackend` looks for it (packages/core/src/backend/node-webgpu.ts). */
export const SWIFTSHADER_ICDS = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib64/chromium/vk_swiftshader_icd.json'];

/** Where a Linux system keeps the Vulkan loader when `ldconfig -p` cannot say. */
const LIBRARY_DIRS = ['/lib', '/usr/lib', '/lib64', '/usr/lib64', '/usr/local/lib'];

/** What each Debian package provides, for the line printed when it did not. */
const PROVIDES = { chromium: `${DEBIAN_CHROMIUM} with ${SWIFTSHADER_ICDS[0]}`, libvulkan1: 'libvulkan.so.1' };

/** What to do where apt-get cannot: install both by other means and say where they are. */
const BY_HAND = 'install Chromium and the Vulkan loader, then run: CHROMIUM_PATH=<chromium> VK_ICD_FILENAMES=<its vk_swiftshader_icd.json> npm test';

/** Browsers a user may already have, for the line printed on macOS and Windows. */
const CHROME_EXAMPLES = {
  darwin: `CHROMIUM_PATH="/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" npm test`,
  win32: `$env:CHROMIUM_PATH="C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"; npm test`,
};

/**
 * What is missing on `sys`: the Debian packages that provide it (`packages`), or, for what apt-get
 * cannot fix, the line to print (`problem`).
 */
export function missing(sys) {
  const chromiumPath = sys.env.CHROMIUM_PATH;
  if (chromiumPath && !sys.exists(chromiumPath))
    return {
      packages: [],
      problem: `CHROMIUM_PATH=${chromiumPath} is no file: set it to a Chromium or Chrome binary, or unset it to use Debian's chromium, then run npm test`,
    };
  if (sys.platform !== 'linux') {
    if (chromiumPath) return { packages: [] };
    const example = CHROME_EXAMPLES[sys.platform] ?? 'CHROMIUM_PATH=<path to Chromium or Chrome> npm test';
    return { packages: [], problem: `the browser tests need Chromium or Chrome; run: ${example}` };
  }
  const icd = sys.env.VK_ICD_FILENAMES || SWIFTSHADER_ICDS.some((f) => sys.exists(f));
  const packages = [];
  if (!icd || !sys.exists(chromiumPath ?? DEBIAN_CHROMIUM)) packages.push('chromium');
  if (!sys.hasLibvulkan()) packages.push('libvulkan1');
  return { packages };
}

/**
 * Makes sure `sys` has what the browser and WebGPU tests need, installing Debian's packages with
 * apt-get where it may. Returns null when all is there, or the one line saying what to run.
 */
export function ensureSystem(sys) {
  const before = missing(sys);
  if (before.problem) return `setup: ${before.problem}`;
  const { packages } = before;
  if (packages.length === 0) {
    sys.log(sys.platform === 'linux' ? 'setup: chromium (SwiftShader) and libvulkan1 are installed' : `setup: the browser tests use ${sys.env.CHROMIUM_PATH}`);
    return null;
  }
  const list = packages.join(' ');
  const yourself = `sudo apt-get install -y ${list}, then npm test`;
  if (!sys.hasAptGet()) return `setup: ${list} missing, and there is no apt-get here; ${BY_HAND}`;
  // sudo resets the environment: pass apt-get's non-interactive setting through env.
  const asRoot = sys.isRoot() ? [] : sys.canSudo() ? ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive'] : null;
  if (!asRoot) return `setup: ${list} missing (browser and WebGPU tests) and installing needs root; run: ${yourself}`;
  sys.log(`setup: installing ${list} with apt-get (for the browser and WebGPU tests)`);
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', ...packages],
  ]) {
    const status = sys.run([...asRoot, 'apt-get', ...args]);
    if (status !== 0) return `setup: 'apt-get ${args.join(' ')}' failed (exit code ${status}); run: ${yourself}`;
  }
  const after = missing(sys).packages;
  if (after.length > 0) return `setup: apt-get installed ${list}, but there is still no ${after.map((p) => PROVIDES[p]).join(', no ')}; ${BY_HAND}`;
  return null;
}

/** True when `name` is an executable file on PATH. */
function onPath(name, env) {
  return (env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** True when the dynamic linker can find libvulkan.so.1. */
function hasLibvulkan() {
  for (const ldconfig of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    const r = spawnSync(ldconfig, ['-p'], { encoding: 'utf8' });
    if (r.status === 0) return /\blibvulkan\.so\.1\b/.test(r.stdout);
  }
  const subdirs = (dir) => [
    dir,
    ...(existsSync(dir)
      ? readdirSync(dir)
          .filter((d) => d.endsWith('-linux-gnu'))
          .map((d) => join(dir, d))
      : []),
  ];
  return LIBRARY_DIRS.flatMap(subdirs).some((dir) => existsSync(join(dir, 'libvulkan.so.1')));
}

/** This machine, as `missing` and `ensureSystem` see it. */
export function thisSystem(env = process.env) {
  return {
    platform: process.platform,
    env,
    exists: existsSync,
    hasLibvulkan,
    hasAptGet: () => onPath('apt-get', env),
    isRoot: () => process.getuid?.() === 0,
    canSudo: () => onPath('sudo', env) && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0,
    run: ([cmd, ...args]) => {
      // apt-get's progress is noise; its errors (stderr) are what a failure line points at
      const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...env, DEBIAN_FRONTEND: 'noninteractive' } });
      return r.error ? 127 : (r.status ?? 1);
    },
    log: (line) => console.log(line),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problem = ensureSystem(thisSystem());
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
}
