// Helpers for this package's tests (not exported from index.ts).
import { HyperParameterError, type Schedule } from '@gradkit/core';
import { expect } from 'vitest';

/** Asserts `|actual − expected| ≤ atol + rtol·|expected|` for every step, naming the first step that is off. */
export function expectValues(actual: readonly number[], expected: readonly number[], { rtol = 1e-12, atol = 0 } = {}): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, t) => {
    const e = expected[t] as number;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) expect.fail(`step ${t}: got ${a}, expected ${e} (difference ${a - e})`);
  });
}

/** The values of `schedule` at steps 0 … n − 1. */
export const valuesOf = (schedule: Schedule, n: number): number[] => Array.from({ length: n }, (_, t) => schedule(t));

/** Asserts that `f` throws a HyperParameterError whose `field` is `field` (and whose message matches `message`). */
export function expectHyperError(f: () => unknown, field: string, message?: RegExp): void {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error, `expected a HyperParameterError naming '${field}'`).toBeInstanceOf(HyperParameterError);
  expect((error as HyperParameterError).field).toBe(field);
  if (message) expect((error as Error).message).toMatch(message);
}

/** The context PyTorch's `get_lr` sees: `last_epoch`, the group's current `lr`, and `_is_initial`. */
export interface TorchLrContext {
  /** `self.last_epoch`. */
  readonly lastEpoch: number;
  /** `group['lr']` before this call. */
  readonly lr: number;
  /** `self._is_initial` (true during the constructor's `_initial_step`). */
  readonly isInitial: boolean;
}

/**
 * torch/optim/lr_scheduler.py, `LRScheduler.__init__` → `_initial_step()` → `step()` → `_update_lr`:
 * the constructor sets `last_epoch = 0` and calls `get_lr()` (with `_is_initial`), and every
 * `scheduler.step()` after `optimizer.step()` does `last_epoch += 1; lr = get_lr()`. So optimizer
 * step t runs with the lr after t scheduler steps. Returns the lrs of optimizer steps 0 … n − 1.
 */
export function torchLrs(baseLr: number, getLr: (c: TorchLrContext) => number, n: number): number[] {
  let lr = getLr({ lastEpoch: 0, lr: baseLr, isInitial: true });
  const out = [lr];
  for (let lastEpoch = 1; lastEpoch < n; lastEpoch++) {
    lr = getLr({ lastEpoch, lr, isInitial: false });
    out.push(lr);
  }
  return out;
}
