// WebGPU in Node: `navigator.gpu` from the `webgpu` npm package (Dawn). On a machine without a GPU
// Dawn can run on SwiftShader (Vulkan on the CPU): Debian's `chromium` package ships its ICD.
/**
 * `import(specifier)` that bundlers leave alone: Node-only modules (and packages the user may not have
 * installed) must not be resolved when a browser app is bundled.
 */
export const importByName = (specifier: string): Promise<unknown> => import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);

/** Vulkan ICD files of SwiftShader that gradkit looks for when Dawn finds no adapter on its own. */
export const SWIFTSHADER_ICDS = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib64/chromium/vk_swiftshader_icd.json'];

type Gpu = { requestAdapter(options?: object): Promise<unknown | null> };
type WebGpuModule = { create(flags: string[]): Gpu; globals: Record<string, unknown> };

/** True in Node (not in a browser or a worker). */
export const isNode = (): boolean => typeof process !== 'undefined' && process.versions?.node != null;

/**
 * Makes `navigator.gpu` exist in Node, from the `webgpu` package, falling back to SwiftShader when
 * Dawn finds no adapter. Returns a reason string when that is impossible, or null on success.
 */
export async function installNodeWebGpu(): Promise<string | null> {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav?.gpu) return null;
  if (!isNode()) return 'this browser has no navigator.gpu (WebGPU is not enabled or not supported)';
  let mod: WebGpuModule;
  try {
    mod = (await importByName('webgpu')) as WebGpuModule;
  } catch (e) {
    return `WebGPU in Node needs the 'webgpu' npm package (Dawn): npm install webgpu (${(e as Error).message.split('\n')[0]})`;
  }
  const { existsSync, mkdirSync } = (await importByName('node:fs')) as typeof import('node:fs');
  if (!process.env.XDG_RUNTIME_DIR) {
    const { tmpdir } = (await importByName('node:os')) as typeof import('node:os');
    const { join } = (await importByName('node:path')) as typeof import('node:path');
    const dir = join(tmpdir(), `gradkit-xdg-${process.getuid?.() ?? 'user'}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
  let gpu = mod.create([]);
  if (!(await gpu.requestAdapter()) && !process.env.VK_ICD_FILENAMES) {
    const icd = SWIFTSHADER_ICDS.find((f) => existsSync(f));
    if (!icd)
      return `Dawn found no GPU adapter and no SwiftShader ICD (install Debian's 'chromium' and 'libvulkan1' for ${SWIFTSHADER_ICDS[0]}, or set VK_ICD_FILENAMES)`;
    process.env.VK_ICD_FILENAMES = icd;
    gpu = mod.create([]);
  }
  if (!(await gpu.requestAdapter())) return `Dawn found no GPU adapter (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? 'unset'}; is libvulkan1 installed?)`;
  Object.assign(globalThis, mod.globals);
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  return null;
}
