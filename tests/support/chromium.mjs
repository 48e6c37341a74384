// What the browser tests (tests/browser, tests/playground) share: Debian's Chromium driven by
// playwright-core (never a downloaded browser), a static file server for a Vite build, and cleanup.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { chromium } from 'playwright-core';

/**
 * Whether a page that cannot start WebGPU fails the run (true) or is skipped with the reason: under CI,
 * by the rule of @gradkit/testing's `isCI` (packages/testing/src/ci.ts): `CI` set to anything but '',
 * '0' and 'false'. `npm test` sets CI=true, so that it never passes with a backend skipped.
 */
export const REQUIRE_WEBGPU = !['', '0', 'false'].includes(process.env.CI?.trim().toLowerCase() ?? '');

/** Debian's Chromium (`apt-get install chromium`), or CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless flags: WebGPU on (SwiftShader where there is no GPU), nothing that reaches the network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.gz': 'application/octet-stream',
  '.map': 'application/json',
};

/** A static file server for `dir` on 127.0.0.1 at a random port, adding `headers` to every response. */
export async function serve(dir, headers = {}) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^[/\\]+/, '');
    const file = join(dir, path || 'index.html');
    if (!file.startsWith(dir + sep)) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store', ...headers }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  return server;
}

/** The server's origin, `http://127.0.0.1:<port>`. */
export const originOf = (server) => `http://127.0.0.1:${server.address().port}`;

/** Starts headless Chromium with `args`; says what to install when it is missing. */
export async function launchChromium(args = CHROMIUM_ARGS) {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `no Chromium at ${CHROMIUM}: run 'node scripts/system.mjs' (npm test runs it; it installs Debian's chromium when it can, or says what to run), or set CHROMIUM_PATH`,
    );
  return chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: 30_000, args });
}

/** Closes the browser and the servers, whatever state they are in. */
export async function closeAll(browser, servers) {
  await browser?.close().catch(() => {});
  for (const s of servers) {
    s?.closeAllConnections();
    s?.close();
  }
}

/** The first lines of an error that ended a whole run, prefixed with the run's name. */
export const failureLine = (name, e) =>
  `${name}: FAILED: ${String(e?.message ?? e)
    .split('\n')
    .slice(0, 8)
    .join('\n  ')}`;
