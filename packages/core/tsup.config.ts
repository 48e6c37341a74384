import { watEsbuildPlugin } from '../../scripts/wasm/wat.mjs';
import { packageConfig } from '../../tsup.package.mjs';
import { tfjsGradientsEsbuildPlugin } from './build/tfjs-gradients.mjs';

// tfjs-core's gradient configs are bundled in (build/tfjs-gradients.mjs); the backends and Dawn stay
// imports. `.wat` modules (src/fast-paths) are compiled to WebAssembly and inlined at build time.
export default packageConfig({
  external: [/^@tensorflow\/tfjs-backend-/, 'webgpu'],
  noExternal: [/register_all_gradients/, /register_all_chained_ops/],
  esbuildPlugins: [tfjsGradientsEsbuildPlugin(), watEsbuildPlugin()],
});
