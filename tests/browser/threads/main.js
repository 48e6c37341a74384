// The browser half of ../threads.mjs: starts wasm with useBackend (tfjs picks its threaded build when
// the page is cross-origin isolated), times step.js's workloads and reports them in window.__result.
import { Optimizer, useBackend } from '@gradkit/core';
import { adam } from '@gradkit/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { measureStep } from './step.js';

function report(result) {
  window.__result = result;
  document.getElementById('result').textContent = JSON.stringify(result, null, 2);
}

async function main() {
  const samples = Number(new URLSearchParams(location.search).get('samples') ?? 21);
  const wasm = () => import('@tensorflow/tfjs-backend-wasm');
  const info = await useBackend('wasm', { wasmPaths: new URL('tfjs-wasm/', location.href).href, load: { wasm } });
  const threadCount = (await wasm()).getThreadsCount();
  const timings = await measureStep({ tf, Optimizer, adam }, samples);
  return {
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    hardwareConcurrency: navigator.hardwareConcurrency,
    info,
    threadCount,
    ...timings,
  };
}

main().then(report, (e) => report({ error: String(e?.stack ?? e) }));
