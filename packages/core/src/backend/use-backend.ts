import * as tf from '@tensorflow/tfjs-core';
import { BackendError, HyperParameterError } from '../errors.js';
import { installFastPaths, setFastPaths } from '../fast-paths/index.js';
import { checkOptions } from '../options.js';
import { AUTO_ORDER, BACKEND_PACKAGES, type BackendName, isBackendName } from './names.js';
import { importByName, installNodeWebGpu, isNode } from './node-webgpu.js';
import { MAX_WASM_THREADS, prepareNodeWasmThreads } from './wasm-threads-node.js';

/**
 * What `useBackend` started, and why it skipped the backends it skipped.
 *
 * @example
 * ```ts
 * const info = await useBackend('auto');
 * console.log(info.name, info.fallbacks); // 'wasm', [{ name: 'webgpu', reason: 'Dawn found no GPU adapter …' }]
 * ```
 */
export interface BackendInfo {
  /** The backend now active in tfjs. */
  readonly name: BackendName;
  /** Whether the wasm backend runs its SIMD build (always false for cpu and webgpu). */
  readonly simd: boolean;
  /** Whether the wasm backend runs its multi-threaded build (always false for cpu and webgpu). */
  readonly threads: boolean;
  /** The threads the wasm backend computes on (tfjs's `getThreadsCount()`; 1 for cpu and webgpu). */
  readonly threadCount: number;
  /** The WebGPU adapter's vendor, architecture, device and description, when `name` is `'webgpu'`. */
  readonly adapter?: { readonly vendor: string; readonly architecture: string; readonly device: string; readonly description: string };
  /** The backends tried before `name`, each with the reason it could not be used. */
  readonly fallbacks: readonly { readonly name: BackendName; readonly reason: string }[];
}

/** A backend choice: one backend, `'auto'` (webgpu → wasm → cpu), or an explicit order to try. @example `'auto'` */
export type BackendChoice = 'auto' | BackendName | readonly BackendName[];

/** Options of `useBackend`. @example `{ wasmPaths: '/static/tfjs-wasm/' }` */
export interface UseBackendOptions {
  /** Where the browser finds tfjs's `.wasm` files (tfjs's `setWasmPaths`); Node loads them from the installed package. */
  readonly wasmPaths?: string;
  /**
   * Whether `'auto'` may pick a software WebGPU adapter (SwiftShader, or one the browser flags as a
   * fallback adapter). Default false: such an adapter is slower than wasm, so `'auto'` skips it and
   * says so in `fallbacks`. Naming `'webgpu'` explicitly always uses whatever adapter there is.
   */
  readonly allowSoftwareWebGpu?: boolean;
  /**
   * How to load each backend package in a bundled app, e.g. `{ wasm: () => import('@tensorflow/tfjs-backend-wasm') }`:
   * the bundler then splits it into a chunk fetched only when that backend is asked for. Without a
   * loader the package is imported by name (Node, import maps), unless the app already imported it.
   */
  readonly load?: Partial<Record<BackendName, () => Promise<unknown>>>;
  /**
   * Whether gradkit's training fast paths run (kernels that replace slow tfjs ones while training,
   * e.g. wasm's transposed matmuls in every dense layer's gradient; `fastPaths()` lists them). They
   * are installed for the backend that starts and are on unless turned off, here or with
   * `setFastPaths(false)`; absent leaves the current setting. They apply to tfjs-layers models too.
   */
  readonly fastPaths?: boolean;
  /**
   * The wasm backend's threads (1 to 8). In a browser the threaded build needs a cross-origin isolated
   * page (see the threads guide) and tfjs uses at most half the logical cores: this can only lower
   * that. In Node, where tfjs never runs threaded, a number turns on gradkit's threaded start of
   * tfjs-backend-wasm 4.22 (worker_threads): it pays for large matmuls (512² about 1.9× on 2 cores)
   * and little for small nets, and it slows down when other processes compete for the cores, so the
   * default stays one thread. Set it before the wasm backend first starts in the process.
   */
  readonly threads?: number;
}

const loaded = new Map<BackendName, Promise<Record<string, unknown>>>();

/**
 * Imports a backend package. An app's own loader comes first (bundlers code-split it into a lazy
 * chunk); otherwise the package is imported by name, which works in Node and with import maps. The
 * specifier is a variable so that bundlers do not try to resolve packages the user never installed.
 */
async function importBackend(name: BackendName, options: UseBackendOptions): Promise<Record<string, unknown>> {
  const pkg = BACKEND_PACKAGES[name];
  let p = loaded.get(name);
  if (!p) {
    const load = options.load?.[name] ?? (() => importByName(pkg));
    p = load() as Promise<Record<string, unknown>>;
    loaded.set(name, p);
    p.catch(() => loaded.delete(name));
  }
  try {
    return await p;
  } catch (e) {
    throw new BackendError(
      name,
      `backend '${name}' needs the package ${pkg}: install it (npm install ${pkg}@${tf.version_core}); in a bundled app also pass ` +
        `useBackend('${name}', { load: { ${name}: () => import('${pkg}') } }) or import '${pkg}' once (${(e as Error).message.split('\n')[0]})`,
    );
  }
}

/** Registers tfjs's WebGPUBackend when its package was imported before `navigator.gpu` existed. */
function registerWebGpu(mod: Record<string, unknown>): void {
  const Backend = mod.WebGPUBackend as new (device: unknown, info?: unknown) => tf.KernelBackend;
  type Adapter = { requestDevice(o?: object): Promise<unknown>; info?: unknown };
  const gpu = (globalThis as unknown as { navigator: { gpu: { requestAdapter(o?: object): Promise<Adapter | null> } } }).navigator.gpu;
  tf.registerBackend(
    'webgpu',
    async () => {
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (!adapter) throw new Error('navigator.gpu.requestAdapter() returned null');
      return new Backend(await adapter.requestDevice(), adapter.info);
    },
    3,
  );
}

/** Activates a registered backend, capturing the warning tfjs prints when its factory fails. */
async function activate(name: BackendName): Promise<void> {
  let failure = '';
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    failure = args.map(String).join(' ');
  };
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    failure = (e as Error).message;
  } finally {
    console.warn = warn;
  }
  // tfjs's warning carries the factory's stack trace: its first line says what failed.
  const why = failure.split('\n')[0]?.trim();
  if (!ok) throw new BackendError(name, `backend '${name}' failed to start${why ? `: ${why}` : ''}`);
  await tf.ready();
}

type AdapterInfo = { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };

/** Why the default WebGPU adapter is a software one, or null when it is hardware (or unknown). */
async function softwareAdapter(): Promise<string | null> {
  const gpu = (globalThis as unknown as { navigator: { gpu: { requestAdapter(): Promise<{ info?: AdapterInfo; isFallbackAdapter?: boolean } | null> } } })
    .navigator.gpu;
  const adapter = await gpu.requestAdapter();
  const info = adapter?.info ?? {};
  const described = [info.description, info.architecture, info.vendor].filter(Boolean).join(', ');
  if (adapter?.isFallbackAdapter || info.isFallbackAdapter)
    return `the only WebGPU adapter is a fallback (software) adapter${described ? ` (${described})` : ''}`;
  if (/swiftshader/i.test(described)) return `the only WebGPU adapter is SwiftShader, a software renderer (${described})`;
  return null;
}

/** Before the wasm backend starts: the Node threaded start, or tfjs's own thread count in a browser. */
async function prepareWasmThreads(threads: number, options: UseBackendOptions): Promise<void> {
  if (isNode()) {
    const why = await prepareNodeWasmThreads({ threads });
    if (why) throw new BackendError('wasm', why);
    return;
  }
  if (threads > 1 && !(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated)
    throw new BackendError('wasm', 'threads need a cross-origin isolated page: serve it with the COOP/COEP headers (see the threads guide)');
  const mod = await importBackend('wasm', options);
  (mod.setThreadsCount as (n: number) => void)(threads);
}

/** The active wasm backend's thread count (its module's `getThreadsCount`; 1 where it has none). */
function wasmThreadCount(): number {
  const tfjs = (tf.backend() as unknown as { wasm?: { tfjs?: { getThreadsCount?: () => number } } }).wasm?.tfjs;
  return tfjs?.getThreadsCount?.() ?? 1;
}

/** Loads, registers and activates one backend; throws a BackendError that says why it cannot. */
async function start(name: BackendName, options: UseBackendOptions, auto: boolean): Promise<BackendInfo> {
  if (name === 'webgpu') {
    const reason = await installNodeWebGpu();
    if (reason) throw new BackendError(name, reason);
    const gpu = (globalThis as unknown as { navigator: { gpu: { requestAdapter(): Promise<unknown> } } }).navigator.gpu;
    if (!(await gpu.requestAdapter()))
      throw new BackendError(
        name,
        'navigator.gpu.requestAdapter() returned null: WebGPU is exposed but no adapter is available (GPU blocklisted, disabled or busy)',
      );
    const software = auto && !options.allowSoftwareWebGpu ? await softwareAdapter() : null;
    if (software) throw new BackendError(name, `${software}: slower than wasm, so 'auto' skips it (use 'webgpu' explicitly, or allowSoftwareWebGpu: true)`);
  }
  // A backend the app imported itself is registered already; wasm's setWasmPaths and webgpu's late
  // registration need the module, which is then cached by the module system.
  const registered = tf.findBackendFactory(name) != null;
  if (!registered || (name === 'wasm' && options.wasmPaths)) {
    const mod = await importBackend(name, options);
    if (name === 'wasm' && options.wasmPaths) (mod.setWasmPaths as (p: string) => void)(options.wasmPaths);
    if (name === 'webgpu' && !tf.findBackendFactory('webgpu')) registerWebGpu(mod);
  }
  if (name === 'wasm' && options.threads !== undefined) await prepareWasmThreads(options.threads, options);
  await activate(name);
  installFastPaths(name);
  if (options.fastPaths !== undefined) setFastPaths(options.fastPaths);
  const wasm = name === 'wasm';
  const info: BackendInfo = {
    name,
    simd: wasm && Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
    threads: wasm && Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
    threadCount: wasm ? wasmThreadCount() : 1,
    fallbacks: [],
  };
  if (name !== 'webgpu') return info;
  const raw = (tf.backend() as unknown as { device?: { adapterInfo?: Record<string, string> } }).device?.adapterInfo ?? {};
  return { ...info, adapter: { vendor: raw.vendor ?? '', architecture: raw.architecture ?? '', device: raw.device ?? '', description: raw.description ?? '' } };
}

/**
 * Loads and activates a tfjs backend: `'cpu'`, `'wasm'` (SIMD where available) or `'webgpu'`, or the
 * first of several that starts. `'auto'` tries webgpu → wasm → cpu (skipping a software WebGPU
 * adapter such as SwiftShader, which is slower than wasm, unless `allowSoftwareWebGpu`). Backend packages are imported
 * only when asked for, so a user who installs only the cpu backend never loads WebGPU code. In Node,
 * WebGPU comes from the `webgpu` package (Dawn), on SwiftShader when there is no GPU.
 *
 * @param choice - a backend, an ordered list of backends, or `'auto'`.
 * @returns what started and why each backend before it was skipped.
 * @throws BackendError for an unknown name, or when no backend in the choice can start (the message
 *   lists each one's reason, with the package to install where one is missing).
 * @example
 * ```ts
 * const info = await useBackend('auto');
 * console.log(`training on ${info.name}`);
 * ```
 */
export async function useBackend(choice: BackendChoice = 'auto', options: UseBackendOptions = {}): Promise<BackendInfo> {
  checkOptions('useBackend', options, ['wasmPaths', 'allowSoftwareWebGpu', 'load', 'fastPaths', 'threads'], {
    example: "useBackend('auto', { allowSoftwareWebGpu: true })",
  });
  if (options.wasmPaths !== undefined && typeof options.wasmPaths !== 'string')
    throw new HyperParameterError('wasmPaths', 'wasmPaths must be a string: the URL prefix of the tfjs-backend-wasm .wasm files');
  if (options.allowSoftwareWebGpu !== undefined && typeof options.allowSoftwareWebGpu !== 'boolean')
    throw new HyperParameterError('allowSoftwareWebGpu', 'allowSoftwareWebGpu must be true or false');
  const threads = options.threads;
  if (threads !== undefined && (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS))
    throw new HyperParameterError('threads', `threads must be a whole number from 1 to ${MAX_WASM_THREADS}, got ${String(threads)}`);
  if (options.fastPaths !== undefined && typeof options.fastPaths !== 'boolean')
    throw new HyperParameterError('fastPaths', "fastPaths must be true (gradkit's training fast paths, the default) or false (tfjs's own kernels)");
  const order: readonly unknown[] = choice === 'auto' ? AUTO_ORDER : Array.isArray(choice) ? choice : [choice];
  for (const name of order) {
    if (!isBackendName(name)) {
      throw new BackendError(
        String(name),
        `unknown backend '${String(name)}': use 'auto', ${Object.keys(BACKEND_PACKAGES)
          .map((n) => `'${n}'`)
          .join(', ')}, or a list of them`,
      );
    }
  }
  if (order.length === 0) throw new BackendError('', 'useBackend was given an empty list of backends: name at least one');
  const fallbacks: { name: BackendName; reason: string }[] = [];
  for (const name of order as BackendName[]) {
    try {
      return { ...(await start(name, options, choice === 'auto')), fallbacks };
    } catch (e) {
      if (!(e instanceof BackendError) || order.length === 1) throw e;
      fallbacks.push({ name, reason: e.message });
    }
  }
  throw new BackendError(String(order.at(-1)), `no backend could start:\n${fallbacks.map((f) => `  ${f.name}: ${f.reason}`).join('\n')}`);
}
