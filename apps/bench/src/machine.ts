// What a benchmark ran on: the machine, Node, tfjs and the backend as `useBackend` started it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, type as osType, release, totalmem } from 'node:os';
import type { BackendInfo } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';

/** The machine and software a result was measured on. */
export interface MachineInfo {
  /** e.g. `'Linux 6.1.0 (x64)'`, with the distribution when /etc/os-release names it. */
  readonly os: string;
  /** The CPU model as the OS reports it. */
  readonly cpu: string;
  /** Logical cores Node may use. */
  readonly cores: number;
  /** Total memory in GiB. */
  readonly memoryGiB: number;
  /** `process.version`. */
  readonly node: string;
  /** tfjs-core's version. */
  readonly tfjs: string;
  /** 1-minute load average when the backend's run started (other processes competing for the cores). */
  readonly loadAverageAtStart: number;
}

/** The distribution's PRETTY_NAME, when there is one. */
function distribution(): string | undefined {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** The machine as Node sees it now. */
export function machineInfo(): MachineInfo {
  const distro = distribution();
  return {
    os: `${osType()} ${release()} (${process.arch})${distro ? `, ${distro}` : ''}`,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    tfjs: tf.version_core,
    loadAverageAtStart: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** One line describing the backend: wasm's SIMD and threads, WebGPU's adapter. */
export function describeBackend(info: BackendInfo): string {
  if (info.name === 'wasm') return `wasm (SIMD ${info.simd ? 'on' : 'off'}, threads ${info.threads ? 'on' : 'off'})`;
  if (info.name === 'webgpu') {
    const a = info.adapter;
    const parts = a ? [a.vendor, a.architecture, a.device, a.description].filter((s) => s !== '') : [];
    return `webgpu (adapter: ${parts.length > 0 ? parts.join(', ') : 'unnamed'})`;
  }
  return info.name;
}

/** The source a result was measured on. */
export interface SourceInfo {
  /** `git rev-parse HEAD`, or `'unknown'` outside a git checkout. */
  readonly commit: string;
  /** Top-level workspace folders (`packages/core`, `apps/bench` …) with uncommitted changes to tracked files. */
  readonly changed: readonly string[];
}

/** The git commit of the checkout at `dir` and which workspace folders differ from it (read-only git commands). */
export function sourceInfo(dir: string): SourceInfo {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const commit = git('rev-parse', 'HEAD').trim();
    const changed = new Set<string>();
    for (const line of git('status', '--porcelain', '--untracked-files=no').split('\n')) {
      // "XY path" (or "XY from -> to" for a rename: the new path counts).
      const path = line.slice(3).split(' -> ').pop()?.trim() ?? '';
      if (path === '') continue;
      const parts = path.split('/');
      changed.add(parts[0] === 'packages' || parts[0] === 'apps' ? parts.slice(0, 2).join('/') : (parts[0] as string));
    }
    return { commit, changed: [...changed].sort() };
  } catch {
    return { commit: 'unknown', changed: [] };
  }
}
