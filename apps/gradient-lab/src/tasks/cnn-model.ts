// The deep conv nets of the `cnn` task: a plain stack of 3×3 convolutions, the same with BatchNorm, and
// the same with residual blocks (He et al. 2016, "Deep Residual Learning for Image Recognition").
import type { Module } from '@gradkit/core';
import { heNormal } from '@gradkit/initializers';
import { act, avgPool2d, conv2d, dense, globalAvgPool2d, residual, sequential } from '@gradkit/nn';
import { BatchNorm } from '@gradkit/normalization';

/** The three nets of the `cnn` task. */
export const CNN_VARIANTS = ['plain', 'batchnorm', 'residual'] as const;

/** One of `CNN_VARIANTS`. */
export type CnnVariant = (typeof CNN_VARIANTS)[number];

/** Sizes of a `cnn` net. */
export interface CnnSizes {
  /** Weight layers, as He et al. count them: the stem convolution, `depth − 2` body convolutions, the dense head (even, ≥ 4). */
  readonly depth: number;
  /** Channels of every convolution. */
  readonly channels: number;
  /** Seed of the first layer (the others follow). */
  readonly seed: number;
}

/**
 * A deep conv net for 28×28×1 images, NHWC, 10 logits:
 * avgPool2d 2×2 (to 14×14) → conv 3×3 stride 2 (1 → C, to 7×7) → ReLU → body → globalAvgPool2d → dense (C → 10).
 * The body has `depth − 2` convolutions 3×3 (C → C, 'same', 7×7), in pairs:
 * - `plain`: conv → ReLU, conv → ReLU (He et al.'s "plain" net);
 * - `batchnorm`: conv → BatchNorm → ReLU, conv → BatchNorm → ReLU (Ioffe & Szegedy 2015; the convolutions
 *   have no bias, which BatchNorm's shift replaces);
 * - `residual`: ReLU(x + BN(conv(ReLU(BN(conv(x)))))), He et al. 2016's basic block (their Fig. 2).
 * Every convolution starts from `heNormal` (He et al. 2015), zero biases; BatchNorm normalizes each
 * channel (the last axis) over batch, height and width, as PyTorch's `nn.BatchNorm2d`. Each module
 * taps its output under its index (`'3.conv2d'`, `'4.relu'`, `'5.residual'` …), so `withTaps` gives
 * ‖∂L/∂h‖ at every depth.
 *
 * @example
 * ```ts
 * const net = buildCnn('residual', { depth: 20, channels: 8, seed: 1 });
 * const logits = net.apply(images); // images: [batch, 28, 28, 1] → [batch, 10]
 * ```
 */
export function buildCnn(variant: CnnVariant, sizes: CnnSizes): Module {
  const { channels: c, seed } = sizes;
  const pairs = Math.max(1, Math.floor((sizes.depth - 2) / 2));
  let next = seed * 1000;
  const conv = (inChannels: number, bias: boolean, stride = 1) =>
    conv2d({ inChannels, outChannels: c, kernelSize: 3, stride, padding: 'same', useBias: bias, kernelInitializer: heNormal({ seed: ++next }) });
  const bn = () => new BatchNorm({ features: c });
  const withBn = variant !== 'plain';
  const unit = (): Module[] => (withBn ? [conv(c, false), bn(), act('relu')] : [conv(c, true), act('relu')]);
  const modules: Module[] = [avgPool2d({ kernelSize: 2 }), ...(withBn ? [conv(1, false, 2), bn()] : [conv(1, true, 2)]), act('relu')];
  for (let i = 0; i < pairs; i++) {
    if (variant === 'residual') modules.push(residual(sequential(conv(c, false), bn(), act('relu'), conv(c, false), bn())), act('relu'));
    else modules.push(...unit(), ...unit());
  }
  modules.push(globalAvgPool2d(), dense({ inFeatures: c, outFeatures: 10, seed: ++next }));
  return sequential(...modules);
}
