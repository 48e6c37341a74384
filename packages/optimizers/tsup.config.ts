import { watEsbuildPlugin } from '../../scripts/wasm/wat.mjs';
import { packageConfig } from '../../tsup.package.mjs';

// `.wat` kernels (src/kernels/wasm) are compiled to WebAssembly and inlined at build time.
export default packageConfig({ esbuildPlugins: [watEsbuildPlugin()] });
