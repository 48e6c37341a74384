// Helpers for this package's tests (not exported from index.ts).
import { type GradkitError, HyperParameterError, type Schedule } from '@gradkit/core';
import { expect } from 'vitest';
import type { ReduceOnPlateauOptions } from './reduce-on-plateau.js';

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

/** Asserts that `f` throws an error of `type` naming `name` (its `field` or `what`), whose message matches `message`. */
export function expectError(f: () => unknown, type: abstract new (...args: never[]) => GradkitError, name: string, message?: RegExp): void {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error, `expected a ${type.name} naming '${name}'`).toBeInstanceOf(type);
  const named = error as { field?: string; what?: string };
  expect(named.field ?? named.what).toBe(name);
  if (message) expect((error as Error).message).toMatch(message);
}

/** Asserts that `f` throws a HyperParameterError whose `field` is `field` (and whose message matches `message`). */
export const expectHyperError = (f: () => unknown, field: string, message?: RegExp): void => expectError(f, HyperParameterError, field, message);

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

/**
 * Independent reference: torch/optim/lr_scheduler.py, ReduceLROnPlateau (`__init__`, `_reset`,
 * `_init_is_better`, `step`, `_reduce_lr`, `in_cooldown`, `_is_better`) transcribed literally in
 * float64, for one parameter group with lr = 1 (so the lr is the scale), min_lr = minScale and
 * PyTorch's default eps = 1e-8. Returns the lr after each `scheduler.step(loss)`.
 */
export function torchReduceLROnPlateau(options: ReduceOnPlateauOptions, metrics: readonly number[]): number[] {
  const { mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = 'rel', cooldown = 0, minScale = 0 } = options;
  const eps = 1e-8;
  const modeWorse = mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  let best = modeWorse;
  let cooldownCounter = 0;
  let numBadEpochs = 0;
  let lr = 1;
  const isBetter = (a: number, b: number) => {
    if (mode === 'min' && thresholdMode === 'rel') return a < b * (1.0 - threshold);
    if (mode === 'min' && thresholdMode === 'abs') return a < b - threshold;
    if (mode === 'max' && thresholdMode === 'rel') return a > b * (threshold + 1.0);
    return a > b + threshold;
  };
  return metrics.map((current) => {
    if (isBetter(current, best)) {
      best = current;
      numBadEpochs = 0;
    } else numBadEpochs += 1;
    if (cooldownCounter > 0) {
      cooldownCounter -= 1;
      numBadEpochs = 0; // ignore any bad epochs in cooldown
    }
    if (numBadEpochs > patience) {
      const oldLr = lr;
      const newLr = Math.max(oldLr * factor, minScale);
      if (oldLr - newLr > eps) lr = newLr;
      cooldownCounter = cooldown;
      numBadEpochs = 0;
    }
    return lr;
  });
}
