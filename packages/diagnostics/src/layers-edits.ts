// The config edits behind the remedies of a tfjs-layers model: each is an `edit` of the model's
// config (`model.getConfig()`: tfjs-layers' own keys, `className`/`config`, `kernelInitializer` …)
// and the names of the layers that must keep the fresh initialization of their new config, for
// `copyLayersModel(model, edit, fresh)`. Every other layer keeps the model's weights.
import type { LayersModelLike } from './doctor-types.js';
import type { LayersConfig } from './layers-model.js';

/** An edit for `copyLayersModel` and the layers it re-initializes. @example `copyLayersModel(model, e.edit, e.fresh)` */
export interface LayersEdit {
  readonly edit: (config: LayersConfig) => LayersConfig;
  readonly fresh: ReadonlySet<string>;
}

/** One layer of a model's config: `{ className, config: { name, … } }` (a functional model's also has `name` and `inboundNodes`). */
interface LayerEntry {
  className: string;
  config: Record<string, unknown>;
  name?: string;
}

/** Layers whose kernel the initialization remedies change. */
export const KERNEL_LAYERS = /^(Dense|Conv1D|Conv2D|Conv3D)$/;

/** tfjs-layers' serialized initializers for the re-initialization remedies. */
export const INITIALIZERS = {
  he: { className: 'HeNormal', config: { seed: null } },
  glorot: { className: 'GlorotUniform', config: { seed: null } },
  orthogonal: { className: 'Orthogonal', config: { gain: 1, seed: null } },
} as const;

/** The initializers' names in tfjs-layers' API (`kernelInitializer: 'heNormal'`). */
export type InitializerName = keyof typeof INITIALIZERS;

const entriesOf = (config: LayersConfig): LayerEntry[] => (Array.isArray(config.layers) ? (config.layers as LayerEntry[]) : []);
const nameOf = (e: LayerEntry) => String(e.config.name ?? e.name);

/** Applies `change` to each named layer, with its index among them (for per-layer seeds). */
function eachNamed(names: readonly string[], change: (e: LayerEntry, i: number) => void): (config: LayersConfig) => LayersConfig {
  return (config) => {
    for (const e of entriesOf(config)) {
      const i = names.indexOf(nameOf(e));
      if (i >= 0) change(e, i);
    }
    return config;
  };
}

/**
 * A serialized initializer, seeded with `seed + i + 1` when a seed is given (the same seed gives the
 * same weights; tfjs's random ops take a seed of 0 as none).
 */
function initializer(kind: InitializerName, seed: number | undefined, i: number): Record<string, unknown> {
  const { className, config } = INITIALIZERS[kind];
  return { className, config: { ...config, seed: seed === undefined ? null : seed + i + 1 } };
}

/** The model's output layers' names (`model.outputs[i].sourceLayer`; a Sequential's last layer otherwise). */
export function outputLayers(model: LayersModelLike): string[] {
  const outs = (model.outputs as readonly { sourceLayer?: { name?: unknown } }[]).flatMap((t) =>
    typeof t?.sourceLayer?.name === 'string' ? [t.sourceLayer.name] : [],
  );
  const last = model.layers[model.layers.length - 1];
  return outs.length > 0 ? outs : last ? [last.name] : [];
}

/** A layer of the model with its class and config. */
export interface LayerInfo {
  readonly name: string;
  readonly className: string;
  readonly activation?: string;
  readonly output: boolean;
}

/** The model's top-level layers: name, class, own activation and whether it is an output layer. */
export function layerInfos(model: LayersModelLike): LayerInfo[] {
  const outputs = outputLayers(model);
  return model.layers.map((l) => {
    let activation: unknown;
    try {
      activation = (l.getConfig() as { activation?: unknown }).activation;
    } catch {
      activation = undefined;
    }
    return { name: l.name, className: l.getClassName(), ...(typeof activation === 'string' ? { activation } : {}), output: outputs.includes(l.name) };
  });
}

/** The hidden Dense/Conv layers (not an output layer) whose own activation is one of `activations`. */
export function hiddenKernelLayers(model: LayersModelLike, activations?: readonly string[]): string[] {
  return layerInfos(model)
    .filter((l) => KERNEL_LAYERS.test(l.className) && !l.output && (activations === undefined || activations.includes(l.activation ?? '')))
    .map((l) => l.name);
}

/**
 * Switches the activation of the named layers to `activation` with `init` kernels, freshly
 * initialized (relu-he: `activation: 'relu', kernelInitializer: 'heNormal'`; tanh-glorot); with a
 * `seed`, the i-th named layer's initializer is seeded with `seed + i + 1`.
 */
export function switchActivation(layers: readonly string[], activation: string, init: InitializerName, seed?: number): LayersEdit {
  return {
    edit: eachNamed(layers, (e, i) => {
      e.config.activation = activation;
      e.config.kernelInitializer = initializer(init, seed, i);
    }),
    fresh: new Set(layers),
  };
}

/** Re-initializes the named layers' kernels with `init` (their biases with their own initializer), seeded as `switchActivation`. */
export function reinitKernels(layers: readonly string[], init: InitializerName, seed?: number): LayersEdit {
  return {
    edit: eachNamed(layers, (e, i) => {
      e.config.kernelInitializer = initializer(init, seed, i);
    }),
    fresh: new Set(layers),
  };
}

/** The momentum of the inserted BatchNormalization layers (tfjs-layers' convention: moving = momentum · moving + (1 − momentum) · batch). */
export const BN_MOMENTUM = 0.9;

/**
 * Inserts BatchNormalization after each named layer of a Sequential model, before its activation:
 * the layer gets `activation: 'linear'`, then `<name>_bn` (BatchNormalization) and `<name>_act`
 * (an Activation layer with the layer's activation, unless it was linear). The layers keep their
 * weights (their shapes do not change); the new ones are freshly initialized. The BatchNormalization
 * layers have momentum 0.9 (PyTorch's default; tfjs-layers' is 0.99): their moving statistics then
 * settle within a short trial, whose final loss is measured in inference mode (with 0.99, 100 steps
 * leave them a third of the way from their start, and a model that trains well scores as if it did not).
 */
export function insertBatchNorm(layers: readonly string[]): LayersEdit {
  const named = new Set(layers);
  return {
    edit: (config) => {
      const taken = new Set(entriesOf(config).map(nameOf));
      const unique = (base: string) => {
        let name = base;
        for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
        taken.add(name);
        return name;
      };
      config.layers = entriesOf(config).flatMap((e) => {
        const name = nameOf(e);
        if (!named.has(name)) return [e];
        const activation = typeof e.config.activation === 'string' ? e.config.activation : 'linear';
        e.config.activation = 'linear';
        const bn: LayerEntry = { className: 'BatchNormalization', config: { name: unique(`${name}_bn`), momentum: BN_MOMENTUM } };
        const act: LayerEntry[] = activation === 'linear' ? [] : [{ className: 'Activation', config: { activation, name: unique(`${name}_act`) } }];
        return [e, bn, ...act];
      });
      return config;
    },
    fresh: new Set(),
  };
}

/**
 * Replaces the named SimpleRNN layers by `GRU` or `LSTM` layers of the same name and units (tanh
 * with sigmoid gates; an LSTM with `unitForgetBias: true`), freshly initialized (Glorot-uniform
 * kernel, orthogonal recurrent kernel, as Keras; seeded from `seed` when given).
 */
export function gatedRecurrence(layers: readonly string[], to: 'GRU' | 'LSTM', seed?: number): LayersEdit {
  return {
    edit: eachNamed(layers, (e, i) => {
      e.className = to;
      e.config.activation = 'tanh';
      e.config.recurrentActivation = 'sigmoid';
      e.config.kernelInitializer = initializer('glorot', seed, 2 * i);
      e.config.recurrentInitializer = initializer('orthogonal', seed, 2 * i + 1);
      if (to === 'LSTM') e.config.unitForgetBias = true;
    }),
    fresh: new Set(layers),
  };
}
