// gradkit's training fast paths (see registry.ts); importing this module defines them all, and fixes
// tfjs's AvgPool gradient (avg-pool-gradient.ts).
import './avg-pool-gradient.js';
import './conv2d-backprop-filter.js';
import './conv2d-backprop-input.js';
import './cpu-conv2d.js';
import './cpu-elementwise.js';
import './cpu-matmul.js';
import './cpu-slice.js';
import './depthwise-backprop.js';
import './max-pool-grad.js';
import './unsorted-segment-sum.js';
import './wasm-matmul.js';
import './wasm-one-hot.js';

export { type FastPath, fastPaths, fastPathsEnabled, installFastPaths, setFastPaths } from './registry.js';
