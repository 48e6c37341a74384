import type { IncomingMessage, ServerResponse } from 'node:http';
import { useBackend } from '@gradkit/core';

// #region express
/** Express or Connect middleware that makes every page it serves cross-origin isolated. */
export function crossOriginIsolation(_req: IncomingMessage, res: ServerResponse, next: () => void): void {
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  next();
}
// app.use(crossOriginIsolation); // before app.use(express.static('dist'))
// #endregion

/** Whether this page runs tfjs's threaded wasm build, and on how many threads. */
export async function threadedWasm(): Promise<{ threadedBuild: boolean; threads: number }> {
  // #region check
  const info = await useBackend('wasm', { load: { wasm: () => import('@tensorflow/tfjs-backend-wasm') } });
  const { getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
  if (!globalThis.crossOriginIsolated) console.warn('not cross-origin isolated: tfjs runs its single-threaded wasm build');
  console.log(`threaded build ${info.threads}, ${getThreadsCount()} threads`); // isolated, 8 logical cores: true, 4
  // #endregion
  return { threadedBuild: info.threads, threads: getThreadsCount() };
}
