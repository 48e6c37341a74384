// The remedies that change the model itself (re-initialization, activations, normalization, gated
// recurrence), as actions: for a tfjs-layers model, config edits of a copy (layers-edits.ts) naming its
// layers; for a gradkit module, re-initialization by parameter path, the rest being the user's code.
import { flatten } from '@gradkit/core';
import type { GradkitModelTarget, LayersModelLike, RemedyAction } from './doctor-types.js';
import { hiddenKernelLayers, KERNEL_LAYERS, layerInfos } from './layers-edits.js';
import { remediesFor } from './remedies.js';
import { layersPhrases } from './remedies-layers.js';
import type { Diagnosis, RemedyName } from './remedy-actions.js';
import type { FindingKind } from './report.js';

/** Finding kinds whose `where` names the layers at fault (vanishing and exploding name a range, first … last). */
const NAMING_KINDS: readonly FindingKind[] = ['deadUnits', 'saturation', 'explodingActivations', 'nonfinite'];

/**
 * The layers among `candidates` that the findings' `where` names (`<layer>/kernel` …), when every
 * answered kind names its layers; else (a vanishing or exploding range, or no layer named) all of them.
 */
function pointedAt(candidates: readonly string[], diagnosis: Diagnosis, answers: readonly FindingKind[]): string[] {
  if (answers.length === 0 || answers.some((k) => !NAMING_KINDS.includes(k))) return [...candidates];
  const where = diagnosis.findings.filter((f) => answers.includes(f.kind)).map((f) => f.where);
  const named = candidates.filter((l) => where.some((w) => w.includes(`${l}/`) || w.split(/[\s,;]+/).includes(l)));
  return named.length > 0 ? named : [...candidates];
}

const list = (names: readonly string[]) => names.join(', ');

/** Makes the action from its title, code, params and, where it cannot be applied, why not. */
export type MakeAction = (title: string, code: string, params: RemedyAction['params'], whyNot?: string) => RemedyAction;

const INIT_TEXT = {
  'reinit-he': ['He normal', 'heNormal'],
  'reinit-glorot': ['Glorot uniform', 'glorotUniform'],
  'reinit-orthogonal': ['orthogonal', 'orthogonal'],
} as const;

/** The model remedies of a tfjs-layers model: config edits of a copy (see layers-edits.ts). */
export function layersAction(name: RemedyName, model: LayersModelLike, diagnosis: Diagnosis, answers: readonly FindingKind[], make: MakeAction): RemedyAction {
  const p = layersPhrases();
  const infos = layerInfos(model);
  const kernels = infos.filter((l) => KERNEL_LAYERS.test(l.className)).map((l) => l.name);
  switch (name) {
    case 'reinit-he':
    case 'reinit-glorot':
    case 'reinit-orthogonal': {
      const byKind = infos.filter(
        (l) => KERNEL_LAYERS.test(l.className) && (name === 'reinit-he' ? l.activation === 'relu' : ['tanh', 'sigmoid'].includes(l.activation ?? '')),
      );
      const dense = name === 'reinit-orthogonal' ? infos.filter((l) => l.className === 'Dense').map((l) => l.name) : kernels;
      const pool = name === 'reinit-orthogonal' ? dense : byKind.length > 0 ? byKind.map((l) => l.name) : kernels;
      const chosen = pointedAt(pool, diagnosis, answers);
      const [label, id] = INIT_TEXT[name];
      const phrase = name === 'reinit-he' ? p.heForRelu : name === 'reinit-glorot' ? p.glorotForTanh : `kernelInitializer: 'orthogonal' on the Dense layers`;
      return make(
        `re-initialize the kernels of ${list(chosen)} (${label})`,
        `kernelInitializer: '${id}' on ${list(chosen)}: ${phrase}`,
        { layers: chosen },
        chosen.length === 0 ? `the model has no ${name === 'reinit-orthogonal' ? 'Dense' : 'Dense or Conv'} layers` : undefined,
      );
    }
    case 'relu-he':
    case 'tanh-glorot': {
      const chosen = hiddenKernelLayers(model, name === 'relu-he' ? ['sigmoid', 'tanh'] : ['sigmoid']);
      const what = name === 'relu-he' ? 'sigmoid or tanh' : 'sigmoid';
      return make(
        name === 'relu-he'
          ? `switch the hidden layers ${list(chosen)} to relu with He initialization`
          : `switch the hidden layers ${list(chosen)} to tanh with Glorot initialization`,
        `${name === 'relu-he' ? p.heRelu : p.tanhGlorot}: on ${list(chosen)} (the output layer keeps its activation)`,
        { layers: chosen },
        chosen.length === 0 ? `the model has no hidden Dense/Conv layers with a ${what} activation` : undefined,
      );
    }
    case 'insert-batchnorm': {
      const chosen = hiddenKernelLayers(model);
      const whyNot =
        model.getClassName() !== 'Sequential'
          ? `the model is a ${model.getClassName()}, not a Sequential: in your model code, ${p.batchNorm}`
          : chosen.length === 0
            ? 'the model has no hidden Dense/Conv layers'
            : model.layers.some((l) => l.getClassName() === 'BatchNormalization')
              ? 'the model has BatchNormalization layers already'
              : undefined;
      return make(
        `insert BatchNormalization after ${list(chosen)}, before their activation`,
        `${p.batchNorm}: after ${list(chosen)}`,
        { layers: chosen },
        whyNot,
      );
    }
    default: {
      const to = name === 'gated-recurrence' ? 'GRU' : 'LSTM';
      const chosen = model.layers.filter((l) => l.getClassName() === 'SimpleRNN').map((l) => l.name);
      const call = to === 'GRU' ? 'tf.layers.gru' : 'tf.layers.lstm';
      return make(
        `replace the SimpleRNN layers ${list(chosen)} by ${to} layers of the same units`,
        `${call}({ units, … }) instead of tf.layers.simpleRNN({ units, … }) for ${list(chosen)}: a gated layer carries the gradient across time steps (Hochreiter & Schmidhuber 1997; Cho et al. 2014)`,
        { layers: chosen, to },
        chosen.length === 0 ? 'the model has no SimpleRNN layers' : undefined,
      );
    }
  }
}

/** The model remedies of a gradkit module: re-initialization by parameter path; the architecture edits are the user's code. */
export function gradkitAction(name: RemedyName, target: GradkitModelTarget, make: MakeAction): RemedyAction {
  const p = remediesFor([], [], []).phrases;
  if (name === 'reinit-he' || name === 'reinit-glorot' || name === 'reinit-orthogonal') {
    const paths = flatten(target.module.params)
      .filter((e) => e.value.rank >= 2 && (name !== 'reinit-orthogonal' || e.value.rank === 2))
      .map((e) => e.path);
    const [label, id] = INIT_TEXT[name];
    return make(
      `re-initialize ${list(paths)} (${label})`,
      `for each of ${list(paths)}: param.assign(${id}()(param.shape)) (${id} from @gradkit/initializers)`,
      { paths },
      paths.length === 0 ? 'the module has no parameters of rank 2 or more' : undefined,
    );
  }
  const text: Partial<Record<RemedyName, string>> = {
    'relu-he': p.heRelu,
    'tanh-glorot': p.tanhGlorot,
    'insert-batchnorm': p.batchNorm,
    'gated-recurrence': 'gru({ inputSize, hiddenSize }) from @gradkit/nn instead of simpleRnn',
    'gated-recurrence-lstm': 'lstm({ inputSize, hiddenSize }) from @gradkit/nn instead of simpleRnn',
  };
  const code = text[name] ?? name;
  return make(code, code, {}, `a gradkit module is your code, which the doctor cannot edit: change it there: ${code}`);
}
