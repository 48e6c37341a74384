// WGSL of the fused step: per-gradient partial reductions, one finalize, per-parameter updates.
// The element-wise rules follow plan.ts in its op order (WGSL may contract a·b + c to an FMA).
import type { FusedRule } from '../plan.js';
import type { BindingKind } from './gpu.js';

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
  readonly kinds: readonly BindingKind[];
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
export function reduceShader(vec: boolean): Shader {
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
 * as 32-bit integers on webgpu) and the clip (`norm < maxNorm` keeps g, else `(g / norm) · maxNorm`).
 * Bindings: all partials, the step state, the uniform, then with a guard its three scalars.
 */
export function finalizeShader(clip: boolean, guard: boolean): Shader {
  const guardDecl = guard
    ? `@group(0) @binding(3) var<storage, read_write> notfiniteCount : array<i32>;
@group(0) @binding(4) var<storage, read_write> totalNotfinite : array<i32>;
@group(0) @binding(5) var<storage, read_write> lastFinite : array<i32>;`
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
    kinds: ['read', 'write', 'uniform', ...((guard ? ['write', 'write', 'write'] : []) as BindingKind[])],
    code: `${header(false)}
@group(0) @binding(0) var<storage, read> partials : array<vec2<u32>>;
@group(0) @binding(1) var<storage, read_write> st : StepState;
@group(0) @binding(2) var<uniform> h : Hyper;
${guardDecl}
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
  }
}`,
  };
}

/** The element-wise body of each rule: reads `pj` and `g`, writes the slots and `p[i]`. */
function ruleBody(rule: FusedRule): { slots: string[]; body: string } {
  switch (rule.kind) {
    case 'sgd': {
      // c0 −lr, c1 wd, c2 momentum, c3 1−dampening, c4 first, c5 nesterov
      const momentum = rule.momentum !== 0;
      return {
        slots: momentum ? ['buf'] : [],
        body: `
    if (${c(1)} != 0.0) { g = g + pj * ${c(1)}; }
    var d = g;
    ${
      momentum
        ? `var b = g;
    if (${c(4)} == 0.0) { b = buf[i] * ${c(2)} + g * ${c(3)}; }
    buf[i] = b;
    d = b;
    if (${c(5)} != 0.0) { d = g + b * ${c(2)}; }`
        : ''
    }
    p[i] = pj + d * ${c(0)};`,
      };
    }
    case 'adam':
      // c0 β₁, c1 β₂, c2 1−β₁, c3 1−β₂, c4 ε, c5 bc2Sqrt, c6 −stepSize, c7 wd, c8 lr·wd, c9 L2, c10 decoupled
      return {
        slots: rule.amsgrad ? ['m', 'v', 'vMax'] : ['m', 'v'],
        body: `
    if (${c(9)} != 0.0) { g = g + pj * ${c(7)}; }
    let mj = m[i] * ${c(0)} + g * ${c(2)};
    let vj = v[i] * ${c(1)} + (g * g) * ${c(3)};
    m[i] = mj;
    v[i] = vj;
    ${
      rule.amsgrad
        ? `let old = vMax[i];
    let vm = select(max(old, vj), old + vj, isNan(old) | isNan(vj));
    vMax[i] = vm;`
        : 'let vm = vj;'
    }
    let den = sqrt(vm) / ${c(5)} + ${c(4)};
    var s = (mj / den) * ${c(6)};
    if (${c(10)} != 0.0) { s = s - pj * ${c(8)}; }
    p[i] = pj + s;`,
      };
    case 'rmsprop': {
      // c0 α, c1 1−α, c2 ε, c3 wd, c4 momentum, c5 −lr
      const momentum = rule.momentum !== 0;
      return {
        slots: ['sq', ...(rule.centered ? ['ga'] : []), ...(momentum ? ['buf'] : [])],
        body: `
    if (${c(3)} != 0.0) { g = g + pj * ${c(3)}; }
    let vj = sq[i] * ${c(0)} + (g * g) * ${c(1)};
    sq[i] = vj;
    ${
      rule.centered
        ? `let a = ga[i] + (g - ga[i]) * ${c(1)};
    ga[i] = a;
    let den = sqrt(vj - a * a) + ${c(2)};`
        : `let den = sqrt(vj) + ${c(2)};`
    }
    ${
      momentum
        ? `let b = buf[i] * ${c(4)} + g / den;
    buf[i] = b;
    p[i] = pj + b * ${c(5)};`
        : `p[i] = pj + (g / den) * ${c(5)};`
    }`,
      };
    }
    case 'lion':
      // c0 β₁, c1 β₂, c2 1−β₁, c3 1−β₂, c4 wd, c5 −lr
      return {
        slots: ['m'],
        body: `
    let mj = m[i];
    let cj = mj * ${c(0)} + g * ${c(2)};
    var d = select(select(T(0.0), T(-1.0), cj < T(0.0)), T(1.0), cj > T(0.0));
    if (${c(4)} != 0.0) { d = d + pj * ${c(4)}; }
    m[i] = mj * ${c(1)} + g * ${c(3)};
    p[i] = pj + d * ${c(5)};`,
      };
  }
}

/** The rule's constants in the uniform's layout (rounded to float32 when written). */
export function ruleConstants(rule: FusedRule): number[] {
  switch (rule.kind) {
    case 'sgd':
      return [-rule.lr, rule.weightDecay, rule.momentum, 1 - rule.dampening, rule.first ? 1 : 0, rule.nesterov ? 1 : 0];
    case 'adam': {
      const wd = Math.fround(rule.weightDecay);
      return [
        rule.beta1,
        rule.beta2,
        1 - rule.beta1,
        1 - rule.beta2,
        rule.epsilon,
        rule.bc2Sqrt,
        -rule.stepSize,
        rule.weightDecay,
        rule.lr * rule.weightDecay,
        !rule.decoupled && wd !== 0 ? 1 : 0,
        rule.decoupled && wd !== 0 ? 1 : 0,
      ];
    }
    case 'rmsprop':
      return [rule.alpha, 1 - rule.alpha, rule.epsilon, rule.weightDecay, rule.momentum, -rule.lr];
    case 'lion':
      return [rule.beta1, rule.beta2, 1 - rule.beta1, 1 - rule.beta2, rule.weightDecay, -rule.lr];
  }
}

/**
 * Per parameter: the rule over a grid-strided share of its elements, in place. With `decided`, it
 * first reads the finalize's step state: nothing is written when the step does not apply, and each
 * gradient element is clipped when the global norm says so. Bindings: the parameter, its gradient,
 * the rule's slots, then the step state (when `decided`), then the uniform.
 */
export function updateShader(rule: FusedRule, decided: boolean, vec: boolean): Shader {
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
  let n = arrayLength(&p);
  let stride = nw.x * ${WORKGROUP}u;
  for (var i = ${start(vec)} + gid.x; i < n; i = i + stride) {
    let pj = p[i];
    var g = gr[i];
    ${decided ? `if (st.clip != 0u) { g = (g / st.norm) * ${c(MAX_NORM)}; }` : ''}${body}
  }
}`,
  };
}

/** A key naming the update shader variant (its slots, whether it reads the step state, vec4 or scalar). */
export function updateKey(rule: FusedRule, decided: boolean, vec: boolean): string {
  const flags =
    rule.kind === 'sgd' ? [rule.momentum !== 0] : rule.kind === 'adam' ? [rule.amsgrad] : rule.kind === 'rmsprop' ? [rule.centered, rule.momentum !== 0] : [];
  return `${rule.kind}:${flags.map(Number).join('')}:${decided ? 'd' : ''}:${vec ? 'v' : 's'}`;
}
