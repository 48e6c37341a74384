// A `.wat` import: the builds scripts/wasm/wat.mjs compiles at build (tsup) and test (vitest) time.
declare module '*.wat' {
  const builds: import('../kernels/wasm.js').WasmBuilds;
  export default builds;
}
