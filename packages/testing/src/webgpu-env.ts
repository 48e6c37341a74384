// Used by the root vitest.config.ts (in the main process) to prepare the webgpu project's workers.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where Debian's `chromium` package puts SwiftShader's Vulkan ICD. @example `SWIFTSHADER_ICDS[0]` */
export const SWIFTSHADER_ICDS: readonly string[] = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib64/chromium/vk_swiftshader_icd.json'];

const PROBE = "import('webgpu').then(async ({ create }) => process.exit((await create([]).requestAdapter()) ? 0 : 3), () => process.exit(4));";

/**
 * Extra environment for the webgpu test project. When Dawn finds no adapter of its own (no GPU) and
 * SwiftShader is installed, it returns `VK_ICD_FILENAMES` pointing at SwiftShader, so that each test
 * process goes straight there. (`useBackend('webgpu')` gets there too, but only after a failed first
 * try whose Dawn warnings would be printed once per test file.) Probes Dawn once, in a child process.
 *
 * @param cwd - a directory from which the `webgpu` package resolves.
 * @example
 * ```ts
 * projects: [{ test: { name: 'webgpu', env: webgpuTestEnv(root) } }]
 * ```
 */
export function webgpuTestEnv(cwd: string): Record<string, string> {
  if (process.env.VK_ICD_FILENAMES) return {};
  const icd = SWIFTSHADER_ICDS.find((f) => existsSync(f));
  if (!icd) return {};
  const probe = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE], { cwd, stdio: 'ignore', timeout: 60_000 });
  return probe.status === 3 ? { VK_ICD_FILENAMES: icd } : {};
}
