// Every path of scripts/system.mjs on a made-up machine: which Debian packages it installs, how, and
// the one line it prints where it cannot.   node --test scripts/system.test.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEBIAN_CHROMIUM, ensureSystem, missing, SWIFTSHADER_ICDS } from './system.mjs';

/** A Linux machine holding `files`, with the Vulkan loader unless told, recording what it ran. */
function machine({
  files = [DEBIAN_CHROMIUM, SWIFTSHADER_ICDS[0]],
  libvulkan = true,
  root = true,
  sudo = false,
  apt = true,
  env = {},
  platform = 'linux',
  installs = [],
  status = 0,
} = {}) {
  const have = new Set(files);
  const sys = {
    platform,
    env,
    ran: [],
    logged: [],
    exists: (f) => have.has(f),
    hasLibvulkan: () => libvulkan,
    hasAptGet: () => apt,
    isRoot: () => root,
    canSudo: () => sudo,
    run: (cmd) => {
      sys.ran.push(cmd.join(' '));
      if (status === 0 && cmd.includes('install')) {
        for (const f of installs) have.add(f);
        if (installs.includes('libvulkan.so.1')) libvulkan = true;
      }
      return status;
    },
    log: (line) => sys.logged.push(line),
  };
  return sys;
}

const oneLine = (s) => assert.ok(typeof s === 'string' && !s.includes('\n'), `one line, got ${JSON.stringify(s)}`);

test('everything installed: nothing runs, one note', () => {
  const sys = machine();
  assert.equal(ensureSystem(sys), null);
  assert.deepEqual(sys.ran, []);
  assert.deepEqual(sys.logged, ['setup: chromium (SwiftShader) and libvulkan1 are installed']);
});

test('a bare Debian machine as root: apt-get installs chromium and libvulkan1', () => {
  const sys = machine({ files: [], libvulkan: false, installs: [DEBIAN_CHROMIUM, SWIFTSHADER_ICDS[0], 'libvulkan.so.1'] });
  assert.deepEqual(missing(sys), { packages: ['chromium', 'libvulkan1'] });
  assert.equal(ensureSystem(sys), null);
  assert.deepEqual(sys.ran, ['apt-get update -qq', 'apt-get install -y -qq --no-install-recommends chromium libvulkan1']);
});

test('chromium without SwiftShader (the ICD is what WebGPU in Node needs) counts as missing', () => {
  assert.deepEqual(missing(machine({ files: [DEBIAN_CHROMIUM] })).packages, ['chromium']);
  assert.deepEqual(missing(machine({ files: [DEBIAN_CHROMIUM, SWIFTSHADER_ICDS[1]] })).packages, []);
  assert.deepEqual(missing(machine({ files: [DEBIAN_CHROMIUM], env: { VK_ICD_FILENAMES: '/gpu/icd.json' } })).packages, []);
});

test('not root, passwordless sudo: apt-get through sudo -n', () => {
  const sys = machine({ files: [], root: false, sudo: true, installs: [DEBIAN_CHROMIUM, SWIFTSHADER_ICDS[0]] });
  assert.equal(ensureSystem(sys), null);
  assert.deepEqual(sys.ran, [
    'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update -qq',
    'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium',
  ]);
});

test('not root, no sudo: one line saying what to run, nothing run', () => {
  const sys = machine({ files: [], libvulkan: false, root: false });
  const line = ensureSystem(sys);
  oneLine(line);
  assert.match(line, /run: sudo apt-get install -y chromium libvulkan1, then npm test$/);
  assert.deepEqual(sys.ran, []);
});

test('no apt-get: one line saying what to install and which variables to set', () => {
  const line = ensureSystem(machine({ libvulkan: false, apt: false }));
  oneLine(line);
  assert.match(line, /^setup: libvulkan1 missing, and there is no apt-get here; .* run: CHROMIUM_PATH=<chromium> VK_ICD_FILENAMES=.* npm test$/);
});

test('apt-get fails: one line with its exit code and the command to run', () => {
  const sys = machine({ files: [], status: 100 });
  const line = ensureSystem(sys);
  oneLine(line);
  assert.equal(line, "setup: 'apt-get update -qq' failed (exit code 100); run: sudo apt-get install -y chromium, then npm test");
  assert.equal(sys.ran.length, 1);
});

test('apt-get succeeds but the files are still not there: one line naming them', () => {
  const line = ensureSystem(machine({ files: [DEBIAN_CHROMIUM] }));
  oneLine(line);
  assert.match(line, /^setup: apt-get installed chromium, but there is still no \/usr\/bin\/chromium with \/usr\/lib\/chromium\/vk_swiftshader_icd\.json; /);
});

test('CHROMIUM_PATH naming no file: one line, no install', () => {
  const sys = machine({ env: { CHROMIUM_PATH: '/opt/nope/chrome' } });
  const line = ensureSystem(sys);
  oneLine(line);
  assert.match(line, /^setup: CHROMIUM_PATH=\/opt\/nope\/chrome is no file/);
  assert.deepEqual(sys.ran, []);
});

test('CHROMIUM_PATH naming a browser replaces Debian chromium, not SwiftShader', () => {
  assert.deepEqual(missing(machine({ files: ['/opt/chrome', SWIFTSHADER_ICDS[0]], env: { CHROMIUM_PATH: '/opt/chrome' } })).packages, []);
  assert.deepEqual(missing(machine({ files: ['/opt/chrome'], env: { CHROMIUM_PATH: '/opt/chrome' } })).packages, ['chromium']);
});

test('macOS and Windows: no apt-get; CHROMIUM_PATH is asked for, with the usual Chrome path', () => {
  const mac = ensureSystem(machine({ platform: 'darwin', files: [] }));
  oneLine(mac);
  assert.match(mac, /run: CHROMIUM_PATH="\/Applications\/Google Chrome\.app\/Contents\/MacOS\/Google Chrome" npm test$/);
  oneLine(ensureSystem(machine({ platform: 'win32', files: [] })));
  const withChrome = machine({ platform: 'darwin', files: ['/Applications/Chromium'], env: { CHROMIUM_PATH: '/Applications/Chromium' } });
  assert.equal(ensureSystem(withChrome), null);
  assert.deepEqual(withChrome.ran, []);
});
