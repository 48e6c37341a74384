/** The backends gradkit supports. @example `const b: BackendName = 'wasm';` */
export type BackendName = 'cpu' | 'wasm' | 'webgpu';

/** The npm package that provides each backend. @example `BACKEND_PACKAGES.wasm // '@tensorflow/tfjs-backend-wasm'` */
export const BACKEND_PACKAGES: Readonly<Record<BackendName, string>> = {
  cpu: '@tensorflow/tfjs-backend-cpu',
  wasm: '@tensorflow/tfjs-backend-wasm',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
};

/** The order `useBackend('auto')` tries backends in: fastest first. @example `AUTO_ORDER[0] // 'webgpu'` */
export const AUTO_ORDER: readonly BackendName[] = ['webgpu', 'wasm', 'cpu'];

/** True when `name` is one of gradkit's backends. @example `isBackendName('cpu') // true` */
export function isBackendName(name: unknown): name is BackendName {
  return typeof name === 'string' && Object.hasOwn(BACKEND_PACKAGES, name);
}
