// What each backend can do natively, below tfjs: the memory-copy floor (a plain copy of the bytes a
// fused step moves, in the memory where that backend keeps tensors) and, on WebGPU, a count of queue
// submits. The backend packages are never imported: their instances come from `tf.backend()`.
import * as tf from '@tensorflow/tfjs-core';

/** A plain copy of `elements` float32 values in the backend's own memory, timed as a floor. */
export interface NativeCopy {
  /** What it is, for the tables (e.g. `'Float32Array.set'`). */
  readonly kind: string;
  /** Queues or runs one copy. */
  run(): void;
  /** Waits until every queued copy has finished (null: `run` is synchronous). */
  wait(): Promise<void> | null;
  /** Frees what it allocated. */
  dispose(): void;
}

/** The part of tfjs-backend-wasm 4.22's `BackendWasm` used here: a view of a tensor in the wasm heap. */
interface WasmBackendLike {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

/** The parts of WebGPU's `GPUBuffer`, `GPUCommandEncoder`, `GPUQueue` and `GPUDevice` used here. */
interface GpuBufferLike {
  destroy(): void;
}
interface GpuQueueLike {
  submit(commandBuffers: unknown[]): void;
  onSubmittedWorkDone(): Promise<void>;
}
interface GpuDeviceLike {
  readonly queue: GpuQueueLike;
  pushErrorScope(filter: 'validation'): void;
  popErrorScope(): Promise<{ readonly message: string } | null>;
  createBuffer(descriptor: { size: number; usage: number }): GpuBufferLike;
  createCommandEncoder(): {
    copyBufferToBuffer(src: GpuBufferLike, srcOffset: number, dst: GpuBufferLike, dstOffset: number, size: number): void;
    finish(): unknown;
  };
}

/** The parts of tfjs-backend-webgpu 4.22's `WebGPUBackend` used here. */
export interface WebGpuBackendLike {
  readonly device: GpuDeviceLike;
  /** tfjs's open command encoder: work recorded and not yet submitted (null when there is none). */
  readonly commandEncoder: unknown;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

// GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST (the WebGPU constants, 0x4 and 0x8).
const COPY_SRC_DST = 0x4 | 0x8;

/** The active backend as tfjs's WebGPUBackend, or null on any other backend. */
export function webgpuBackend(): WebGpuBackendLike | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const b = tf.backend() as unknown as Partial<WebGpuBackendLike>;
  return b.device && typeof b.submitQueue === 'function' ? (b as WebGpuBackendLike) : null;
}

/**
 * The fair copy floor of the active backend: cpu copies between two `Float32Array`s (where the cpu
 * backend keeps tensors); wasm copies between two tensors inside the WebAssembly heap
 * (`Float32Array.set` between two views of the same `WebAssembly.Memory`: a memmove); WebGPU copies
 * one GPU buffer into another (`copyBufferToBuffer`, one command buffer and one submit per copy).
 * Each copies `elements` float32 values: every element is read once and written once.
 */
export function nativeCopy(elements: number): NativeCopy {
  const gpu = webgpuBackend();
  if (gpu) {
    const size = Math.max(4, elements * 4);
    const src = gpu.device.createBuffer({ size, usage: COPY_SRC_DST });
    const dst = gpu.device.createBuffer({ size, usage: COPY_SRC_DST });
    return {
      kind: 'GPU buffer copy (copyBufferToBuffer, one submit per copy)',
      run() {
        const encoder = gpu.device.createCommandEncoder();
        encoder.copyBufferToBuffer(src, 0, dst, 0, size);
        gpu.device.queue.submit([encoder.finish()]);
      },
      wait: () => gpu.device.queue.onSubmittedWorkDone(),
      dispose() {
        src.destroy();
        dst.destroy();
      },
    };
  }
  if (tf.getBackend() === 'wasm') {
    const backend = tf.backend() as unknown as WasmBackendLike;
    const a = tf.tidy(() => tf.randomUniform([elements], 0, 1, 'float32', 3));
    const b = tf.zeros([elements], 'float32');
    // Views are taken per copy: a grown heap detaches older ones.
    return {
      kind: 'copy inside the wasm heap (Float32Array.set between two tensors in WebAssembly.Memory)',
      run: () => backend.typedArrayFromHeap(b).set(backend.typedArrayFromHeap(a)),
      wait: () => null,
      dispose: () => tf.dispose([a, b]),
    };
  }
  const src = new Float32Array(elements).map((_, i) => i % 7);
  const dst = new Float32Array(elements);
  return { kind: 'Float32Array.set', run: () => dst.set(src), wait: () => null, dispose() {} };
}

/**
 * Submits whatever tfjs has recorded and not submitted yet (it batches up to
 * `WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE` dispatches per submit), then waits for the queue to drain.
 */
export async function flushWebGpu(b: WebGpuBackendLike): Promise<void> {
  if (b.commandEncoder) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
  await b.device.queue.onSubmittedWorkDone();
}

/** What `countSubmits` saw. */
export interface SubmitCount {
  /** Queue submits. */
  readonly submits: number;
  /** The first WebGPU validation error raised meanwhile (work that was dropped: the step did not run as timed), if any. */
  readonly error?: string;
}

/**
 * How many times `fn` makes the WebGPU queue submit, everything queued before it submitted first:
 * the submits during `fn`, plus one when `fn` leaves recorded work for tfjs to submit later (that
 * work is submitted here and counted). A validation error scope around it catches what WebGPU
 * rejected (an invalid pipeline drops its whole command buffer). Null on other backends.
 */
export async function countSubmits(fn: () => void): Promise<SubmitCount | null> {
  const b = webgpuBackend();
  if (!b) return null;
  await flushWebGpu(b);
  const queue = b.device.queue;
  const own = Object.hasOwn(queue, 'submit');
  const original = queue.submit;
  let submits = 0;
  b.device.pushErrorScope('validation');
  queue.submit = function submit(this: GpuQueueLike, commandBuffers: unknown[]) {
    submits++;
    return original.call(this, commandBuffers);
  };
  try {
    fn();
    if (b.commandEncoder) {
      b.endComputePassEncoder();
      b.submitQueue();
    }
  } finally {
    if (own) queue.submit = original;
    else delete (queue as Partial<GpuQueueLike>).submit;
  }
  const error = await b.device.popErrorScope();
  await queue.onSubmittedWorkDone();
  return { submits, ...(error ? { error: error.message.split('\n')[0] as string } : {}) };
}
