// The rules of plan.ts rounded to float32 after every operation, in the reference path's order: bit
// for bit what the wasm modules compute (their oracle in tests, and the wasm step's JavaScript
// fallback while the modules cannot be instantiated). cpu/rules.ts is the faster float64-per-element
// variant that the cpu backend runs.
import { type Clip, clipped } from './cpu/rules.js';
import type { AdamRule, FusedRule, LionRule, RmspropRule, SgdRule } from './plan.js';

const f = Math.fround;

/** SGD, every operation rounded to float32 (the cpu backend runs this one too: it is bit-identical to the reference). */
export function sgdF32(r: SgdRule, p: Float32Array, grad: Float32Array, [buf]: Float32Array[], c: Clip | undefined): void {
  const negLr = f(-r.lr);
  const wd = f(r.weightDecay);
  const mom = f(r.momentum);
  const keep = f(1 - r.dampening);
  for (let j = 0; j < p.length; j++) {
    const pj = p[j] as number;
    let g = clipped(grad[j] as number, c);
    if (wd !== 0) g = f(g + f(pj * wd));
    let d = g;
    if (buf) {
      const b = r.first ? g : f(f((buf[j] as number) * mom) + f(g * keep));
      buf[j] = b;
      d = r.nesterov ? f(g + f(b * mom)) : b;
    }
    p[j] = pj + f(d * negLr);
  }
}

function adam(r: AdamRule, p: Float32Array, grad: Float32Array, [m, v, vMax]: Float32Array[], c: Clip | undefined): void {
  const [b1, b2, ob1, ob2] = [f(r.beta1), f(r.beta2), f(1 - r.beta1), f(1 - r.beta2)];
  const [eps, bc2, negStep, wd, lrWd] = [f(r.epsilon), f(r.bc2Sqrt), f(-r.stepSize), f(r.weightDecay), f(r.lr * r.weightDecay)];
  const l2 = !r.decoupled && wd !== 0;
  const decoupled = r.decoupled && wd !== 0;
  if (!m || !v) throw new Error('adam needs the mu and nu slots');
  for (let j = 0; j < p.length; j++) {
    const pj = p[j] as number;
    let g = clipped(grad[j] as number, c);
    if (l2) g = f(g + f(pj * wd));
    const mj = f(f((m[j] as number) * b1) + f(g * ob1));
    const vj = f(f((v[j] as number) * b2) + f(f(g * g) * ob2));
    m[j] = mj;
    v[j] = vj;
    let vm = vj;
    if (vMax) {
      // as tfjs-wasm's maximum (not Math.max): a NaN v keeps the running maximum
      // biome-ignore lint/complexity/useMathMinMax: Math.max would return NaN
      vm = (vMax[j] as number) < vj ? vj : (vMax[j] as number);
      vMax[j] = vm;
    }
    const den = f(f(f(Math.sqrt(vm)) / bc2) + eps);
    let s = f(f(mj / den) * negStep);
    if (decoupled) s = f(s - f(pj * lrWd));
    p[j] = pj + s;
  }
}

function rmsprop(r: RmspropRule, p: Float32Array, grad: Float32Array, slots: Float32Array[], c: Clip | undefined): void {
  const [sq, ...rest] = slots;
  const ga = r.centered ? rest[0] : undefined;
  const buf = r.momentum !== 0 ? rest[r.centered ? 1 : 0] : undefined;
  const [alpha, oa, eps, wd, mom, negLr] = [f(r.alpha), f(1 - r.alpha), f(r.epsilon), f(r.weightDecay), f(r.momentum), f(-r.lr)];
  if (!sq) throw new Error('rmsprop needs the squareAvg slot');
  for (let j = 0; j < p.length; j++) {
    const pj = p[j] as number;
    let g = clipped(grad[j] as number, c);
    if (wd !== 0) g = f(g + f(pj * wd));
    const vj = f(f((sq[j] as number) * alpha) + f(f(g * g) * oa));
    sq[j] = vj;
    let den: number;
    if (ga) {
      const a = f((ga[j] as number) + f(f(g - (ga[j] as number)) * oa));
      ga[j] = a;
      den = f(f(Math.sqrt(f(vj - f(a * a)))) + eps);
    } else den = f(f(Math.sqrt(vj)) + eps);
    let u: number;
    if (buf) {
      const b = f(f((buf[j] as number) * mom) + f(g / den));
      buf[j] = b;
      u = f(b * negLr);
    } else u = f(f(g / den) * negLr);
    p[j] = pj + u;
  }
}

function lion(r: LionRule, p: Float32Array, grad: Float32Array, [m]: Float32Array[], c: Clip | undefined): void {
  const [b1, b2, ob1, ob2, wd, negLr] = [f(r.beta1), f(r.beta2), f(1 - r.beta1), f(1 - r.beta2), f(r.weightDecay), f(-r.lr)];
  if (!m) throw new Error('lion needs the mu slot');
  for (let j = 0; j < p.length; j++) {
    const pj = p[j] as number;
    const g = clipped(grad[j] as number, c);
    const mj = m[j] as number;
    const cj = f(f(mj * b1) + f(g * ob1));
    let d = cj > 0 ? 1 : cj < 0 ? -1 : 0;
    if (wd !== 0) d = f(d + f(pj * wd));
    m[j] = f(f(mj * b2) + f(g * ob2));
    p[j] = pj + f(d * negLr);
  }
}

const RULES = { sgd: sgdF32, adam, rmsprop, lion } as const;

/** Applies `rule` to one parameter in place, every operation rounded to float32 (see the file's head). */
export function applyRuleF32(rule: FusedRule, p: Float32Array, g: Float32Array, slots: Float32Array[], clip: Clip | undefined): void {
  (RULES[rule.kind] as (r: FusedRule, ...rest: [Float32Array, Float32Array, Float32Array[], Clip | undefined]) => void)(rule, p, g, slots, clip);
}
