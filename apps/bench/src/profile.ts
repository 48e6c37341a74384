// Profiles of one training step of the peer benchmark's nets (issue 13): gradkit's
// `Optimizer.minimize` and tfjs-layers' `trainOnBatch`, with gradkit's training fast paths on or
// off, through `profileStep` from @gradkit/diagnostics: per kernel and phase, where the step's time goes.
import { fastPathsEnabled, setFastPaths } from '@gradkit/core';
import { formatProfile, type ProfileStepOptions, profileStep, type StepProfile } from '@gradkit/diagnostics';
import type * as tf from '@tensorflow/tfjs-core';
import { PROFILE_LIBRARY_NAMES } from './args.js';
import { PEER_ADAM, PEER_MODELS, type PeerModel } from './peer.js';
import { peerData } from './peer-data.js';
import { gradkitSide, layersSide } from './peer-sides.js';

/** One of the libraries whose step is profiled (`PROFILE_LIBRARY_NAMES`). */
export type ProfileLibrary = (typeof PROFILE_LIBRARY_NAMES)[number];

/** Options of `benchProfiles`. */
export interface ProfilesOptions {
  /** The network (default `'mlp'`); `sizes` and `batch` override it. */
  readonly model?: PeerModel;
  readonly sizes?: readonly number[];
  readonly batch?: number;
  /** Which libraries (default both). */
  readonly libraries?: readonly ProfileLibrary[];
  /** Fast paths on, off, or both (default `[true, false]`). */
  readonly fastPaths?: readonly boolean[];
  /** `profileStep`'s options (steps, warmup, timedSteps). */
  readonly settings?: ProfileStepOptions;
  /** Kernels listed in each profile's `text` (default 10). */
  readonly top?: number;
}

/** One profile: which library, net and fast-path setting, and what `profileStep` returned. */
export interface BenchProfile {
  readonly library: ProfileLibrary;
  /** `'mlp'`, `'wide'` or `'custom'`. */
  readonly model: PeerModel | 'custom';
  readonly sizes: readonly number[];
  readonly batch: number;
  readonly fastPaths: boolean;
  readonly profile: StepProfile;
  /** `formatProfile(profile, { top })`: the text the docs show. */
  readonly text: string;
}

/**
 * Profiles one training step of the MLP in each library, with fast paths as asked (each library and
 * setting on a fresh copy of the net, from the peer benchmark's initial weights, on one minibatch).
 * Fast paths are put back as they were.
 */
export async function benchProfiles(options: ProfilesOptions = {}): Promise<BenchProfile[]> {
  const preset = PEER_MODELS[options.model ?? 'mlp'];
  const model = options.sizes !== undefined || options.batch !== undefined ? 'custom' : (options.model ?? 'mlp');
  const sizes = options.sizes ?? preset.sizes;
  const batch = options.batch ?? preset.batch;
  const hyper = { ...PEER_ADAM, learningRate: preset.learningRate };
  const data = peerData(sizes, batch, 1, 1);
  const wasOn = fastPathsEnabled();
  const out: BenchProfile[] = [];
  try {
    for (const fast of options.fastPaths ?? [true, false])
      for (const library of options.libraries ?? PROFILE_LIBRARY_NAMES) {
        setFastPaths(fast);
        const profile =
          library === 'gradkit'
            ? await profileWith(gradkitSide(data, hyper), (s) => profileStep({ optimizer: s.optimizer, loss: s.loss(0) }, options.settings))
            : await profileWith(layersSide(data, hyper), (s) =>
                profileStep({ model: s.model, x: data.xs[0] as tf.Tensor, y: data.ys[0] as tf.Tensor }, options.settings),
              );
        out.push({ library, model, sizes: [...sizes], batch, fastPaths: fast, profile, text: formatProfile(profile, { top: options.top ?? 10 }) });
      }
    return out;
  } finally {
    setFastPaths(wasOn);
    data.dispose();
  }
}

/** Runs `body` on `side`, then disposes it. */
async function profileWith<S extends { dispose(): void }>(side: S, body: (side: S) => Promise<StepProfile>): Promise<StepProfile> {
  try {
    return await body(side);
  } finally {
    side.dispose();
  }
}
