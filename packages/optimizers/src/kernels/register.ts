// Registers the fused optimizer steps of every backend for every chain shape they implement.
import { registerFusedKernel } from '@gradkit/core';
import type * as tf from '@tensorflow/tfjs-core';
import { cautiousOnArrays } from './cautious.js';
import { cpuStep } from './cpu/step.js';
import { checkFusedTensors, type FusedStep, PREFIXES, planOf, RULE_NAMES, type RuleName, ruleSlots, ruleSupports, scalarsOf } from './plan.js';
import './muon-momentum/register.js';
import { wasmStep } from './wasm/step.js';
import { webgpuCautiousStep } from './webgpu/cautious.js';
import { webgpuStep } from './webgpu/step.js';

/** Each backend's fused step: every rule, alone, clipped, guarded or both. */
const STEPS: Readonly<Record<string, FusedStep>> = { cpu: cpuStep, wasm: wasmStep, webgpu: webgpuStep };

/** tfjs-backend-cpu's array of a tensor, and tfjs-backend-wasm's view of its heap. */
type CpuArrays = { data: { get(id: object): { values: Float32Array } } };
type WasmArrays = { typedArrayFromHeap(t: tf.TensorInfo): Float32Array };

/** Each backend's fused step of `cautious(rule)`: the rule's step, then the cautious mask (cautious.ts). */
export const CAUTIOUS_STEPS: Readonly<Record<string, FusedStep>> = {
  cpu: cautiousOnArrays(cpuStep, (b, t) => (b as unknown as CpuArrays).data.get(t.dataId).values),
  wasm: cautiousOnArrays(wasmStep, (b, t) => (b as unknown as WasmArrays).typedArrayFromHeap(t)),
  webgpu: webgpuCautiousStep,
};

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** `GradkitAdam`, `GradkitClippedAdam`, `GradkitGuardedAdamw`, `GradkitGuardedClippedLion`, `GradkitCautiousAdamw` … */
export function fusedKernelName(prefix: readonly string[], rule: RuleName): string {
  const part = (name: string, word: string) => (prefix.includes(name) ? word : '');
  return `Gradkit${part('applyIfFinite', 'Guarded')}${part('clipByGlobalNorm', 'Clipped')}${part('cautious', 'Cautious')}${capital(rule)}`;
}

for (const [backendName, plain] of Object.entries(STEPS)) {
  for (const rule of RULE_NAMES) {
    for (const prefix of [...PREFIXES, ['cautious']] as readonly (readonly string[])[]) {
      const step = prefix.includes('cautious') ? (CAUTIOUS_STEPS[backendName] as FusedStep) : plain;
      const at = prefix.length;
      registerFusedKernel({
        kernelName: fusedKernelName(prefix, rule),
        backendName,
        pattern: [...prefix, rule],
        supports: (options) => ruleSupports(rule, options[at] as object),
        slots: (options) => [...prefix.map(() => []), ruleSlots(rule, options[at] as object)],
        scalars: () => scalarsOf(prefix),
        // Every backend checks all its inputs (checkFusedTensors) before it writes anything; a step of
        // several kernels (a partition) runs that check for all of them first.
        atomic: true,
        validate: (args) => {
          const { plan, tensors } = planOf(prefix, rule, args);
          checkFusedTensors(backendName, plan, tensors);
        },
        kernelFunc: (args) => {
          const { plan, tensors } = planOf(prefix, rule, args);
          step(args.backend, plan, tensors);
        },
      });
    }
  }
}
