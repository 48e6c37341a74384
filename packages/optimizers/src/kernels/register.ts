// Registers the fused optimizer steps of every backend for every chain shape they implement.
import { registerFusedKernel } from '@gradkit/core';
import { cpuStep } from './cpu/step.js';
import { type FusedStep, PREFIXES, planOf, RULE_NAMES, type RuleName, ruleSlots, ruleSupports } from './plan.js';
import { wasmStep } from './wasm/step.js';
import { webgpuStep } from './webgpu/step.js';

/** A backend's fused step and the chains it implements (beyond `ruleSupports`). */
interface BackendSteps {
  readonly backendName: string;
  readonly step: FusedStep;
  readonly implements: (prefix: readonly string[], rule: RuleName, options: object) => boolean;
}

const BACKENDS: readonly BackendSteps[] = [
  { backendName: 'cpu', step: cpuStep, implements: () => true },
  { backendName: 'wasm', step: wasmStep, implements: () => true },
  { backendName: 'webgpu', step: webgpuStep, implements: () => true },
];

const GUARD_SCALARS = ['notfiniteCount', 'totalNotfinite', 'lastFinite'];
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** `GradkitAdam`, `GradkitClippedAdam`, `GradkitGuardedAdamw`, `GradkitGuardedClippedLion` … */
export function fusedKernelName(prefix: readonly string[], rule: RuleName): string {
  return `Gradkit${prefix.includes('applyIfFinite') ? 'Guarded' : ''}${prefix.includes('clipByGlobalNorm') ? 'Clipped' : ''}${capital(rule)}`;
}

for (const { backendName, step, implements: has } of BACKENDS) {
  for (const rule of RULE_NAMES) {
    for (const prefix of PREFIXES) {
      const at = prefix.length;
      registerFusedKernel({
        kernelName: fusedKernelName(prefix, rule),
        backendName,
        pattern: [...prefix, rule],
        supports: (options) => ruleSupports(rule, options[at] as object) && has(prefix, rule, options[at] as object),
        slots: (options) => [...prefix.map(() => []), ruleSlots(rule, options[at] as object)],
        scalars: () => prefix.map((p) => (p === 'applyIfFinite' ? GUARD_SCALARS : [])),
        kernelFunc: (args) => {
          const { plan, tensors } = planOf(prefix, rule, args);
          step(args.backend, plan, tensors);
        },
      });
    }
  }
}
