// Registers `GradkitMuonMomentum` with tfjs for cpu, wasm and webgpu (muon-momentum.ts calls it
// where the active backend has it).
import * as tf from '@tensorflow/tfjs-core';
import { muonMomentumCpu } from './cpu.js';
import { muonMomentumWasm } from './wasm.js';
import { muonMomentumWebgpu } from './webgpu.js';

for (const config of [muonMomentumCpu, muonMomentumWasm, muonMomentumWebgpu]) {
  if (tf.getKernel(config.kernelName, config.backendName)) tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel(config);
}
