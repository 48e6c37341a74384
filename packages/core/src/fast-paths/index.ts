// gradkit's training fast paths (see registry.ts); importing this module defines them all.
import './cpu-elementwise.js';
import './cpu-matmul.js';
import './wasm-matmul.js';

export { type FastPath, fastPaths, fastPathsEnabled, installFastPaths, setFastPaths } from './registry.js';
