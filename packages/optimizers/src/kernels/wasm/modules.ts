// The fused step's WebAssembly modules (adam.wat, sgd.wat … beside this file, compiled at build time by
// scripts/wasm/wat.mjs), instantiated once per tfjs-backend-wasm instance against the backend's own
// WebAssembly.Memory, so that they work on tensors where they lie. Each module is under 1 KB: Chrome
// allows synchronous compilation of modules up to 4 KB on the main thread, so instantiation is
// synchronous everywhere; should it throw anyway (an engine that forbids it), the modules are
// instantiated asynchronously and the steps until then run in JavaScript over the same memory.
import { chooseWasmVariant, wasmSimdSupported as validatesSimd, type WasmVariant, wasmKernelCache } from '@gradkit/core';
import adamWat from './adam.wat';
import adoptWat from './adopt.wat';
import lionWat from './lion.wat';
import muonMomentumWat from './muon-momentum.wat';
import normWat from './norm.wat';
import rmspropWat from './rmsprop.wat';
import scheduleFreeAdamWWat from './schedule-free-adamw.wat';
import sgdWat from './sgd.wat';

/** sgd.wat: `setup(negLr, wd, momentum, 1 − dampening, norm, maxNorm, flags)` then `step(p, g, buf, n)` per parameter. */
export interface SgdModule {
  /** The step's hyper-parameters (rounded to float32 by the call) and flags: 1 clip, 2 weight decay, 4 momentum, 8 first step, 16 nesterov. */
  setup(negLr: number, wd: number, momentum: number, keep: number, norm: number, maxNorm: number, flags: number): void;
  /** One parameter: byte offsets of θ, g and the momentum buffer (0 without momentum), and its element count. */
  step(p: number, g: number, buf: number, n: number): void;
}

/** adam.wat: `setup(β₁, β₂, 1 − β₁, 1 − β₂, ε, 1/bc2Sqrt, −stepSize, wd, lr·wd, norm, maxNorm, flags)` then `step(p, g, m, v, vMax, n)`. */
export interface AdamModule {
  /** The step's hyper-parameters and flags: 1 clip, 2 L2 weight decay, 4 decoupled weight decay, 8 amsgrad, 16 amsgrad's max lets NaN win (tfjs-cpu's). */
  setup(
    b1: number,
    b2: number,
    ob1: number,
    ob2: number,
    eps: number,
    bc2: number,
    negStep: number,
    wd: number,
    lrWd: number,
    norm: number,
    maxNorm: number,
    flags: number,
  ): void;
  /** One parameter: byte offsets of θ, g, m, v and vMax (0 without amsgrad), and its element count. */
  step(p: number, g: number, m: number, v: number, vMax: number, n: number): void;
}

/** rmsprop.wat: `setup(α, 1 − α, ε, wd, momentum, −lr, norm, maxNorm, flags)` then `step(p, g, squareAvg, gradAvg, buf, n)`. */
export interface RmspropModule {
  /** The step's hyper-parameters and flags: 1 clip, 2 weight decay, 4 centered, 8 momentum. */
  setup(alpha: number, oa: number, eps: number, wd: number, momentum: number, negLr: number, norm: number, maxNorm: number, flags: number): void;
  /** One parameter: byte offsets of θ, g, squareAvg, gradAvg and momentumBuffer (0 for a slot it has not), and its element count. */
  step(p: number, g: number, sq: number, ga: number, buf: number, n: number): void;
}

/** lion.wat: `setup(β₁, β₂, 1 − β₁, 1 − β₂, wd, −lr, norm, maxNorm, flags)` then `step(p, g, m, n)`. */
export interface LionModule {
  /** The step's hyper-parameters and flags: 1 clip, 2 weight decay. */
  setup(b1: number, b2: number, ob1: number, ob2: number, wd: number, negLr: number, norm: number, maxNorm: number, flags: number): void;
  /** One parameter: byte offsets of θ, g and m, and its element count. */
  step(p: number, g: number, m: number, n: number): void;
}

/** adopt.wat: `setup(β₁, β₂, 1 − β₁, 1 − β₂, ε, c, −lr, wd, norm, maxNorm, flags)` then `step(p, g, m, v, n)`. */
export interface AdoptModule {
  /** The step's hyper-parameters and flags: 1 clip, 2 weight decay, 4 value clipping at ±c, 8 nesterov. */
  setup(
    b1: number,
    b2: number,
    ob1: number,
    ob2: number,
    eps: number,
    limit: number,
    negLr: number,
    wd: number,
    norm: number,
    maxNorm: number,
    flags: number,
  ): void;
  /** One parameter: byte offsets of θ, g, m and v, and its element count. */
  step(p: number, g: number, m: number, v: number, n: number): void;
}

/** schedule-free-adamw.wat: `setup(β₂, 1 − β₂, bc2, ε, wd, ckp1, adaptiveYLr, lr, norm, maxNorm, flags)` then `step(p, g, z, v, n)`. */
export interface ScheduleFreeAdamWModule {
  /** The step's hyper-parameters and flags: 1 clip, 2 weight decay. */
  setup(
    b2: number,
    ob2: number,
    bc2: number,
    eps: number,
    wd: number,
    ckp1: number,
    yLr: number,
    lr: number,
    norm: number,
    maxNorm: number,
    flags: number,
  ): void;
  /** One parameter: byte offsets of y (the parameter), g, z and v, and its element count. */
  step(p: number, g: number, z: number, v: number, n: number): void;
}

/** muon-momentum.wat: `setup(1 − μ, μ, flags)` then `step(g, buf, outBuf, outUpdate, n)`. */
export interface MuonMomentumModule {
  /** The constants and flags: 1 nesterov. */
  setup(keep: number, momentum: number, flags: number): void;
  /** One tensor: byte offsets of g, the buffer, the new buffer and the update, and the element count. */
  step(g: number, b: number, outB: number, outU: number, n: number): void;
}

/** norm.wat: the read pass (`reset`, `add(g, n)` per gradient, or `partial(g, n)` per piece of one, then `total()` and `nonFinite()`). */
export interface NormModule {
  /** Starts a step's read pass. */
  reset(): void;
  /** Adds one gradient: its byte offset and element count. */
  add(g: number, n: number): void;
  /** The float64 sum of the float32 squares of a gradient or a piece of one (byte offset, element count), noting non-finite elements; the total is unchanged. */
  partial(g: number, n: number): number;
  /** The float32 sum of squares so far. */
  total(): number;
  /** 1 when an element so far was NaN or ±Infinity, else 0. */
  nonFinite(): number;
}

/** The fused step's modules, instantiated against one memory. */
export interface WasmKernels {
  /** The build that runs. */
  readonly variant: WasmVariant;
  /** The memory the modules import (tfjs-backend-wasm's). */
  readonly memory: WebAssembly.Memory;
  /** sgd.wat. */
  readonly sgd: SgdModule;
  /** adam.wat (Adam and AdamW). */
  readonly adam: AdamModule;
  /** rmsprop.wat. */
  readonly rmsprop: RmspropModule;
  /** lion.wat. */
  readonly lion: LionModule;
  /** adopt.wat. */
  readonly adopt: AdoptModule;
  /** schedule-free-adamw.wat. */
  readonly scheduleFreeAdamW: ScheduleFreeAdamWModule;
  /** muon-momentum.wat (not a fused step: the `GradkitMuonMomentum` kernel). */
  readonly muonMomentum: MuonMomentumModule;
  /** norm.wat: the read pass of clipped and guarded steps. */
  readonly norm: NormModule;
}

const SOURCES = {
  sgd: sgdWat,
  adam: adamWat,
  rmsprop: rmspropWat,
  lion: lionWat,
  adopt: adoptWat,
  scheduleFreeAdamW: scheduleFreeAdamWWat,
  muonMomentum: muonMomentumWat,
  norm: normWat,
} as const;

/** Whether this engine runs wasm SIMD (checked once, by validating the SIMD build of norm.wat). */
export const wasmSimdSupported = (): boolean => validatesSimd(normWat);

/** The variant that runs against `memory`: SIMD where the engine has it; shared for a SharedArrayBuffer memory. */
export const chooseVariant = (memory: WebAssembly.Memory): WasmVariant => chooseWasmVariant(memory, normWat);

const exportsOf = (instance: WebAssembly.Instance) => instance.exports as unknown;

/** Compiled modules by their bytes: compiled once, instantiated once per memory. */
const compiled = new WeakMap<Uint8Array, WebAssembly.Module>();
function compile(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module {
  let module = compiled.get(bytes);
  if (!module) {
    module = new WebAssembly.Module(bytes);
    compiled.set(bytes, module);
  }
  return module;
}

/** Instantiates every module synchronously against `memory` (variant chosen by `chooseVariant` unless given). */
export function instantiateKernels(memory: WebAssembly.Memory, variant: WasmVariant = chooseVariant(memory)): WasmKernels {
  const imports = { env: { memory } };
  const make = (bytes: Uint8Array<ArrayBuffer>) => exportsOf(new WebAssembly.Instance(compile(bytes), imports));
  return {
    variant,
    memory,
    sgd: make(SOURCES.sgd[variant]) as SgdModule,
    adam: make(SOURCES.adam[variant]) as AdamModule,
    rmsprop: make(SOURCES.rmsprop[variant]) as RmspropModule,
    lion: make(SOURCES.lion[variant]) as LionModule,
    adopt: make(SOURCES.adopt[variant]) as AdoptModule,
    scheduleFreeAdamW: make(SOURCES.scheduleFreeAdamW[variant]) as ScheduleFreeAdamWModule,
    muonMomentum: make(SOURCES.muonMomentum[variant]) as MuonMomentumModule,
    norm: make(SOURCES.norm[variant]) as NormModule,
  };
}

/** The same, asynchronously (for engines that refuse synchronous compilation). */
export async function instantiateKernelsAsync(memory: WebAssembly.Memory, variant: WasmVariant = chooseVariant(memory)): Promise<WasmKernels> {
  const imports = { env: { memory } };
  const make = async (bytes: Uint8Array<ArrayBuffer>) => exportsOf((await WebAssembly.instantiate(bytes, imports)).instance);
  const [sgd, adam, rmsprop, lion, adopt, scheduleFreeAdamW, muonMomentum, norm] = await Promise.all(
    [SOURCES.sgd, SOURCES.adam, SOURCES.rmsprop, SOURCES.lion, SOURCES.adopt, SOURCES.scheduleFreeAdamW, SOURCES.muonMomentum, SOURCES.norm].map((s) =>
      make(s[variant]),
    ),
  );
  return {
    variant,
    memory,
    sgd: sgd as SgdModule,
    adam: adam as AdamModule,
    rmsprop: rmsprop as RmspropModule,
    lion: lion as LionModule,
    adopt: adopt as AdoptModule,
    scheduleFreeAdamW: scheduleFreeAdamW as ScheduleFreeAdamWModule,
    muonMomentum: muonMomentum as MuonMomentumModule,
    norm: norm as NormModule,
  };
}

/**
 * The kernels for one tfjs-backend-wasm instance (instantiated on first use, then cached), or
 * undefined while they cannot run yet (asynchronous instantiation under way) or at all: the caller then
 * steps in JavaScript.
 */
export const kernelsFor: (backend: object) => WasmKernels | undefined = wasmKernelCache(
  (memory) => instantiateKernels(memory),
  (memory) => instantiateKernelsAsync(memory),
);
