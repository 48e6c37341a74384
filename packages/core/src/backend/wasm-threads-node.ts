// tfjs-backend-wasm's threaded build in Node. tfjs 4.22 never picks it there
// (WASM_HAS_MULTITHREAD_SUPPORT is hard-coded false in Node, tfjs issue 3830), yet its Emscripten glue
// runs pthreads on worker_threads once three things are fixed while the backend starts:
// 1. the pthread worker script comes as a Blob URL, which Node's Worker cannot load: the workers are
//    started from the script's text (`eval`), taken from the package's own copy;
// 2. each worker is sent the glue's main script as a Blob to load with importScripts (a file read in
//    Node): its text is sent instead, prefixed with the bundle-level variables it refers to;
// 3. tfjs sizes its thread pool as min(threads, logical cores / 2): the cores are reported as 2 × threads.
// Workers are unref'd (they never keep Node alive); nothing is written to disk; every patch of a Node
// built-in (worker_threads' Worker, os.cpus) lasts only while the backend starts.
import * as tf from '@tensorflow/tfjs-core';
import { HyperParameterError } from '../errors.js';
import { checkOptions } from '../options.js';
import { importByName, isNode } from './node-webgpu.js';

/** tfjs's pthread pool: 8 workers created up front, the most threads its backend uses. */
export const MAX_WASM_THREADS = 8;
/** The tfjs-backend-wasm release whose Node bundle the patches below were written against. */
const TFJS_WASM_VERSION = '4.22.0';
const WORKER_SCRIPT = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';
/** How long the threaded backend may take to start before it is declared failed. */
const START_TIMEOUT_MS = 60_000;
/** Marks a main script sent inline to a worker, where the worker's importScripts expects a path. */
const INLINE = '\u0000gradkit-inline:';
// The glue's main script (`factory.toString()`) refers to variables of tfjs's rollup bundle.
const PRELUDE =
  "var require$$0=require('fs'),require$$1=require('path'),require$$3=require('perf_hooks'),require$$4=require('os'),commonjsGlobal=globalThis,_scriptDir," +
  '__values=function(o){return o[Symbol.iterator]()},__read=function(o){return Array.from(o)},__spreadArray=function(a,b){return a.concat(Array.from(b))};';
// Appended to the worker script: importScripts of an inline main script evaluates it.
const WORKER_SHIM = `;{const load=global.importScripts;global.importScripts=function(f){return typeof f==="string"&&f.startsWith(${JSON.stringify(INLINE)})?(0,eval)(f.slice(${INLINE.length})):load(f)}}`;

type WasmModule = { setThreadsCount(n: number): void; getThreadsCount(): number; version_wasm?: string };
type WorkerCtor = new (filename: string | URL, options?: object) => NodeWorker;
type NodeWorker = {
  postMessage(message: unknown, transfer?: unknown): void;
  on(event: string, listener: (...args: unknown[]) => void): NodeWorker;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
};
type Factory = () => tf.KernelBackend | Promise<tf.KernelBackend>;
type State = { threads: number; original: Factory; started: boolean };

// One state per process, shared by every copy of gradkit (an ESM and a CJS build, two versions).
const STATE = Symbol.for('gradkit.nodeWasmThreads');
const registry = globalThis as { [STATE]?: State };

/**
 * Makes the next start of tfjs's wasm backend in this Node process run its threaded SIMD build on
 * `threads` threads (the calling thread and `threads − 1` workers), by wrapping the registered
 * `wasm` backend factory. `useBackend('wasm', { threads })` calls it before it activates the backend;
 * `threads: 1` undoes a wrapping that has not started yet.
 *
 * @returns null when the next start will be threaded (or already is, with this many threads), else
 *   why it cannot be: not Node, an unsupported tfjs-backend-wasm, more threads than cores, a wasm
 *   backend already started.
 * @throws HyperParameterError when `threads` is not an integer in [1, 8].
 * @example
 * ```ts
 * const why = await prepareNodeWasmThreads({ threads: 2 });
 * if (why) throw new BackendError('wasm', why);
 * await tf.setBackend('wasm'); // threaded
 * ```
 */
export async function prepareNodeWasmThreads(options: { threads: number }): Promise<string | null> {
  checkOptions('prepareNodeWasmThreads', options, ['threads'], { example: 'prepareNodeWasmThreads({ threads: 2 })', required: true });
  const { threads } = options;
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS)
    throw new HyperParameterError('threads', `threads must be an integer from 1 to ${MAX_WASM_THREADS} (tfjs's pthread pool), got ${String(threads)}`);
  if (!isNode()) return 'prepareNodeWasmThreads is for Node: in a browser tfjs runs its threaded build by itself when the page is cross-origin isolated';
  const state = registry[STATE];
  if (state?.started || wasmStarted()) {
    const running = state ? state.threads : 1; // a wrapped factory is the one that started (or is starting)
    return running === threads
      ? null
      : `the wasm backend already started in this process with ${running} thread${running > 1 ? 's' : ''}: choose threads before anything starts it (tfjs cannot restart it)`;
  }
  if (threads === 1) {
    if (state) unwrap(state);
    return null;
  }
  const { availableParallelism, cpus } = (await importByName('node:os')) as typeof import('node:os');
  const cores = availableParallelism?.() ?? cpus().length;
  if (threads > cores)
    return `threads: ${threads} is more than the ${cores} cores this process may use: oversubscribed, tfjs's thread pool is several times slower than one thread`;
  if (typeof SharedArrayBuffer === 'undefined') return 'this Node has no SharedArrayBuffer, which the threaded build needs';
  let wasm: WasmModule;
  let script: string;
  try {
    wasm = (await importByName('@tensorflow/tfjs-backend-wasm')) as WasmModule;
    const mod = (await importByName(WORKER_SCRIPT)) as { wasmWorkerContents?: string; default?: { wasmWorkerContents?: string } };
    script = mod.wasmWorkerContents ?? mod.default?.wasmWorkerContents ?? '';
  } catch (e) {
    return `threads need @tensorflow/tfjs-backend-wasm@${TFJS_WASM_VERSION} (npm install @tensorflow/tfjs-backend-wasm@${TFJS_WASM_VERSION}): ${(e as Error).message.split('\n')[0]}`;
  }
  if (wasm.version_wasm !== TFJS_WASM_VERSION || !script.includes('WasmBackendModuleThreadedSimd'))
    return `threads in Node need @tensorflow/tfjs-backend-wasm ${TFJS_WASM_VERSION} (found ${wasm.version_wasm ?? 'an unknown version'}), whose Node bundle gradkit patches`;
  const original = state?.original ?? tf.findBackendFactory('wasm');
  if (!original) return "tfjs's wasm backend is not registered: import '@tensorflow/tfjs-backend-wasm' first";
  const next: State = { threads, original, started: false };
  registry[STATE] = next;
  reregister(() => startThreaded(next, wasm, `${script.replace(/\n/g, '\\n')}${WORKER_SHIM}`));
  return null;
}

type EngineInternals = {
  registry: Record<string, unknown>;
  registryFactory: Record<string, { priority: number }>;
  backendName: string | null;
  pendingBackendInit: Promise<boolean> | null;
};
const engine = () => tf.engine() as unknown as EngineInternals;

/** Whether tfjs's wasm backend started, or is starting (not `tf.findBackend`, which would start it). */
function wasmStarted(): boolean {
  const e = engine();
  return e.registry.wasm != null || (e.backendName === 'wasm' && e.pendingBackendInit != null);
}

/** Re-registers the wasm backend with `factory`, at the priority tfjs gave it. */
function reregister(factory: Factory): void {
  const priority = engine().registryFactory.wasm?.priority ?? 2;
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', factory, priority);
}

/** Puts tfjs's own wasm factory back (nothing started yet). */
function unwrap(state: State): void {
  reregister(state.original);
  delete registry[STATE];
}

/** The wrapped factory: tfjs's own, with the Node built-ins patched while it runs. */
async function startThreaded(state: State, wasm: WasmModule, workerScript: string): Promise<tf.KernelBackend> {
  const wt = ((await importByName('node:worker_threads')) as { default: { Worker: WorkerCtor } }).default;
  const os = ((await importByName('node:os')) as { default: { cpus(): unknown[] } }).default;
  const [Worker, cpus, global] = [wt.Worker, os.cpus, globalThis as { Worker?: unknown }];
  const hadWorker = 'Worker' in global;
  const previousWorker = global.Worker;
  let fail: (e: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  const spawned: NodeWorker[] = [];
  wt.Worker = tfjsWorker(Worker, workerScript, spawned, (e) => fail(e));
  os.cpus = () => {
    const real = cpus.call(os);
    return Array.from({ length: 2 * state.threads }, (_, i) => real[i % real.length]);
  };
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(state.threads);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`tfjs's threaded wasm build did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
  });
  try {
    const backend = await Promise.race([Promise.resolve(state.original()), failed, timeout]);
    const got = wasm.getThreadsCount();
    if (got !== state.threads) {
      backend.dispose();
      throw new Error(`tfjs's threaded wasm build started ${got} thread(s) instead of ${state.threads}`);
    }
    state.started = true;
    return backend;
  } catch (e) {
    for (const w of spawned) w.terminate().catch(() => {});
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasm.setThreadsCount(-1);
    throw new Error(`threaded wasm failed to start in Node: ${(e as Error)?.message ?? String(e)}`);
  } finally {
    clearTimeout(timer);
    wt.Worker = Worker;
    os.cpus = cpus;
    if (hadWorker) global.Worker = previousWorker;
    else delete global.Worker;
  }
}

/**
 * worker_threads' Worker as tfjs's glue needs it: a Blob URL starts the pthread script from its text;
 * a Blob main script is sent as text; workers stay unref'd; a worker's error rejects the start instead
 * of being thrown out of an event handler (which would end the process). Each worker goes in `spawned`.
 */
function tfjsWorker(Base: WorkerCtor, workerScript: string, spawned: NodeWorker[], onError: (e: Error) => void): WorkerCtor {
  const texts = new WeakMap<Blob, Promise<string>>();
  return class TfjsWorker extends Base {
    private pending: [unknown, unknown][] | null = null;
    /** Whether this is one of tfjs's pthread workers (anything else started meanwhile is left alone). */
    private readonly tfjs: boolean;
    constructor(filename: string | URL, options?: object) {
      const blob = typeof filename === 'string' && filename.startsWith('blob:');
      super(blob ? workerScript : filename, blob ? { eval: true } : options);
      this.tfjs = blob;
      if (blob) spawned.push(this);
    }
    override ref(): void {
      if (!this.tfjs) super.ref();
    }
    override on(event: string, listener: (...args: unknown[]) => void): NodeWorker {
      if (event !== 'error' || !this.tfjs) return super.on(event, listener);
      return super.on('error', (e) => {
        onError(e instanceof Error ? e : new Error(String(e)));
        try {
          listener(e);
        } catch {}
      });
    }
    override postMessage(message: unknown, transfer?: unknown): void {
      if (this.pending) {
        this.pending.push([message, transfer]);
        return;
      }
      const m = message as { cmd?: string; urlOrBlob?: unknown };
      if (!this.tfjs || m?.cmd !== 'load' || !(m.urlOrBlob instanceof Blob)) {
        super.postMessage(message, transfer);
        return;
      }
      const blob = m.urlOrBlob;
      const text = texts.get(blob) ?? blob.text();
      texts.set(blob, text);
      this.pending = [];
      text.then(
        (code) => {
          super.postMessage({ ...m, urlOrBlob: `${INLINE}${PRELUDE}${code}` }, transfer);
          const queued = this.pending ?? [];
          this.pending = null;
          for (const [q, t] of queued) this.postMessage(q, t);
        },
        (e: Error) => onError(e),
      );
    }
  };
}
