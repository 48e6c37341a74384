/**
 * True when running under CI: `CI=true` (or any value of `CI` other than '', '0' and 'false'). Under
 * CI the harness treats a missing WebGPU adapter as a failure instead of skipping the webgpu tests.
 *
 * @example `isCI({ CI: 'true' }) // true`
 */
export function isCI(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  const v = env.CI?.trim().toLowerCase();
  return v !== undefined && v !== '' && v !== '0' && v !== 'false';
}
