// tryRemedies: every remedy measured on the user's model and data, each on its own copy from the same
// weights, for the same budget and batches as the baseline (the diagnosis's probe fit), then ranked.
import { checkOptions, UnknownOptionError, ValueError } from '@gradkit/core';
import * as tf from '@tensorflow/tfjs-core';
import { applyRemedy } from './apply-remedy.js';
import { diagnoseModel } from './diagnose-model.js';
import { checkTarget, DIAGNOSE_KEYS } from './doctor-checks.js';
import type { DoctorTarget, ModelDiagnosis, RemedyAction, RemedyOutcome, RemedyTrial, TryRemediesOptions } from './doctor-types.js';
import { isGradkitTarget, type ProbeFitResult, probeFit, snapshot } from './probe-fit.js';
import { rankRemedies } from './rank-remedies.js';
import { checkDiagnosis, REMEDY_NAMES, remedyAction } from './remedy-actions.js';

const EXAMPLE = "tryRemedies(model, { data: { x, y }, budget: 100, remedies: ['relu-he', 'insert-batchnorm'] })";

/** The measured part of an outcome, from a probe fit or the diagnosis. */
function measured(fit: ProbeFitResult | ModelDiagnosis): Partial<RemedyOutcome> {
  return {
    verdict: fit.verdict,
    findings: [...new Set(fit.findings.map((f) => f.kind))],
    initialLoss: fit.initialLoss,
    finalLoss: fit.finalLoss,
    losses: fit.losses,
    spikes: fit.spikes,
  };
}

/** The names to try, checked: a list of known remedy names, no repeats. */
function requested(remedies: unknown): string[] | undefined {
  if (remedies === undefined) return undefined;
  if (!Array.isArray(remedies) || remedies.some((r) => typeof r !== 'string'))
    throw new ValueError('remedies', `remedies must be a list of remedy names (${REMEDY_NAMES.join(', ')}); got ${String(remedies)}`);
  const unknown = remedies.find((r) => !(REMEDY_NAMES as readonly string[]).includes(r));
  if (unknown !== undefined)
    throw new UnknownOptionError('remedies', `'${unknown}' is not a remedy; the remedies are ${REMEDY_NAMES.join(', ')}`, REMEDY_NAMES, undefined);
  return [...new Set(remedies as string[])];
}

async function trial(target: DoctorTarget, action: RemedyAction, diagnosis: ModelDiagnosis, options: TryRemediesOptions): Promise<RemedyOutcome> {
  const head = { name: action.name, title: action.title, code: action.code };
  if (!action.applicable) return { ...head, applied: false, whyNot: action.whyNot ?? 'not applicable to this model' };
  const remedied = applyRemedy(target, action, diagnosis.settings);
  try {
    const fit = await probeFit({
      target: remedied.target,
      optimizer: remedied.optimizer,
      settings: diagnosis.settings,
      data: options.data,
      phase: action.name,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    return { ...head, applied: true, ...measured(fit) };
  } finally {
    if (remedied.target !== target) (remedied.target as { dispose(): unknown }).dispose();
    if (remedied.optimizer instanceof tf.Optimizer) remedied.optimizer.dispose();
  }
}

/**
 * Tries each remedy on a copy of the model from the same initial weights for the same budget, and
 * ranks them by the measured outcome beside the untouched baseline.
 *
 * The baseline is the diagnosis's probe fit (`options.diagnosis`, else `diagnoseModel(target,
 * options)`). When it is healthy without findings and no `remedies` are named, nothing is tried and
 * nothing recommended. Otherwise each remedy (`options.remedies`, else every one of the diagnosis's
 * `remedies`) is applied with `applyRemedy` and probe-fit with the diagnosis's settings on the same
 * batches; a remedy that cannot be applied is reported with `applied: false` and why. Ranking
 * (`rankRemedies`): applied with a finite final loss first, a healthy verdict before the others, then
 * the final loss ascending; `improvement` = baseline finalLoss / finalLoss; `recommended` is the best
 * when its final loss is at most 0.9 × the baseline's and its verdict is not worse. Every copy and
 * optimizer is disposed; a gradkit module's parameters are put back after each trial. Progress
 * (`onProgress`) has the remedy's name as `phase`.
 *
 * @throws UnknownOptionError naming `remedies` for a name that is not a remedy (with the valid
 *   names), or for an unknown option; ValueError for `remedies` that is not a list of names; what
 *   `diagnoseModel` throws for bad data or settings.
 * @example
 * ```ts
 * const t = await tryRemedies(model, { data, budget: 100 });
 * for (const r of t.remedies) console.log(r.rank, r.name, r.finalLoss, r.improvement);
 * console.log(t.recommended?.name ?? 'nothing to change');
 * ```
 */
export async function tryRemedies(target: DoctorTarget, options: TryRemediesOptions): Promise<RemedyTrial> {
  checkTarget(target);
  const o = checkOptions('tryRemedies', options, [...DIAGNOSE_KEYS, 'remedies', 'diagnosis'], { example: EXAMPLE, required: true });
  const names = requested(o.remedies);
  const { remedies: _r, diagnosis: given, ...diagnose } = o;
  if (given !== undefined) {
    checkDiagnosis(given);
    if (!Array.isArray(given.remedies))
      throw new ValueError('diagnosis.remedies', 'diagnosis must be what diagnoseModel returned for this model with the same options (with its remedies)');
  }
  if (o.data === undefined || o.data === null) throw new ValueError('data', `tryRemedies needs the data: ${EXAMPLE}`);
  const diagnosis = given ?? (await diagnoseModel(target, diagnose));
  const baseline: RemedyOutcome = { name: 'baseline', title: 'the model as it is', applied: true, code: '', ...measured(diagnosis) };
  if (names === undefined && diagnosis.verdict === 'healthy' && diagnosis.findings.length === 0) return { diagnosis, baseline, remedies: [] };
  const actions = names ? names.map((n) => diagnosis.remedies.find((a) => a.name === n) ?? remedyAction(n, target, diagnosis)) : diagnosis.remedies;
  // A gradkit module cannot be copied: its parameters (and buffers) are put back after each trial.
  const saved = isGradkitTarget(target) ? snapshot(target.module) : undefined;
  const outcomes: RemedyOutcome[] = [];
  try {
    for (const action of actions) {
      try {
        outcomes.push(await trial(target, action, diagnosis, o));
      } catch (e) {
        // One remedy that cannot be built or trained on this model (a config tfjs-layers cannot rebuild)
        // is that remedy's outcome, not the end of the others'.
        outcomes.push({
          name: action.name,
          title: action.title,
          code: action.code,
          applied: false,
          whyNot: `it failed on this model: ${(e as Error).message}`,
        });
      } finally {
        saved?.restore();
      }
    }
  } finally {
    saved?.dispose();
  }
  return { diagnosis, baseline, ...rankRemedies(baseline, outcomes) };
}
