// Build-time WebAssembly for gradkit's wasm kernels: `.wat` source kept in the repository, compiled by
// the pinned `wabt` devDependency when a package is built (tsup: esbuild plugin) or tested (vitest:
// Vite plugin). `import kernels from './adam.wat'` yields `{ simd, scalar, simdShared, scalarShared }`:
// four binaries from one source, chosen at run time by the kernel (SIMD support; whether tfjs-backend-
// wasm's memory is a SharedArrayBuffer, as in its threaded build). No binary is committed and nothing is
// fetched at run time: the bytes are inlined into the bundle as base64.
//
// The source is plain WAT plus a small preprocessor, so that one loop body serves the f32x4 main loop,
// the scalar tail (n % 4) and the scalar-only module:
//
//   @memory                 the memory import's type: `(memory 1)`, or `(memory 1 65536 shared)`
//   ;;#if simd|shared|!simd|!shared … ;;#else … ;;#endif    lines kept for some variants (nestable)
//   ;;#lanes … ;;#endlanes  emitted twice: as the "vec" copy (f32x4 where SIMD, 4 elements per
//                           iteration) and as the "one" copy (f32, 1 element per iteration). Inside:
//     $name@                → $name_vec / $name_one
//     V                     → v128 / f32 (as a type)
//     V.load, V.store       → v128.load / f32.load …
//     V.bytes               → 16 / 4 (bytes per iteration)
//     (V.splat x)           → (f32x4.splat x) / x
//     V.select              → v128.bitselect / select (same operand order: a, b, condition)
//     M.or, M.and           → v128.or / i32.or … (for the masks that V.gt, V.lt … return)
//     V.op                  → f32x4.op / f32.op (mul, add, sub, div, sqrt, max, min, abs, neg, gt, lt, ne …)
//   In the scalar modules both copies are scalar (the "vec" copy then takes one element per iteration).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The binaries built from every `.wat` source: `[name, { simd, shared }]`. */
export const VARIANTS = [
  ['simd', { simd: true, shared: false }],
  ['scalar', { simd: false, shared: false }],
  ['simdShared', { simd: true, shared: true }],
  ['scalarShared', { simd: false, shared: true }],
];

/** Keeps the lines of `;;#if` blocks whose condition holds for `flags`. */
function conditionals(source, flags, file) {
  const out = [];
  const stack = [];
  const active = () => stack.every((s) => s.on);
  for (const [i, line] of source.split('\n').entries()) {
    const m = /^\s*;;#(if|else|endif)\b\s*(!?)(\w*)/.exec(line);
    if (!m) {
      out.push(active() ? line : '');
      continue;
    }
    const [, directive, not, name] = m;
    if (directive === 'if') {
      if (!(name in flags)) throw new Error(`${file}:${i + 1}: unknown condition '${name}' (simd or shared)`);
      stack.push({ on: Boolean(flags[name]) !== Boolean(not) });
    } else if (stack.length === 0) throw new Error(`${file}:${i + 1}: ;;#${directive} without ;;#if`);
    else if (directive === 'else') stack[stack.length - 1].on = !stack[stack.length - 1].on;
    else stack.pop();
    out.push('');
  }
  if (stack.length) throw new Error(`${file}: ;;#if without ;;#endif`);
  return out.join('\n');
}

/** Replaces every `(V.splat x)` by `x` (scalar copies), matching parentheses. */
function unsplat(text) {
  let out = text;
  for (let at = out.indexOf('(V.splat '); at >= 0; at = out.indexOf('(V.splat ', at)) {
    let depth = 0;
    let end = at;
    for (; end < out.length; end++) {
      if (out[end] === '(') depth++;
      else if (out[end] === ')' && --depth === 0) break;
    }
    out = out.slice(0, at) + out.slice(at + '(V.splat '.length, end).trim() + out.slice(end + 1);
  }
  return out;
}

/** One copy of a `;;#lanes` block: `wide` (f32x4) or scalar, named `vec` or `one`. */
function lanes(block, copy, wide) {
  const text = (wide ? block : unsplat(block)).replace(/(\$[\w.]+)@/g, `$1_${copy}`);
  return text
    .replace(/\bV\.bytes\b/g, wide ? '16' : '4')
    .replace(/\bV\.(load|store)\b/g, wide ? 'v128.$1' : 'f32.$1')
    .replace(/\bV\.select\b/g, wide ? 'v128.bitselect' : 'select')
    .replace(/\bM\.(\w+)\b/g, wide ? 'v128.$1' : 'i32.$1')
    .replace(/\bV\.(\w+)\b/g, wide ? 'f32x4.$1' : 'f32.$1')
    .replace(/\bV\b/g, wide ? 'v128' : 'f32');
}

/** The plain WAT of one variant of a preprocessed source. */
export function preprocess(source, { simd, shared }, file = 'kernel.wat') {
  const text = conditionals(source, { simd, shared }, file).replace(/@memory\b/g, shared ? '(memory 1 65536 shared)' : '(memory 1)');
  return text.replace(/^[ \t]*;;#lanes\b[^\n]*\n([\s\S]*?)^[ \t]*;;#endlanes\b/gm, (_, block) => `${lanes(block, 'vec', simd)}\n${lanes(block, 'one', false)}`);
}

let wabt;

/** Compiles one `.wat` source into its four variants (validated; wabt's errors name the line of the preprocessed text). */
export async function compileWat(source, file = 'kernel.wat') {
  wabt ??= require('wabt')();
  const w = await wabt;
  const out = {};
  for (const [name, flags] of VARIANTS) {
    const features = { simd: flags.simd, threads: flags.shared, multi_value: true, mutable_globals: true };
    const text = preprocess(source, flags, file);
    let module;
    try {
      module = w.parseWat(`${file} (${name})`, text, features);
      module.validate(features);
      out[name] = module.toBinary({}).buffer.slice();
    } catch (e) {
      throw new Error(
        `${file} (${name} variant): ${e.message}\n--- preprocessed source ---\n${text
          .split('\n')
          .map((l, i) => `${i + 1}\t${l}`)
          .join('\n')}`,
      );
    } finally {
      module?.destroy();
    }
  }
  return out;
}

/** The JavaScript module a `.wat` import becomes: the variants' bytes, base64-inlined. */
export async function watModule(file) {
  const variants = await compileWat(await readFile(file, 'utf8'), file);
  const entries = Object.entries(variants).map(([name, bytes]) => `  ${name}: bytes(${JSON.stringify(Buffer.from(bytes).toString('base64'))}),`);
  return [
    `// Built from ${file.split(/[\\/]/).pop()} by gradkit's scripts/wasm/wat.mjs.`,
    'const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));',
    'export default {',
    ...entries,
    '};',
    '',
  ].join('\n');
}

/** esbuild plugin (tsup): `import x from './k.wat'` → the compiled variants. */
export function watEsbuildPlugin() {
  return {
    name: 'gradkit-wat',
    setup(b) {
      b.onLoad({ filter: /\.wat$/ }, async (args) => ({ contents: await watModule(args.path), loader: 'js', watchFiles: [args.path] }));
    },
  };
}

/** Vite plugin (vitest, apps built from source): `import x from './k.wat'` → the compiled variants. */
export function watVitePlugin() {
  return {
    name: 'gradkit-wat',
    enforce: 'pre',
    async load(id) {
      const file = id.split('?')[0];
      if (!file.endsWith('.wat')) return null;
      this.addWatchFile?.(file);
      return watModule(file);
    },
  };
}
