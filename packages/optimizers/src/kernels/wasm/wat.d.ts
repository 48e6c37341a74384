/**
 * A `.wat` import: the WebAssembly binaries that scripts/wasm/wat.mjs compiles from the source at build
 * time (tsup) or test time (vitest), one per variant.
 */
declare module '*.wat' {
  /** The four builds of one source. */
  const variants: {
    /** f32x4 SIMD, importing an ordinary memory. */
    readonly simd: Uint8Array<ArrayBuffer>;
    /** Scalar only (engines without wasm SIMD), ordinary memory. */
    readonly scalar: Uint8Array<ArrayBuffer>;
    /** f32x4 SIMD, importing a shared memory (tfjs-backend-wasm's threaded build). */
    readonly simdShared: Uint8Array<ArrayBuffer>;
    /** Scalar only, shared memory. */
    readonly scalarShared: Uint8Array<ArrayBuffer>;
  };
  export default variants;
}
