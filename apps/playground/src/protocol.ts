// Messages between the page and the training worker.
import type { BackendInfo } from '@gradkit/core';
import type { GradientReport, Verdict } from '@gradkit/diagnostics';
import type { BackendName, PlaygroundConfig } from './config.js';

/** Page → worker: train one configuration (one worker per run; the page terminates it to stop). */
export interface StartMessage {
  readonly type: 'start';
  /** The configuration. */
  readonly config: PlaygroundConfig;
  /** Backends to try, in order (the chosen one first, then the fallbacks). */
  readonly backends: readonly BackendName[];
  /** Absolute URL of the site root (digits asset and tfjs-wasm/ live there). */
  readonly base: string;
  /** Testing aid: throw as a failing backend would, at this step (`?failAt=N` in the page's URL). */
  readonly failAt?: number;
}

/** Why a run ended early. */
export type FailureKind = 'backend' | 'memory' | 'data' | 'config' | 'training';

/** Worker → page. */
export type WorkerMessage =
  | { readonly type: 'status'; readonly text: string }
  | {
      readonly type: 'backend';
      readonly info: BackendInfo;
      /** Threads tfjs's wasm backend computes on (its `getThreadsCount()`; 1 on other backends). */
      readonly threadCount: number;
    }
  | {
      readonly type: 'progress';
      readonly step: number;
      /** Minibatch losses since the last progress message. */
      readonly losses: readonly { readonly step: number; readonly loss: number }[];
      /** Accuracy on the evaluation subset of the test split, when measured at this step. */
      readonly accuracy?: number;
      /** Steps per second so far. */
      readonly stepsPerSecond: number;
    }
  | { readonly type: 'report'; readonly report: GradientReport }
  | { readonly type: 'nonfinite'; readonly step: number; readonly loss: number }
  | {
      readonly type: 'done';
      readonly steps: number;
      readonly verdict: Verdict;
      readonly testAccuracy: number | undefined;
      readonly seconds: number;
      readonly diverged: boolean;
    }
  | { readonly type: 'error'; readonly kind: FailureKind; readonly message: string; readonly step: number | undefined; readonly backend: string | undefined };
