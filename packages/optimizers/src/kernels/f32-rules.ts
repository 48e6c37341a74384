// The rules of plan.ts in JavaScript, rounded to float32 after every operation in the reference
// path's order: bit for bit what the wasm modules compute. Their oracle in tests, and the steps'
// JavaScript fallback where the modules cannot run.
import type { AdamRule, AdoptRule, FusedRule, LionRule, RmspropRule, ScheduleFreeAdamWRule, SgdRule } from './plan.js';

const f = Math.fround;

/** The global-norm clip applied to each gradient element, or none. */
export interface Clip {
  /** ‖g‖ over every gradient, float32. */
  readonly norm: number;
  /** clipByGlobalNorm's threshold, float32. */
  readonly maxNorm: number;
}

/** `g`, clipped (by the global norm, when `c` is given): float32 `(g / norm) · maxNorm` as the reference's div then mul. */
const clipped = (g: number, c: Clip | undefined) => (c ? f(f(g / c.norm) * c.maxNorm) : g);

/** AMSGrad's running maximum as tfjs-wasm computes it (and the modules by default): a NaN v keeps the maximum. */
// biome-ignore lint/complexity/useMathMinMax: Math.max would return NaN
const keepOnNaN = (a: number, b: number) => (a < b ? b : a);

/** SGD, every operation rounded to float32 (bit-identical to the reference path). */
function sgdF32(r: SgdRule, p: Float32Array, grad: Float32Array, [buf]: Float32Array[], c: Clip | undefined): void {
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

function adam(r: AdamRule, p: Float32Array, grad: Float32Array, [m, v, vMax]: Float32Array[], c: Clip | undefined, max: Maximum): void {
  const [b1, b2, ob1, ob2] = [f(r.beta1), f(r.beta2), f(1 - r.beta1), f(1 - r.beta2)];
  const [eps, ibc2, negStep, wd, lrWd] = [f(r.epsilon), f(1 / r.bc2Sqrt), f(-r.stepSize), f(r.weightDecay), f(r.lr * r.weightDecay)];
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
      vm = max(vMax[j] as number, vj);
      vMax[j] = vm;
    }
    const den = f(f(f(Math.sqrt(vm)) * ibc2) + eps);
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

/**
 * ADOPT's `clipByValue(u, −c, c)` as tfjs computes it: all zeros when c = 0 (tfjs fills when the
 * bounds are equal, NaN included); otherwise NaN stays NaN on tfjs-cpu (`nanWins`) and becomes −c on
 * tfjs-wasm (XNNPACK's clamp).
 */
export function clipLikeTfjs(u: number, limit: number, nanWins: boolean): number {
  if (limit === 0) return 0;
  if (nanWins) return Math.min(Math.max(u, -limit), limit);
  // biome-ignore lint/complexity/useMathMinMax: Math.max would keep the NaN
  const low = -limit < u ? u : -limit;
  return Math.min(low, limit);
}

function adopt(r: AdoptRule, p: Float32Array, grad: Float32Array, [m, v]: Float32Array[], c: Clip | undefined, max: Maximum): void {
  const [b1, b2, ob1, ob2, eps, negLr, wd] = [f(r.beta1), f(r.beta2), f(1 - r.beta1), f(1 - r.beta2), f(r.epsilon), f(-r.lr), f(r.weightDecay)];
  const limit = r.clip === undefined ? undefined : f(r.clip);
  if (!m || !v) throw new Error('adopt needs the mu and nu slots');
  for (let j = 0; j < p.length; j++) {
    const pj = p[j] as number;
    const g = clipped(grad[j] as number, c);
    const old = v[j] as number;
    v[j] = f(f(old * b2) + f(f(g * g) * ob2));
    let u = f(g / Math.max(f(Math.sqrt(old)), eps));
    if (limit !== undefined) u = clipLikeTfjs(u, limit, max === Math.max);
    const mj = f(f((m[j] as number) * b1) + f(u * ob1));
    m[j] = mj;
    let d = r.nesterov ? f(f(mj * b1) + f(u * ob1)) : mj;
    if (wd !== 0) d = f(d + f(pj * wd));
    p[j] = pj + f(d * negLr);
  }
}

function scheduleFreeAdamW(r: ScheduleFreeAdamWRule, p: Float32Array, grad: Float32Array, [z, v]: Float32Array[], c: Clip | undefined): void {
  const [b2, ob2, bc2, eps, wd, ckp1, yLr, lr] = [f(r.beta2), f(1 - r.beta2), f(r.bc2), f(r.epsilon), f(r.weightDecay), f(r.ckp1), f(r.adaptiveYLr), f(r.lr)];
  if (!z || !v) throw new Error('scheduleFreeAdamW needs the z and nu slots');
  for (let j = 0; j < p.length; j++) {
    const y = p[j] as number;
    const g = clipped(grad[j] as number, c);
    const vj = f(f((v[j] as number) * b2) + f(f(g * g) * ob2));
    v[j] = vj;
    let gn = f(g / f(f(Math.sqrt(f(vj / bc2))) + eps));
    if (wd !== 0) gn = f(gn + f(y * wd));
    const zj = z[j] as number;
    p[j] = f(y + f(f(f(zj - y) * ckp1) + f(gn * yLr)));
    z[j] = f(zj - f(gn * lr));
  }
}

/** AMSGrad's maximum: `Math.max` (tfjs-cpu: NaN wins) or `keepOnNaN` (tfjs-wasm); it also picks ADOPT's clip of NaN (`clipLikeTfjs`). */
type Maximum = (a: number, b: number) => number;

type Rule = (r: FusedRule, p: Float32Array, g: Float32Array, slots: Float32Array[], c: Clip | undefined, max: Maximum) => void;
const RULES = { sgd: sgdF32, adam, rmsprop, lion, adopt, scheduleFreeAdamW } as unknown as Readonly<Record<FusedRule['kind'], Rule>>;

/**
 * Applies `rule` to one parameter in place, every operation rounded to float32 (see the file's head).
 * `max` is AMSGrad's maximum: the default keeps the running maximum where v is NaN, as tfjs-wasm's
 * `tf.maximum` and the modules do; pass `Math.max` for tfjs-cpu's (which also keeps a NaN through
 * ADOPT's clip, where tfjs-wasm's gives −c).
 */
export function applyRuleF32(rule: FusedRule, p: Float32Array, g: Float32Array, slots: Float32Array[], clip: Clip | undefined, max: Maximum = keepOnNaN): void {
  RULES[rule.kind](rule, p, g, slots, clip, max);
}
