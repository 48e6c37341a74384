import { describe, expect, it } from 'vitest';
import { chooseWasmVariant, tfjsWasmMemory, type WasmBuilds, wasmKernelCache, wasmSimdSupported } from './wasm.js';

// The wasm plumbing of fused-kernel plugins on memories and fake backends of our own (the kernels that
// use it are tested in @gradkit/optimizers and @gradkit/diagnostics, on tfjs-backend-wasm's memory).
const EMPTY_MODULE = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]; // "\0asm", version 1: valid everywhere
const buildsWith = (simd: number[]): WasmBuilds => {
  const bytes = () => new Uint8Array(EMPTY_MODULE);
  return { simd: new Uint8Array(simd), scalar: bytes(), simdShared: bytes(), scalarShared: bytes() };
};
const memory = () => new WebAssembly.Memory({ initial: 1 });
const shared = () => new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });

describe('chooseWasmVariant and wasmSimdSupported', () => {
  it('pick the SIMD build where the engine validates it, the shared one for a shared memory', () => {
    const ok = buildsWith(EMPTY_MODULE);
    expect(wasmSimdSupported(ok)).toBe(true);
    expect(chooseWasmVariant(memory(), ok)).toBe('simd');
    expect(chooseWasmVariant(shared(), ok)).toBe('simdShared');
  });

  it('fall back to scalar where the SIMD build does not validate', () => {
    const bad = buildsWith([0x00, 0x61, 0x73, 0x6d, 0x02]);
    expect(wasmSimdSupported(bad)).toBe(false);
    expect(chooseWasmVariant(memory(), bad)).toBe('scalar');
    expect(chooseWasmVariant(shared(), bad)).toBe('scalarShared');
  });
});

describe('tfjsWasmMemory', () => {
  it('finds the memory of every Emscripten layout, and nothing else', () => {
    const m = memory();
    expect(tfjsWasmMemory({ wasm: { wasmMemory: m } })).toBe(m);
    expect(tfjsWasmMemory({ wasm: { asm: { memory: m } } })).toBe(m);
    expect(tfjsWasmMemory({ wasm: { wasmExports: { memory: m } } })).toBe(m);
    expect(tfjsWasmMemory({ wasm: { asm: { memory: new ArrayBuffer(8) } } })).toBeUndefined();
    expect(tfjsWasmMemory({})).toBeUndefined();
  });
});

describe('wasmKernelCache', () => {
  it('instantiates once per backend, synchronously, against its memory', () => {
    const seen: WebAssembly.Memory[] = [];
    const kernelsFor = wasmKernelCache(
      (m) => {
        seen.push(m);
        return { id: seen.length };
      },
      async () => ({ id: -1 }),
    );
    const a = { wasm: { wasmMemory: memory() } };
    const b = { wasm: { wasmMemory: memory() } };
    expect(kernelsFor(a)).toEqual({ id: 1 });
    expect(kernelsFor(a)).toEqual({ id: 1 });
    expect(kernelsFor(b)).toEqual({ id: 2 });
    expect(seen).toEqual([a.wasm.wasmMemory, b.wasm.wasmMemory]);
  });

  it('never instantiates for a backend without a memory', () => {
    let calls = 0;
    const kernelsFor = wasmKernelCache(
      () => ++calls,
      async () => ++calls,
    );
    const backend = {};
    expect(kernelsFor(backend)).toBeUndefined();
    expect(kernelsFor(backend)).toBeUndefined();
    expect(calls).toBe(0);
  });

  it('serves the asynchronous instantiation once it resolves where the synchronous one throws', async () => {
    let asyncCalls = 0;
    const kernelsFor = wasmKernelCache(
      () => {
        throw new RangeError('synchronous compilation refused');
      },
      async () => {
        asyncCalls++;
        return 'async kernels';
      },
    );
    const backend = { wasm: { wasmMemory: memory() } };
    expect(kernelsFor(backend)).toBeUndefined();
    expect(kernelsFor(backend)).toBeUndefined(); // pending: not started again
    await new Promise((r) => setTimeout(r, 0));
    expect(kernelsFor(backend)).toBe('async kernels');
    expect(asyncCalls).toBe(1);
  });

  it('gives up on a backend whose asynchronous instantiation fails too', async () => {
    let calls = 0;
    const kernelsFor = wasmKernelCache(
      () => {
        calls++;
        throw new Error('no');
      },
      async () => {
        calls++;
        throw new Error('no either');
      },
    );
    const backend = { wasm: { wasmMemory: memory() } };
    expect(kernelsFor(backend)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 0));
    expect(kernelsFor(backend)).toBeUndefined();
    expect(calls).toBe(2);
  });
});
