import { BackendError, type BackendInfo, useBackend } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

/** WebGPU in Node, through the `webgpu` package (Dawn). */
export async function webgpuInNode(): Promise<BackendInfo> {
  // #region webgpu
  // npm install @tensorflow/tfjs-backend-webgpu@4.22.0 webgpu
  const info = await useBackend('webgpu'); // named explicitly: any adapter, SwiftShader included
  console.log(info.adapter); // { vendor, architecture, device, description }
  // #endregion
  return info;
}

/** WASM in Node: the .wasm binaries load from the installed package. */
export async function wasmInNode(): Promise<BackendInfo> {
  // #region wasm
  // npm install @tensorflow/tfjs-backend-wasm@4.22.0
  const info = await useBackend('wasm');
  console.log(`SIMD ${info.simd}, threads ${info.threads}`);
  // #endregion
  return info;
}

/** An explicit order of preference, and what to do when none starts. */
export async function ordered(): Promise<BackendInfo | null> {
  // #region order
  try {
    const info = await useBackend(['webgpu', 'wasm'], { allowSoftwareWebGpu: true });
    for (const f of info.fallbacks) console.warn(`${f.name} skipped: ${f.reason}`);
    return info;
  } catch (e) {
    if (!(e instanceof BackendError)) throw e;
    console.error(e.message); // names the backend and the package to install
    return null;
  }
  // #endregion
}

/** Reading numbers: asynchronously, on every backend. */
export async function readBack(): Promise<Float32Array> {
  // #region read
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.mul(x, 2);
  const values = (await y.data()) as Float32Array; // not y.dataSync(): WebGPU in Node cannot read synchronously
  tf.dispose([x, y]);
  // #endregion
  return values;
}

/** In a bundled browser app: one lazy chunk per backend, and the .wasm files served by the app. */
export async function inABundle(): Promise<BackendInfo> {
  // #region bundle
  const info = await useBackend('auto', {
    load: {
      webgpu: () => import('@tensorflow/tfjs-backend-webgpu'),
      wasm: () => import('@tensorflow/tfjs-backend-wasm'),
      cpu: () => import('@tensorflow/tfjs-backend-cpu'),
    },
    wasmPaths: new URL('tfjs-wasm/', location.href).href, // a folder holding tfjs-backend-wasm's dist/*.wasm
  });
  // #endregion
  return info;
}
