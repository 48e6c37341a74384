// The profile command, in a process of its own: `node dist/main.js profile [--backend wasm] [--model mlp|wide]
// [--fast-paths on|off|both] [--library gradkit,tfjs-layers] [--top n] [--out dir]` runs this file.
// Starts the backend, profiles one training step of the net per library and setting (`profileStep`
// from @gradkit/diagnostics), prints `formatProfile` of each, and with --out writes them as JSON and text.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { useBackend } from '@gradkit/core';
import { type ProfileFlags, parseProfileFlags } from './args.js';
import { describeBackend } from './machine.js';
import { type BenchProfile, benchProfiles, type ProfilesOptions } from './profile.js';

/** The heading of one profile: library, net, fast paths, backend. */
export function profileHeading(p: BenchProfile, backend: string): string {
  return `${p.library}, ${p.model} (${p.sizes.join('-')}, batch ${p.batch}), fast paths ${p.fastPaths ? 'on' : 'off'}, ${backend}`;
}

/** Runs the profile command (`net` overrides the model's sizes and profileStep's settings: the tests' tiny net); returns the text it printed. */
export async function runProfile(
  flags: ProfileFlags,
  log: (line: string) => void = console.log,
  net: Pick<ProfilesOptions, 'sizes' | 'batch' | 'settings'> = {},
): Promise<string> {
  const described = describeBackend(await useBackend(flags.backend));
  const profiles = await benchProfiles({ model: flags.model, libraries: flags.libraries, fastPaths: flags.fastPaths, top: flags.top, ...net });
  const text = profiles.map((p) => `## ${profileHeading(p, described)}\n\n${p.text}`).join('\n\n');
  log(text);
  if (flags.out !== undefined) {
    mkdirSync(flags.out, { recursive: true });
    const base = join(flags.out, `profile-${flags.backend}-${flags.model}`);
    writeFileSync(`${base}.json`, `${JSON.stringify({ backend: described, profiles }, null, 2)}\n`);
    writeFileSync(`${base}.txt`, `${text}\n`);
    log(`profile: wrote ${base}.json and ${base}.txt`);
  }
  return text;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  let flags: ProfileFlags;
  try {
    flags = parseProfileFlags(process.argv.slice(2));
  } catch (e) {
    console.error(`profile: ${(e as Error).message}`);
    process.exit(2);
  }
  runProfile(flags).then(
    () => process.exit(0),
    (e) => {
      console.error(`profile (${flags.backend}): ${(e as Error).stack ?? e}`);
      process.exit(1);
    },
  );
}
