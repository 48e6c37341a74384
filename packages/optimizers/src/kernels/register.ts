import { type FusedKernelConfig, registerFusedKernel } from '@gradkit/core';
import type { ResolvedSgdOptions } from '../sgd.js';
import { sgdCpu } from './cpu/sgd.js';
import { sgdWasm } from './wasm/sgd.js';
import { sgdWebGpu } from './webgpu/sgd.js';

/** Plain SGD (no momentum; weight decay allowed) is fused; momentum runs on the reference path for now. */
const plainSgd = (options: readonly object[]) => (options[0] as ResolvedSgdOptions).momentum === 0;

const kernels: FusedKernelConfig[] = [
  { kernelName: 'GradkitSgd', backendName: 'cpu', pattern: ['sgd'], supports: plainSgd, kernelFunc: sgdCpu },
  { kernelName: 'GradkitSgd', backendName: 'wasm', pattern: ['sgd'], supports: plainSgd, kernelFunc: sgdWasm },
  { kernelName: 'GradkitSgd', backendName: 'webgpu', pattern: ['sgd'], supports: plainSgd, kernelFunc: sgdWebGpu },
];

for (const k of kernels) registerFusedKernel(k);
