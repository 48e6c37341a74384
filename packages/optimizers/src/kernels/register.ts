// Registers the fused optimizer steps of every backend for every chain shape they implement.
import { registerFusedKernel } from '@gradkit/core';
import { cpuStep } from './cpu/step.js';
import { checkFusedTensors, type FusedStep, PREFIXES, planOf, RULE_NAMES, type RuleName, ruleSlots, ruleSupports, scalarsOf } from './plan.js';
import { wasmStep } from './wasm/step.js';
import { webgpuStep } from './webgpu/step.js';

/** Each backend's fused step: every rule, alone, clipped, guarded or both. */
const STEPS: Readonly<Record<string, FusedStep>> = { cpu: cpuStep, wasm: wasmStep, webgpu: webgpuStep };

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** `GradkitAdam`, `GradkitClippedAdam`, `GradkitGuardedAdamw`, `GradkitGuardedClippedLion` … */
export function fusedKernelName(prefix: readonly string[], rule: RuleName): string {
  return `Gradkit${prefix.includes('applyIfFinite') ? 'Guarded' : ''}${prefix.includes('clipByGlobalNorm') ? 'Clipped' : ''}${capital(rule)}`;
}

for (const [backendName, step] of Object.entries(STEPS)) {
  for (const rule of RULE_NAMES) {
    for (const prefix of PREFIXES) {
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
