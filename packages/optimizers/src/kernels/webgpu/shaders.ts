// WGSL of the fused step: per-gradient partial reductions, one finalize, per-parameter updates.
// The element-wise rules follow plan.ts in its op order (WGSL may contract a·b + c to an FMA).

import type { GpuBindingKind } from '@gradkit/core';
import type { FusedRule } from '../plan.js';

/** Threads per workgroup of every shader here. */
export const WORKGROUP = 64;
/** Bytes of one partial (sum of squares as f32 bits, non-finite count). */
export const PARTIAL_BYTES = 8;

/** The rule's constants and the step's scalars, as float32 in the uniform `h.c` (16 floats). */
export const HYPER_FLOATS = 16;
/** Index of clipByGlobalNorm's `maxNorm` in the uniform. */
export const MAX_NORM = 14;
/** Index of applyIfFinite's `maxConsecutiveErrors` in the uniform. */
export const GUARD_LIMIT = 15;

/** The uniform's float `k`. */
const c = (k: number) => `h.c[${k >> 2}].${'xyzw'[k & 3]}`;

/**
 * Shared declarations. `T` is the element type a thread works on: `vec4<f32>` over the first
 * ⌊n/4⌋·4 elements (bound as `array<vec4<f32>>`), `f32` for the last n mod 4 (a second, one-workgroup
 * dispatch over the whole buffer); the same WGSL serves both.
 */
const header = (vec: boolean) => `
alias T = ${vec ? 'vec4<f32>' : 'f32'};
alias UT = ${vec ? 'vec4<u32>' : 'u32'};
alias BT = ${vec ? 'vec4<bool>' : 'bool'};
struct Hyper { c : array<vec4<f32>, 4> }
struct StepState { apply : u32, clip : u32, norm : f32, pad : f32 }
fn nonFinite(x : T) -> BT { return (bitcast<UT>(x) & UT(0x7f800000u)) == UT(0x7f800000u); }
fn isNan(x : T) -> BT { return (bitcast<UT>(x) & UT(0x7fffffffu)) > UT(0x7f800000u); }
fn hsum(x : T) -> f32 { return ${vec ? 'x.x + x.y + x.z + x.w' : 'x'}; }
fn count(b : BT) -> u32 { return ${vec ? 'dot(select(vec4<u32>(0u), vec4<u32>(1u), b), vec4<u32>(1u))' : 'select(0u, 1u, b)'}; }
`;

/** The first element index a thread of the variant handles: 0 for vec4, ⌊n/4⌋·4 for the scalar tail. */
const start = (vec: boolean) => (vec ? '0u' : '(n & ~3u)');

/** A shader and the kinds of its bindings, in binding order. */
export interface Shader {
  readonly code: string;
  readonly kinds: readonly GpuBindingKind[];
}

const REDUCE_TREE = `
  workgroupBarrier();
  for (var k = ${WORKGROUP / 2}u; k > 0u; k = k >> 1u) {
    if (li < k) { ss[li] = ss[li] + ss[li + k]; sc[li] = sc[li] + sc[li + k]; }
    workgroupBarrier();
  }`;

/**
 * Per gradient: each workgroup sums the squares and counts the non-finite elements of a grid-strided
 * share of it and writes one partial (the scalar tail's workgroup writes the region's last one).
 * Bindings: the gradient, its region of the partials.
 */
function buildReduceShader(vec: boolean): Shader {
  return {
    kinds: ['read', 'write'],
    code: `${header(vec)}
@group(0) @binding(0) var<storage, read> g : array<T>;
@group(0) @binding(1) var<storage, read_write> partials : array<vec2<u32>>;
var<workgroup> ss : array<f32, ${WORKGROUP}>;
var<workgroup> sc : array<u32, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) li : u32, @builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  let n = arrayLength(&g);
  let stride = nw.x * ${WORKGROUP}u;
  var s = T(0.0);
  var bad = 0u;
  for (var i = ${start(vec)} + wid.x * ${WORKGROUP}u + li; i < n; i = i + stride) {
    let x = g[i];
    s = s + x * x;
    bad = bad + count(nonFinite(x));
  }
  ss[li] = hsum(s);
  sc[li] = bad;${REDUCE_TREE}
  if (li == 0u) { partials[${vec ? 'wid.x' : 'arrayLength(&partials) - 1u'}] = vec2<u32>(bitcast<u32>(ss[0]), sc[0]); }
}`,
  };
}

/**
 * One workgroup: sums every partial into the global sum of squares and non-finite count, then
 * decides the step (applyIfFinite's rule, on its int32/bool scalars in place: tfjs keeps both dtypes
 * as 32-bit integers on webgpu) and the clip (`norm < maxNorm` keeps g, else `(g / norm) · maxNorm`),
 * and, with `metrics`, writes clipByGlobalNorm's `norm` and `clipped` (float32) when the step applies.
 * Bindings: all partials, the step state, the uniform, then with a guard its three scalars, then
 * with metrics the norm and clipped scalars.
 */
function buildFinalizeShader(clip: boolean, guard: boolean, metrics: boolean): Shader {
  const guardDecl = guard
    ? `@group(0) @binding(3) var<storage, read_write> notfiniteCount : array<i32>;
@group(0) @binding(4) var<storage, read_write> totalNotfinite : array<i32>;
@group(0) @binding(5) var<storage, read_write> lastFinite : array<i32>;`
    : '';
  const at = guard ? 6 : 3;
  const metricsDecl = metrics
    ? `@group(0) @binding(${at}) var<storage, read_write> normOut : array<f32>;
@group(0) @binding(${at + 1}) var<storage, read_write> clippedOut : array<f32>;`
    : '';
  // clipByGlobalNorm's metrics, on a step that applies (a skipped step leaves the guarded state as it was).
  const writeMetrics = metrics
    ? `if (st.apply != 0u) {
      normOut[0] = norm;
      clippedOut[0] = select(0.0, 1.0, st.clip != 0u);
    }`
    : '';
  const decide = guard
    ? `let finite = sc[0] == 0u;
    var row = notfiniteCount[0];
    if (finite) { row = 0; } else if (row < 2147483647) { row = row + 1; }
    notfiniteCount[0] = row;
    if (!finite && totalNotfinite[0] < 2147483647) { totalNotfinite[0] = totalNotfinite[0] + 1; }
    lastFinite[0] = select(0, 1, finite);
    st.apply = select(0u, 1u, finite || f32(row) > ${c(GUARD_LIMIT)});`
    : 'st.apply = 1u;';
  return {
    kinds: [
      'read',
      'write',
      'uniform',
      ...((guard ? ['write', 'write', 'write'] : []) as GpuBindingKind[]),
      ...((metrics ? ['write', 'write'] : []) as GpuBindingKind[]),
    ],
    code: `${header(false)}
@group(0) @binding(0) var<storage, read> partials : array<vec2<u32>>;
@group(0) @binding(1) var<storage, read_write> st : StepState;
@group(0) @binding(2) var<uniform> h : Hyper;
${guardDecl}
${metricsDecl}
var<workgroup> ss : array<f32, ${WORKGROUP}>;
var<workgroup> sc : array<u32, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) li : u32) {
  let n = arrayLength(&partials);
  var s = 0.0;
  var bad = 0u;
  for (var i = li; i < n; i = i + ${WORKGROUP}u) {
    let p = partials[i];
    s = s + bitcast<f32>(p.x);
    bad = bad + p.y;
  }
  ss[li] = s;
  sc[li] = bad;${REDUCE_TREE}
  if (li == 0u) {
    let norm = sqrt(ss[0]);
    st.norm = norm;
    st.clip = ${clip ? `select(1u, 0u, norm < ${c(MAX_NORM)})` : '0u'};
    ${decide}
    ${writeMetrics}
  }
}`,
  };
}

/** The uniform's float `k`, loaded into a local before the loop (`k0` … `k15`). */
const k = (i: number) => `k${i}`;
/** Whether a float32 hyper-parameter is non-zero (as the reference tests it: `Math.fround(x) !== 0`). */
const nz = (x: number) => Math.fround(x) !== 0;

/**
 * The element-wise body of each rule: reads `pj` and `g`, writes the slots and `p[i]`. Options that
 * only switch an operation on or off (weight decay ≠ 0, SGD's first momentum step, nesterov) are
 * compiled in: each variant is its own pipeline, compiled once.
 */
function ruleBody(rule: FusedRule): { slots: string[]; body: string } {
  switch (rule.kind) {
    case 'sgd': {
      // k0 −lr, k1 wd, k2 momentum, k3 1−dampening
      const momentum = rule.momentum !== 0;
      const update = !momentum
        ? ''
        : `let b = ${rule.first ? 'g' : `buf[i] * ${k(2)} + g * ${k(3)}`};
    buf[i] = b;
    d = ${rule.nesterov ? `g + b * ${k(2)}` : 'b'};`;
      return {
        slots: momentum ? ['buf'] : [],
        body: `
    ${nz(rule.weightDecay) ? `g = g + pj * ${k(1)};` : ''}
    var d = g;
    ${update}
    p[i] = pj + d * ${k(0)};`,
      };
    }
    case 'adam': {
      // k0 β₁, k1 β₂, k2 1−β₁, k3 1−β₂, k4 ε, k5 1/bc2Sqrt, k6 −stepSize, k7 wd, k8 lr·wd
      const wd = nz(rule.weightDecay);
      return {
        slots: rule.amsgrad ? ['m', 'v', 'vMax'] : ['m', 'v'],
        body: `
    ${!rule.decoupled && wd ? `g = g + pj * ${k(7)};` : ''}
    let mj = m[i] * ${k(0)} + g * ${k(2)};
    let vj = v[i] * ${k(1)} + (g * g) * ${k(3)};
    m[i] = mj;
    v[i] = vj;
    ${
      rule.amsgrad
        ? `let old = vMax[i];
    let vm = select(max(old, vj), old + vj, isNan(old) | isNan(vj));
    vMax[i] = vm;`
        : 'let vm = vj;'
    }
    let den = sqrt(vm) * ${k(5)} + ${k(4)};
    var s = (mj / den) * ${k(6)};
    ${rule.decoupled && wd ? `s = s - pj * ${k(8)};` : ''}
    p[i] = pj + s;`,
      };
    }
    case 'rmsprop': {
      // k0 α, k1 1−α, k2 ε, k3 wd, k4 momentum, k5 −lr
      const momentum = rule.momentum !== 0;
      return {
        slots: ['sq', ...(rule.centered ? ['ga'] : []), ...(momentum ? ['buf'] : [])],
        body: `
    ${nz(rule.weightDecay) ? `g = g + pj * ${k(3)};` : ''}
    let vj = sq[i] * ${k(0)} + (g * g) * ${k(1)};
    sq[i] = vj;
    ${
      rule.centered
        ? `let a = ga[i] + (g - ga[i]) * ${k(1)};
    ga[i] = a;
    let den = sqrt(vj - a * a) + ${k(2)};`
        : `let den = sqrt(vj) + ${k(2)};`
    }
    ${
      momentum
        ? `let b = buf[i] * ${k(4)} + g / den;
    buf[i] = b;
    p[i] = pj + b * ${k(5)};`
        : `p[i] = pj + (g / den) * ${k(5)};`
    }`,
      };
    }
    case 'lion':
      // k0 β₁, k1 β₂, k2 1−β₁, k3 1−β₂, k4 wd, k5 −lr
      return {
        slots: ['m'],
        body: `
    let mj = m[i];
    let cj = mj * ${k(0)} + g * ${k(2)};
    var d = select(select(T(0.0), T(-1.0), cj < T(0.0)), T(1.0), cj > T(0.0));
    ${nz(rule.weightDecay) ? `d = d + pj * ${k(4)};` : ''}
    m[i] = mj * ${k(1)} + g * ${k(3)};
    p[i] = pj + d * ${k(5)};`,
      };
    case 'adopt': {
      // k0 β₁, k1 β₂, k2 1−β₁, k3 1−β₂, k4 ε, k5 c, k6 −lr, k7 wd. NaN as tfjs-webgpu's maximum and
      // clipByValue keep it (WGSL's max and clamp need not); c = 0 gives zeros (tfjs fills equal bounds).
      const mixed = `mj * ${k(0)} + u * ${k(2)}`;
      return {
        slots: ['m', 'v'],
        body: `
    let old = v[i];
    v[i] = old * ${k(1)} + (g * g) * ${k(3)};
    let root = sqrt(old);
    var u = g / select(max(root, T(${k(4)})), root, isNan(root));
    ${rule.clip === undefined ? '' : rule.clip === 0 ? 'u = T(0.0);' : `u = select(clamp(u, T(-${k(5)}), T(${k(5)})), u, isNan(u));`}
    let mj = m[i] * ${k(0)} + u * ${k(2)};
    m[i] = mj;
    var d = ${rule.nesterov ? mixed : 'mj'};
    ${nz(rule.weightDecay) ? `d = d + pj * ${k(7)};` : ''}
    p[i] = pj + d * ${k(6)};`,
      };
    }
    case 'scheduleFreeAdamW':
      // k0 β₂, k1 1−β₂, k2 bc2, k3 ε, k4 wd, k5 ckp1, k6 adaptiveYLr, k7 lr
      return {
        slots: ['z', 'v'],
        body: `
    let vj = v[i] * ${k(0)} + (g * g) * ${k(1)};
    v[i] = vj;
    var gn = g / (sqrt(vj / ${k(2)}) + ${k(3)});
    ${nz(rule.weightDecay) ? `gn = gn + pj * ${k(4)};` : ''}
    let zj = z[i];
    p[i] = pj + ((zj - pj) * ${k(5)} + gn * ${k(6)});
    z[i] = zj - gn * ${k(7)};`,
      };
  }
}

/** The rule's constants in the uniform's layout (rounded to float32 when written). */
export function ruleConstants(rule: FusedRule): number[] {
  switch (rule.kind) {
    case 'sgd':
      return [-rule.lr, rule.weightDecay, rule.momentum, 1 - rule.dampening];
    case 'adam':
      return [
        rule.beta1,
        rule.beta2,
        1 - rule.beta1,
        1 - rule.beta2,
        rule.epsilon,
        1 / rule.bc2Sqrt,
        -rule.stepSize,
        rule.weightDecay,
        rule.lr * rule.weightDecay,
      ];
    case 'rmsprop':
      return [rule.alpha, 1 - rule.alpha, rule.epsilon, rule.weightDecay, rule.momentum, -rule.lr];
    case 'lion':
      return [rule.beta1, rule.beta2, 1 - rule.beta1, 1 - rule.beta2, rule.weightDecay, -rule.lr];
    case 'adopt':
      return [rule.beta1, rule.beta2, 1 - rule.beta1, 1 - rule.beta2, rule.epsilon, rule.clip ?? 0, -rule.lr, rule.weightDecay];
    case 'scheduleFreeAdamW':
      return [rule.beta2, 1 - rule.beta2, rule.bc2, rule.epsilon, rule.weightDecay, rule.ckp1, rule.adaptiveYLr, rule.lr];
  }
}

/**
 * Per parameter: the rule over a grid-strided share of its elements, in place. With `decided`, it
 * first reads the finalize's step state: nothing is written when the step does not apply, and each
 * gradient element is clipped when the global norm says so. Bindings: the parameter, its gradient,
 * the rule's slots, then the step state (when `decided`), then the uniform.
 */
function buildUpdateShader(rule: FusedRule, decided: boolean, vec: boolean): Shader {
  const { slots, body } = ruleBody(rule);
  const decls = slots.map((s, k) => `@group(0) @binding(${2 + k}) var<storage, read_write> ${s} : array<T>;`);
  let next = 2 + slots.length;
  const stDecl = decided ? `@group(0) @binding(${next++}) var<storage, read> st : StepState;` : '';
  return {
    kinds: ['write', 'read', ...slots.map(() => 'write' as const), ...(decided ? ['read' as const] : []), 'uniform'],
    code: `${header(vec)}
@group(0) @binding(0) var<storage, read_write> p : array<T>;
@group(0) @binding(1) var<storage, read> gr : array<T>;
${decls.join('\n')}
${stDecl}
@group(0) @binding(${next}) var<uniform> h : Hyper;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>) {
  ${decided ? 'if (st.apply == 0u) { return; }' : ''}
  ${Array.from({ length: HYPER_FLOATS }, (_, i) => `let ${k(i)} = ${c(i)};`).join(' ')}
  ${decided ? 'let clip = st.clip != 0u; let norm = st.norm;' : ''}
  let n = arrayLength(&p);
  let stride = nw.x * ${WORKGROUP}u;
  for (var i = ${start(vec)} + gid.x; i < n; i = i + stride) {
    let pj = p[i];
    var g = gr[i];
    ${decided ? `if (clip) { g = (g / norm) * ${k(MAX_NORM)}; }` : ''}${body}
  }
}`,
  };
}

/**
 * The shaders by variant, built once (a step asks for its shaders every step). The text depends only
 * on a rule's kind, its flags and which of its hyper-parameters are zero, whose values travel in the
 * uniform; `variantOf` is that key.
 */
const shaders = new Map<string, Shader>();
const memo = (key: string, build: () => Shader): Shader => {
  let shader = shaders.get(key);
  if (!shader) {
    shader = build();
    shaders.set(key, shader);
  }
  return shader;
};
const zeroness = (v: unknown) => (typeof v !== 'number' ? String(v) : v === 0 ? '0' : Math.fround(v) === 0 ? 'tiny' : 'x');
const variantOf = (rule: FusedRule) =>
  Object.entries(rule)
    .map(([k, v]) => `${k}=${zeroness(v)}`)
    .join(',');

/** The reduction dispatches' shader (see `buildReduceShader`). */
export const reduceShader = (vec: boolean): Shader => memo(`reduce:${vec}`, () => buildReduceShader(vec));

/** The finalize dispatch's shader (see `buildFinalizeShader`). */
export const finalizeShader = (clip: boolean, guard: boolean, metrics: boolean): Shader =>
  memo(`finalize:${clip}:${guard}:${metrics}`, () => buildFinalizeShader(clip, guard, metrics));

/** The update shader of `rule`'s variant (see `buildUpdateShader`). */
export const updateShader = (rule: FusedRule, decided: boolean, vec: boolean): Shader =>
  memo(`update:${variantOf(rule)}:${decided}:${vec}`, () => buildUpdateShader(rule, decided, vec));
