// The cpu backend's parameters and optimizer slots, moved into WebAssembly memories ("homes") on their
// first fused step so that the SIMD modules update them where they lie: only gradients are copied
// (into a 128 KiB scratch chunk that stays in cache), nothing is copied back. A tensor is moved by
// pointing its entry in the backend (`data.get(dataId).values`) at a Float32Array view of a home;
// every tfjs-cpu kernel reads it like any other array. A home never grows (so views never detach)
// and is found from a tensor's own array (`values.buffer`); a tensor disposed or assigned a new value
// simply stops pointing there, and a home no tensor points into is garbage collected. In one home,
// each leaf's parameter and slots lie at the same position of consecutive regions (parameters, then
// slot 1, slot 2 …), so a run of leaves homed together is updated as one flat range.
import type { Clip } from '../f32-rules.js';
import type { FusedPlan } from '../plan.js';
import { instantiateKernels, type WasmKernels } from '../wasm/modules.js';
import { flatUpdate } from './flat-update.js';

/** An entry of tfjs-cpu's data storage (`backend.data.get(dataId)`): the tensor's array. */
export interface CpuData {
  values: Float32Array;
}

interface Home {
  readonly k: WasmKernels;
  readonly heap: Float32Array;
  /** Element index of the gradient scratch chunk. */
  readonly scratch: number;
  readonly chunk: number;
}

/** Elements of gradient copied per module call: 128 KiB, which stays in the core's L2 cache. */
const CHUNK = 32768;
/** The largest home: 1 GiB (WebAssembly memories are at most 4 GiB; engines may refuse less). */
const MAX_BYTES = 2 ** 30;

const homes = new WeakMap<ArrayBufferLike, Home>();
/**
 * The view each moved entry was given. An array that lies in a home but is not its entry's own view
 * is another tensor's storage (tfjs-cpu's `slice` returns views of its input): such a leaf is moved
 * out before anything writes to it.
 */
const placed = new WeakMap<CpuData, Float32Array>();

const align4 = (n: number) => Math.ceil(n / 4) * 4;

/** The home every array of a leaf (parameter, then slots) lies in, or undefined. */
function homeOf(leaf: readonly CpuData[]): Home | undefined {
  const buffer = (leaf[0] as CpuData).values.buffer;
  const home = homes.get(buffer);
  return home && leaf.every((d) => placed.get(d) === d.values && d.values.buffer === buffer) ? home : undefined;
}

/** Moves the arrays of `leaves` (all with the same slots) into one new home; false (nothing moved) where the engine refuses. */
function moveIn(leaves: readonly (readonly CpuData[])[], elements: number): boolean {
  const region = align4(elements);
  const arrays = (leaves[0] as readonly CpuData[]).length;
  const chunk = Math.min(CHUNK, Math.max(region, 4)); // never 0: empty tensors still advance the run
  const scratch = arrays * region;
  let k: WasmKernels;
  try {
    k = instantiateKernels(new WebAssembly.Memory({ initial: Math.ceil(((scratch + chunk) * 4) / 65536) }));
  } catch {
    return false;
  }
  const heap = new Float32Array(k.memory.buffer);
  let at = 0;
  for (const leaf of leaves) {
    const n = (leaf[0] as CpuData).values.length;
    for (const [r, d] of leaf.entries()) {
      const view = heap.subarray(r * region + at, r * region + at + n);
      view.set(d.values);
      d.values = view;
      placed.set(d, view);
    }
    at += n;
  }
  homes.set(k.memory.buffer, { k, heap, scratch, chunk });
  return true;
}

/** Gives a home to every leaf that has none, in groups of at most MAX_BYTES; returns those left without (too big, or refused). */
function house(leaves: readonly (readonly CpuData[])[], homeless: number[]): number[] {
  const left: number[] = [];
  let group: number[] = [];
  let elements = 0;
  const flush = () => {
    const moved =
      group.length === 0 ||
      moveIn(
        group.map((i) => leaves[i] as readonly CpuData[]),
        elements,
      );
    if (!moved) left.push(...group);
    group = [];
    elements = 0;
  };
  for (const i of homeless) {
    const leaf = leaves[i] as readonly CpuData[];
    const n = (leaf[0] as CpuData).values.length;
    const bytes = (x: number) => (align4(x) * leaf.length + CHUNK) * 4;
    if (bytes(n) > MAX_BYTES) {
      left.push(i);
      continue;
    }
    if (bytes(elements + n) > MAX_BYTES) flush();
    group.push(i);
    elements += n;
  }
  flush();
  return left;
}

/** Whether leaf `b` directly follows leaf `a` in the same home, in every region. */
function follows(a: readonly CpuData[], b: readonly CpuData[]): boolean {
  return a.every((d, r) => (b[r] as CpuData).values.byteOffset === d.values.byteOffset + d.values.byteLength);
}

/** Updates leaves [from, to), which lie one after another in `home`, as one flat range. */
function updateRun(
  home: Home,
  plan: FusedPlan,
  leaves: readonly (readonly CpuData[])[],
  grads: readonly Float32Array[],
  from: number,
  to: number,
  clip: Clip | undefined,
): void {
  const first = leaves[from] as readonly CpuData[];
  let leaf = from;
  let inLeaf = 0;
  let done = 0;
  while (leaf < to) {
    // Fill the scratch chunk with the gradients of the next elements of the run.
    let filled = 0;
    while (leaf < to && filled < home.chunk) {
      const g = grads[leaf] as Float32Array;
      const n = Math.min(g.length - inLeaf, home.chunk - filled);
      home.heap.set(n === g.length ? g : g.subarray(inLeaf, inLeaf + n), home.scratch + filled);
      filled += n;
      inLeaf += n;
      if (inLeaf === g.length) {
        leaf++;
        inLeaf = 0;
      }
    }
    const byteAt = (d: CpuData) => d.values.byteOffset + done * 4;
    flatUpdate(home.k, plan, filled, byteAt(first[0] as CpuData), home.scratch * 4, first.slice(1).map(byteAt), clip);
    done += filled;
  }
}

/**
 * Applies `plan.rule` to every leaf (`leaves[i]`: the parameter's and its slots' data entries) with
 * the SIMD modules over their homes, moving homeless leaves in first; returns the indices of the
 * leaves it could not update (no WebAssembly, or a tensor over 1 GiB), for the caller's other path.
 *
 * @example
 * ```ts
 * const left = updateAtHome(plan, params.map((p, i) => [data(p), ...slots.map((s) => data(s[i]))]), grads, clip);
 * ```
 */
export function updateAtHome(plan: FusedPlan, leaves: readonly (readonly CpuData[])[], grads: readonly Float32Array[], clip: Clip | undefined): number[] {
  let at = leaves.map(homeOf);
  const homeless = at.flatMap((home, i) => (home ? [] : [i]));
  const left = homeless.length > 0 ? house(leaves, homeless) : [];
  if (homeless.length > 0) at = leaves.map(homeOf); // the moved ones have a home now (those left have none)
  for (let i = 0; i < leaves.length; ) {
    const home = at[i];
    if (!home) {
      i++;
      continue;
    }
    let end = i + 1;
    while (end < leaves.length && at[end] === home && follows(leaves[end - 1] as CpuData[], leaves[end] as CpuData[])) end++;
    updateRun(home, plan, leaves, grads, i, end, clip);
    i = end;
  }
  return left;
}
