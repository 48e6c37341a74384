// What the CLI's commands share: where they write (injected, for tests), the exit codes, starting the
// backend with a readable failure, and usage errors.
import { type BackendChoice, BackendError, type BackendInfo, useBackend } from '@gradkit/core';
import type { BackendFlag } from './config.js';
import type { MnistData } from './data.js';
import type { ProgressOutput } from './progress.js';

/** Where the CLI writes, and what it may replace (for tests). */
export interface LabIO {
  /** Normal output (progress, tables, reports). */
  readonly stdout: ProgressOutput;
  /** Errors. */
  readonly stderr: { write(text: string): void };
  /** Starts a backend (default: core's `useBackend`). */
  readonly useBackend?: (choice: BackendChoice) => Promise<BackendInfo>;
  /** Loads the digits (default: `loadMnist()`). */
  readonly loadData?: () => MnistData;
  /** Print stack traces of unexpected errors too (default: when GRADIENT_LAB_DEBUG is set). */
  readonly debug?: boolean;
}

/** Exit codes: 0 success, 1 a failure while running (backend, data, training), 2 a usage error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Thrown to end the command with `code` (caught by `main`). */
export class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

const firstLine = (s: string) => s.split('\n')[0] ?? s;

function backendLine(info: BackendInfo): string {
  const details = info.name === 'wasm' ? [info.simd ? 'SIMD' : 'no SIMD', info.threads ? 'threads' : '1 thread'] : [];
  if (info.adapter) details.push(info.adapter.description || info.adapter.architecture || info.adapter.vendor);
  return `${info.name}${details.filter(Boolean).length > 0 ? ` (${details.filter(Boolean).join(', ')})` : ''}`;
}

/** Starts the backend `choice` and prints its line (and the fallbacks taken); a failure is exit 1 with a message. */
export async function startBackend(choice: BackendFlag, io: LabIO): Promise<{ info: BackendInfo; line: string }> {
  let info: BackendInfo;
  try {
    info = await (io.useBackend ?? useBackend)(choice);
  } catch (e) {
    if (!(e instanceof BackendError)) throw e;
    io.stderr.write(`gradient-lab: backend '${e.backend || choice}' could not start: ${firstLine(e.message)}\n`);
    if (choice !== 'auto')
      io.stderr.write(
        `  --backend ${choice} does not fall back to another backend: pick another one (cpu, wasm, webgpu) or --backend auto, which takes the first that starts.\n`,
      );
    throw new Exit(EXIT.failure);
  }
  const line = backendLine(info);
  io.stdout.write(`backend: ${line}\n`);
  for (const f of info.fallbacks) io.stdout.write(`  skipped ${f.name}: ${firstLine(f.reason)}\n`);
  return { info, line: `${line}${info.fallbacks.length > 0 ? ` (skipped ${info.fallbacks.map((f) => f.name).join(', ')})` : ''}` };
}

/** Prints a usage error with the help topic and ends the command with exit 2. */
export function usageError(io: LabIO, message: string, topic?: 'run' | 'compare' | 'doctor'): never {
  io.stderr.write(`gradient-lab: ${message}\n  see: gradient-lab help${topic ? ` ${topic}` : ''}\n`);
  throw new Exit(EXIT.usage);
}
