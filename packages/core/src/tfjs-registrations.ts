// What the full `@tensorflow/tfjs` registers and `@tensorflow/tfjs-core` alone does not, registered
// for every environment gradkit runs in (build/tfjs-gradients.mjs bundles both at build time):
// tfjs-core's gradients (autograd), and its chained tensor methods (`t.flatten()`, `t.as3D(…)` …),
// which tfjs-layers calls (its LSTM's orthogonal initializer, its conv layers …); and in Node, the
// `file://` model save/load router that only @tensorflow/tfjs-node has otherwise.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import { registerNodeFileRouter } from './checkpoint/handlers.js';

registerNodeFileRouter();
