// The "hostile user" harness: bad inputs thrown at the public API, each of which must get a typed
// GradkitError naming the field or path, before anything changed. Each test records its outcome in
// its metadata, and the summary reporter prints the counts per backend.
import { flatten, GradkitError, type ParamTree } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { it, type TestContext } from 'vitest';
import { AssertionError } from './expect-close.js';
import type { GradkitTaskMeta } from './state.js';

/**
 * How a bad input was met: a typed error naming it with nothing changed (the goal); a typed error
 * that names something else (`misnamed`) or after a watched value changed (`changed`); a raw error;
 * or nothing (silent).
 *
 * @example `'typed'`
 */
export type HostileOutcome = 'typed' | 'misnamed' | 'changed' | 'raw' | 'silent';

/** What `HostileContext.watch` needs of an optimizer (gradkit's `Optimizer`, from source or from a build). @example `opt` */
export interface WatchedOptimizer {
  readonly params: unknown;
  saveState(): Promise<unknown>;
}

/** What a hostile case may watch: tensors and optimizers whose values must not change when it fails. @example `ctx.watch(opt, params.w)` */
export interface HostileContext {
  /** Records the current bytes of tensors (and the saved state and parameters of optimizers), compared after the call. */
  watch(...things: (tf.Tensor | WatchedOptimizer)[]): Promise<void>;
}

/** One bad input. @example `{ input: 'adam({ lr: 0.5 })', names: 'lr', run: () => adam({ lr: 0.5 } as never) }` */
export interface HostileCase {
  /** What the user wrote, as they would write it. */
  readonly input: string;
  /** The field or tree path the error must name (its `field`, `path` or `what`, or else in its message). */
  readonly names: string;
  /** Builds what it needs, `watch`es what must not change, then makes the bad call (sync or async). */
  readonly run: (ctx: HostileContext) => unknown;
}

type Snapshot = () => Promise<string>;

async function bytesOf(t: tf.Tensor): Promise<string> {
  if (t.isDisposed) return 'disposed';
  const data = await t.data();
  return `${t.dtype}[${t.shape.join(',')}]:${Buffer.from(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).toString('base64')}`;
}

async function snapshotOf(thing: tf.Tensor | WatchedOptimizer): Promise<Snapshot> {
  if (thing instanceof tf.Tensor) return () => bytesOf(thing);
  const opt = thing;
  return async () => {
    const params = await Promise.all(flatten(opt.params as ParamTree).map((e) => bytesOf(e.value)));
    return JSON.stringify({ state: await opt.saveState(), params });
  };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether a message names `name` as a word of its own (not inside another word or path), quoted or not. */
function mentions(message: string, name: string): boolean {
  return new RegExp(`(^|[^\\w.])${escapeRegExp(name)}($|[^\\w])`).test(message);
}

/** The name a GradkitError carries: `field`, `path` or `what`, whichever it has. */
function namedBy(e: GradkitError): string | undefined {
  const x = e as GradkitError & { field?: string; path?: string; what?: string };
  return x.field ?? x.path ?? x.what;
}

/**
 * Runs one hostile case and classifies the outcome. Throws an AssertionError (the test fails) unless
 * the call threw a GradkitError that names `names` (in its field/path or its message) and every
 * watched tensor and optimizer is bit-identical afterwards.
 *
 * @example
 * ```ts
 * await expectTypedRejection({ input: 'sgd({ momentun: 0.9 })', names: 'momentun', run: () => sgd({ learningRate: 0.1, momentun: 0.9 } as never) });
 * ```
 */
export async function expectTypedRejection(c: HostileCase): Promise<HostileOutcome> {
  const watched: { before: string; read: Snapshot }[] = [];
  const ctx: HostileContext = {
    async watch(...things) {
      for (const t of things) {
        const read = await snapshotOf(t);
        watched.push({ before: await read(), read });
      }
    },
  };
  let error: unknown;
  let threw = false;
  try {
    await c.run(ctx);
  } catch (e) {
    threw = true;
    error = e;
  }
  if (!threw) throw Object.assign(new AssertionError(`${c.input}: accepted silently (expected a GradkitError naming '${c.names}')`), { outcome: 'silent' });
  if (!(error instanceof GradkitError))
    throw Object.assign(new AssertionError(`${c.input}: raw ${(error as Error)?.name ?? typeof error}: ${(error as Error)?.message ?? String(error)}`), {
      outcome: 'raw',
    });
  const named = namedBy(error);
  if (named !== c.names && !mentions(error.message, c.names))
    throw Object.assign(new AssertionError(`${c.input}: ${error.name} names '${named}', and its message does not mention '${c.names}': ${error.message}`), {
      outcome: 'misnamed',
    });
  for (const w of watched) {
    const after = await w.read();
    if (after !== w.before)
      throw Object.assign(new AssertionError(`${c.input}: threw ${error.name}, but a watched tensor or optimizer changed`), { outcome: 'changed' });
  }
  return 'typed';
}

/**
 * Declares one vitest test per hostile case (in the current `describe`), each recording its outcome
 * for the summary reporter ("hostile inputs: N tried, N typed, N misnamed, N changed, N raw, N silent").
 *
 * @example
 * ```ts
 * describe('optimizers, hostile', () => hostileCases([{ input: 'adam({ lr: 0.5 })', names: 'lr', run: () => adam({ lr: 0.5 } as never) }]));
 * ```
 */
export function hostileCases(cases: readonly HostileCase[]): void {
  for (const c of cases) {
    it(`rejects ${c.input}`, async (context: TestContext) => {
      const meta = context.task.meta as GradkitTaskMeta;
      try {
        meta.gradkitHostile = await expectTypedRejection(c);
      } catch (e) {
        meta.gradkitHostile = ((e as { outcome?: HostileOutcome }).outcome ?? 'raw') as HostileOutcome;
        throw e;
      }
    });
  }
}
