// Plumbing for fused-kernel plugins (see optimizer/fused.ts) that run their own WebAssembly modules
// against tfjs-backend-wasm 4.22's memory, so that they work on tensors where they lie. The backend
// package is not imported (DESIGN §1): the backend instance arrives at run time and is duck-typed.

/**
 * Which build of a module runs: f32x4 SIMD or scalar, importing an ordinary or a shared memory
 * (tfjs-backend-wasm's threaded build).
 *
 * @example
 * ```ts
 * const variant: WasmVariant = chooseWasmVariant(memory, adamBuilds); // 'simd' on current engines
 * ```
 */
export type WasmVariant = 'simd' | 'scalar' | 'simdShared' | 'scalarShared';

/**
 * The four builds of one WebAssembly module, one per {@link WasmVariant}: what a `.wat` import gives
 * in gradkit's packages (compiled by scripts/wasm/wat.mjs at build and test time).
 *
 * @example
 * ```ts
 * declare module '*.wat' {
 *   const builds: import('@gradkit/core').WasmBuilds;
 *   export default builds;
 * }
 * ```
 */
export interface WasmBuilds {
  /** f32x4 SIMD, importing an ordinary memory. */
  readonly simd: Uint8Array<ArrayBuffer>;
  /** Scalar only (engines without wasm SIMD), ordinary memory. */
  readonly scalar: Uint8Array<ArrayBuffer>;
  /** f32x4 SIMD, importing a shared memory (tfjs-backend-wasm's threaded build). */
  readonly simdShared: Uint8Array<ArrayBuffer>;
  /** Scalar only, shared memory. */
  readonly scalarShared: Uint8Array<ArrayBuffer>;
}

const validated = new WeakMap<Uint8Array, boolean>();

/**
 * Whether this engine runs wasm SIMD: whether it validates `builds.simd` (checked once per build).
 *
 * @example
 * ```ts
 * if (!wasmSimdSupported(adamBuilds)) console.info('scalar wasm kernels');
 * ```
 */
export function wasmSimdSupported(builds: WasmBuilds): boolean {
  let ok = validated.get(builds.simd);
  if (ok === undefined) {
    ok = WebAssembly.validate(builds.simd);
    validated.set(builds.simd, ok);
  }
  return ok;
}

/**
 * The variant of `builds` that runs against `memory`: SIMD where the engine validates it; shared for
 * a memory over a SharedArrayBuffer.
 *
 * @example
 * ```ts
 * const instance = new WebAssembly.Instance(new WebAssembly.Module(builds[chooseWasmVariant(memory, builds)]), { env: { memory } });
 * ```
 */
export function chooseWasmVariant(memory: WebAssembly.Memory, builds: WasmBuilds): WasmVariant {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  return `${wasmSimdSupported(builds) ? 'simd' : 'scalar'}${shared ? 'Shared' : ''}` as WasmVariant;
}

/** The parts of tfjs-backend-wasm 4.22's Emscripten module that hold its memory. */
interface EmscriptenModule {
  /** The threaded build: the shared memory it created and imports. */
  readonly wasmMemory?: WebAssembly.Memory;
  /** The other builds: the instance's exports, whose `memory` the module exports. */
  readonly asm?: { readonly memory?: WebAssembly.Memory };
  /** Newer Emscripten's name for the exports. */
  readonly wasmExports?: { readonly memory?: WebAssembly.Memory };
}

/**
 * tfjs-backend-wasm's `WebAssembly.Memory` (found through `backend.wasm`, its Emscripten module), or
 * undefined where it cannot be found. A tensor's bytes lie at `backend.dataIdMap.get(dataId).memoryOffset`.
 *
 * @example
 * ```ts
 * const memory = tfjsWasmMemory(tf.backend());
 * ```
 */
export function tfjsWasmMemory(backend: object): WebAssembly.Memory | undefined {
  const wasm = (backend as { wasm?: EmscriptenModule }).wasm;
  const memory = wasm?.wasmMemory ?? wasm?.asm?.memory ?? wasm?.wasmExports?.memory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

/**
 * A per-backend cache of kernels instantiated against tfjs-backend-wasm's memory: the returned function
 * gives one backend instance's kernels, instantiating them with `instantiate` on first use, or undefined
 * while they cannot run yet or at all (the caller then computes in JavaScript). Where `instantiate`
 * throws (an engine that refuses synchronous compilation on the main thread), `instantiateAsync` runs
 * instead and its kernels serve once it resolves; where the memory is not found or `instantiateAsync`
 * fails, the backend never gets kernels.
 *
 * @example
 * ```ts
 * const kernelsFor = wasmKernelCache(
 *   (memory) => new WebAssembly.Instance(new WebAssembly.Module(builds[chooseWasmVariant(memory, builds)]), { env: { memory } }).exports,
 *   async (memory) => (await WebAssembly.instantiate(builds[chooseWasmVariant(memory, builds)], { env: { memory } })).instance.exports,
 * );
 * const kernels = kernelsFor(args.backend); // undefined: step in JavaScript
 * ```
 */
export function wasmKernelCache<K>(
  instantiate: (memory: WebAssembly.Memory) => K,
  instantiateAsync: (memory: WebAssembly.Memory) => Promise<K>,
): (backend: object) => K | undefined {
  // Per backend instance: its kernels, a pending asynchronous instantiation, or why there are none.
  const cache = new WeakMap<object, { kernels: K } | Promise<unknown> | Error>();
  return (backend) => {
    const hit = cache.get(backend);
    if (hit !== undefined) return hit instanceof Promise || hit instanceof Error ? undefined : hit.kernels;
    const memory = tfjsWasmMemory(backend);
    if (!memory) {
      cache.set(backend, new Error("tfjs-backend-wasm's WebAssembly.Memory was not found"));
      return undefined;
    }
    try {
      const kernels = instantiate(memory);
      cache.set(backend, { kernels });
      return kernels;
    } catch {
      const pending = instantiateAsync(memory).then(
        (kernels) => cache.set(backend, { kernels }),
        (e: unknown) => cache.set(backend, e instanceof Error ? e : new Error(String(e))),
      );
      cache.set(backend, pending);
      return undefined;
    }
  };
}

/**
 * A scratch WebAssembly memory of at least `bytes` with kernels instantiated against it, made on the
 * first call, for cpu-backend kernels that copy their data into it chunk by chunk. Synchronous
 * instantiation first; where the engine forbids it (Chrome's main thread, for larger modules) the
 * result is null until the asynchronous instantiation is done (callers loop in JavaScript meanwhile),
 * and null for good where WebAssembly cannot run at all.
 *
 * @example
 * ```ts
 * const scratch = wasmScratch(1 << 20, instantiateKernels, instantiateKernelsAsync);
 * const s = scratch(); // { kernels, heap } or null
 * if (s) s.heap.set(chunk, 0);
 * ```
 */
export function wasmScratch<K>(
  bytes: number,
  instantiate: (memory: WebAssembly.Memory) => K,
  instantiateAsync: (memory: WebAssembly.Memory) => Promise<K>,
): () => { readonly kernels: K; readonly heap: Float32Array } | null {
  let scratch: { readonly kernels: K; readonly heap: Float32Array } | Promise<unknown> | null | undefined;
  return () => {
    if (scratch === undefined) {
      let memory: WebAssembly.Memory;
      try {
        memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) });
      } catch {
        scratch = null; // no WebAssembly at all
        return null;
      }
      const of = (kernels: K) => ({ kernels, heap: new Float32Array(memory.buffer) });
      try {
        scratch = of(instantiate(memory));
      } catch {
        scratch = instantiateAsync(memory).then(
          (kernels) => {
            scratch = of(kernels);
          },
          () => {
            scratch = null;
          },
        );
      }
    }
    return scratch instanceof Promise ? null : scratch;
  };
}
