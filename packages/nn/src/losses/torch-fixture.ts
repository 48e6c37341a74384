// Test scaffolding (not part of the package's surface): PyTorch's numbers for the losses, from
// packages/nn/fixtures/losses.py (torch 1.13, torch.nn.functional in float64 on inputs rounded to
// float32, gradients by autograd of Σ upstream ⊙ loss), stored in packages/nn/fixtures/losses.json.
import { readFileSync } from 'node:fs';
import type { Reduction } from './check.js';

type Nested = number | Nested[];

/** Fields every case has: the reduction, the loss, and the upstream weights whose weighted sum was differentiated. */
interface Common {
  readonly name: string;
  readonly reduction: Reduction;
  readonly loss: Nested;
  readonly upstream: Nested;
}

/** A `F.cross_entropy` case; `gradLabels` only for float (probability) labels. */
export interface CrossEntropyCase extends Common {
  readonly logits: number[][];
  readonly labels: Nested;
  readonly labelSmoothing: number;
  readonly gradLogits: Nested;
  readonly gradLabels?: Nested;
}

/** A `F.binary_cross_entropy_with_logits` case. */
export interface BinaryCrossEntropyCase extends Common {
  readonly logits: number[][];
  readonly targets: number[][];
  readonly posWeight: Nested | null;
  readonly gradLogits: Nested;
  readonly gradTargets: Nested;
}

/** A `F.mse_loss` case. */
export interface MeanSquaredErrorCase extends Common {
  readonly pred: number[][];
  readonly target: number[][];
  readonly gradPred: Nested;
  readonly gradTarget: Nested;
}

/** The loss cases of losses.json. */
export const torchCases = JSON.parse(readFileSync(new URL('../../fixtures/losses.json', import.meta.url), 'utf8')) as {
  readonly crossEntropy: CrossEntropyCase[];
  readonly binaryCrossEntropy: BinaryCrossEntropyCase[];
  readonly meanSquaredError: MeanSquaredErrorCase[];
};
