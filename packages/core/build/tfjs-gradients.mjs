// Builds the module that registers tfjs-core's gradients, for every way gradkit is loaded.
//
// Why: tfjs-core's CJS bundle (what plain Node loads) registers no gradients, and its ESM `dist/` uses
// extensionless imports that plain Node cannot load. So at build time we bundle tfjs-core's own gradient
// configs (dist/gradients/*_grad.js) and rewrite every import they make of tfjs-core internals into a
// reference to tfjs-core's *public* API (`import * as tf from '@tensorflow/tfjs-core'`). What has no
// public equivalent (a few backprop ops such as maxPoolGrad) is bundled; those are thin `op()` wrappers
// around `engine().runKernel`, so they share the one engine of the tfjs-core the user has installed.
// Gradients that are already registered (say by @tensorflow/tfjs) are left alone.
//
// Source code imports '@tensorflow/tfjs-core/dist/register_all_gradients'; the esbuild plugin (tsup) and
// the Vite plugin (vitest, browser apps that build gradkit from source) replace it with this module.
//
// The same is done for tfjs-core's chained tensor methods (`t.flatten()`, `t.as3D(…)` …), which
// tfjs-layers calls and which only the full `@tensorflow/tfjs` registers: source code imports
// '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops', replaced by a bundle of
// tfjs-core's own chained-op files rewritten onto the public API (they only call public ops).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as esbuild from 'esbuild';

const require = createRequire(import.meta.url);
export const GRADIENTS_SPECIFIER = '@tensorflow/tfjs-core/dist/register_all_gradients';
const FILTER = /^@tensorflow\/tfjs-core\/dist\/register_all_gradients(\.js)?$/;
const CHAINED_FILTER = /^@tensorflow\/tfjs-core\/dist\/public\/chained_ops\/register_all_chained_ops(\.js)?$/;

/** Public namespaces of tfjs-core searched for an internal name, in order ('' is the top level). */
const NAMESPACES = ['', 'backend_util', 'util', 'broadcast_util', 'slice_util'];
/** Internal modules imported as `* as x` that have a public namespace. */
const NAMESPACE_MODULES = { util: 'util', broadcast_util: 'broadcast_util', axis_util: 'backend_util', conv_util: 'backend_util', slice_util: 'slice_util' };
/** Internal names with a public expression. Gradient functions only ever pass tensors to convertToTensor. */
const SPECIAL = { ENGINE: '__tf.engine()', convertToTensor: '((x) => x)', getGlobalTensorClass: '(() => __tf.Tensor)' };

let cached;
let cachedChained;

/** Returns the ESM source of the gradient-registration module (it imports only '@tensorflow/tfjs-core'). */
export function bundleTfjsGradients() {
  cached ??= build();
  return cached;
}

/** Returns the ESM source of the module that adds tfjs-core's chained tensor methods (it imports only '@tensorflow/tfjs-core'). */
export function bundleTfjsChainedOps() {
  cachedChained ??= buildChainedOps();
  return cachedChained;
}

async function buildChainedOps() {
  const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-core/package.json')), 'dist');
  const entry = `import ${JSON.stringify(path.join(dist, 'public', 'chained_ops', 'register_all_chained_ops.js'))};`;
  const text = await bundle(entry, dist, 'tfjs-chained-ops.js');
  if (/class Tensor\b/.test(text))
    throw new Error('tfjs-chained-ops: the bundle holds a second Tensor class (an import was not rewritten onto the public API)');
  return `// tfjs-core 4.x chained tensor methods (Apache-2.0, Google LLC), rewritten onto tfjs-core's public API by gradkit.\n${text}`;
}

async function build() {
  const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-core/package.json')), 'dist');
  const all = fs.readFileSync(path.join(dist, 'register_all_gradients.js'), 'utf8');
  const configs = [...all.matchAll(/import \{ (\w+) \} from '\.\/gradients\/(\w+)';/g)];
  if (configs.length < 100) throw new Error(`tfjs-gradients: found only ${configs.length} gradient configs in ${dist}`);
  const entry = [
    `import { getGradient, registerGradient } from '@tensorflow/tfjs-core';`,
    ...configs.map(([, name, file]) => `import { ${name} } from ${JSON.stringify(path.join(dist, 'gradients', `${file}.js`))};`),
    `for (const config of [${configs.map((m) => m[1]).join(', ')}]) {`,
    '  if (getGradient(config.kernelName) == null) registerGradient(config);',
    '}',
  ].join('\n');
  const banner = "// tfjs-core 4.x gradient configs (Apache-2.0, Google LLC), rewritten onto tfjs-core's public API by gradkit.\n";
  return banner + (await bundle(entry, dist, 'tfjs-gradients.js'));
}

/** Bundles `entry` (ESM importing tfjs-core dist files) with every internal import rewritten onto tfjs-core's public API where one exists. */
async function bundle(entry, dist, sourcefile) {
  const tf = require('@tensorflow/tfjs-core');
  const publicExpr = (name) => {
    if (SPECIAL[name]) return SPECIAL[name];
    const ns = NAMESPACES.find((n) => (n ? tf[n] && name in tf[n] : name in tf));
    if (ns === undefined) return null;
    return ns ? `__tf.${ns}.${name}` : `__tf.${name}`;
  };
  const rewrite = {
    name: 'tfjs-public-api',
    setup(b) {
      b.onLoad({ filter: /tfjs-core[\\/]dist[\\/].*\.js$/ }, async (args) => {
        let usesTf = false;
        const source = (await fs.promises.readFile(args.path, 'utf8')).replace(
          /import (\{[^}]*\}|\* as (\w+)) from '(\.[^']+)';/g,
          (statement, clause, namespace, spec) => {
            if (namespace) {
              const target = NAMESPACE_MODULES[path.basename(spec)];
              if (!target) return statement;
              usesTf = true;
              return `const ${namespace} = __tf.${target};`;
            }
            const bindings = clause
              .slice(1, -1)
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
              .map((s) => {
                const [name, local] = s.split(/\s+as\s+/);
                return [local ?? name, publicExpr(name)];
              });
            if (!bindings.every(([, expr]) => expr)) return statement;
            usesTf = true;
            return bindings.map(([local, expr]) => `const ${local} = ${expr};`).join(' ');
          },
        );
        return { contents: usesTf ? `import * as __tf from '@tensorflow/tfjs-core';\n${source}` : source, loader: 'js', resolveDir: path.dirname(args.path) };
      });
    },
  };
  const result = await esbuild.build({
    stdin: { contents: entry, resolveDir: dist, loader: 'js', sourcefile },
    bundle: true,
    format: 'esm',
    write: false,
    legalComments: 'none',
    resolveExtensions: ['.js'],
    external: ['@tensorflow/tfjs-core'],
    plugins: [rewrite],
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

/** esbuild plugin (used by tsup) that inlines the gradient-registration module. */
export function tfjsGradientsEsbuildPlugin() {
  return {
    name: 'gradkit-tfjs-gradients',
    setup(b) {
      b.onResolve({ filter: FILTER }, () => ({ path: 'tfjs-gradients', namespace: 'gradkit-tfjs-gradients' }));
      b.onResolve({ filter: CHAINED_FILTER }, () => ({ path: 'tfjs-chained-ops', namespace: 'gradkit-tfjs-gradients' }));
      b.onLoad({ filter: /.*/, namespace: 'gradkit-tfjs-gradients' }, async (args) => ({
        contents: await (args.path === 'tfjs-chained-ops' ? bundleTfjsChainedOps() : bundleTfjsGradients()),
        loader: 'js',
        resolveDir: process.cwd(),
      }));
    },
  };
}

/** Vite plugin (vitest, apps built from source) that serves the gradient-registration module. */
export function tfjsGradientsVitePlugin() {
  const id = '\0gradkit-tfjs-gradients';
  const chainedId = '\0gradkit-tfjs-chained-ops';
  return {
    name: 'gradkit-tfjs-gradients',
    enforce: 'pre',
    resolveId: (source) => (FILTER.test(source) ? id : CHAINED_FILTER.test(source) ? chainedId : null),
    load: (loaded) => (loaded === id ? bundleTfjsGradients() : loaded === chainedId ? bundleTfjsChainedOps() : null),
  };
}
