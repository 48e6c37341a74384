// The configuration a link asks for (`?preset=adding-lstm&seqLength=80&backend=wasm`) and the controls a
// preset button sets. Settings that do not apply are ignored with a sentence the page shows.
import {
  DEFAULT_CONFIG,
  inapplicable,
  LIMITS,
  type PlaygroundConfig,
  PRESETS,
  type Preset,
  presetTask,
  TASK_CONTROLS,
  TASK_DEFAULTS,
  TASKS,
  type TaskName,
} from './config.js';

/** URL parameters that are not controls. */
const PAGE_PARAMS = ['backend', 'preset', 'failAt'];

/**
 * The configuration a URL asks for: its preset's (or the task's defaults), then each control it sets.
 * A control the task does not read, an unknown parameter, an unknown preset or task is ignored with a
 * sentence in `warnings` (the page shows them and stays usable).
 */
export function configFromUrl(params: URLSearchParams): { config: PlaygroundConfig; warnings: string[] } {
  const warnings: string[] = [];
  const presetId = params.get('preset');
  const preset = PRESETS.find((p) => p.id === presetId);
  if (presetId !== null && !preset) warnings.push(`unknown preset '${presetId}' (one of ${PRESETS.map((p) => p.id).join(', ')})`);
  let task: TaskName = preset ? presetTask(preset) : 'mlp';
  const askedTask = params.get('task');
  if (askedTask !== null) {
    if (TASKS.includes(askedTask as TaskName)) task = askedTask as TaskName;
    else warnings.push(`unknown task '${askedTask}' (one of ${TASKS.join(', ')}); showing the ${task} task`);
  }
  const c: Record<string, unknown> = { ...DEFAULT_CONFIG, ...TASK_DEFAULTS[task], ...(preset && presetTask(preset) === task ? preset.changes : {}) };
  const keys = [...params.keys()];
  const unknown = keys.filter((k) => !(k in DEFAULT_CONFIG) && !PAGE_PARAMS.includes(k));
  if (unknown.length)
    warnings.push(
      `unknown setting${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (the controls are ${Object.keys(DEFAULT_CONFIG).join(', ')})`,
    );
  const ignored = inapplicable(task, keys);
  if (ignored.length)
    warnings.push(
      `${ignored.map((k) => `'${k}'`).join(', ')} ${ignored.length > 1 ? 'do' : 'does'} not apply to the ${task} task (it reads ${TASK_CONTROLS[task].join(', ')}); ignored`,
    );
  for (const key of TASK_CONTROLS[task]) {
    const v = params.get(key);
    if (v === null) continue;
    c[key] = key in LIMITS ? Number(v) : key === 'residual' ? v === 'true' : v;
  }
  c.task = task;
  return { config: c as unknown as PlaygroundConfig, warnings };
}

/** The controls a preset sets: the task's defaults and the preset's changes, keeping the sizes the user chose when the task stays the same. */
export function presetControls(p: Preset, current: PlaygroundConfig): Partial<PlaygroundConfig> {
  const task = presetTask(p);
  if (task !== current.task) return { ...DEFAULT_CONFIG, ...p.changes };
  const sizes = ['steps', 'batch', 'width', 'depth', 'seqLength'] as const;
  const kept = Object.fromEntries(sizes.filter((k) => TASK_CONTROLS[task].includes(k)).map((k) => [k, current[k]]));
  const defaults: Partial<PlaygroundConfig> = TASK_DEFAULTS[task];
  const own = Object.fromEntries(Object.entries(p.changes).filter(([k, v]) => defaults[k as keyof PlaygroundConfig] !== v));
  return { ...DEFAULT_CONFIG, ...defaults, ...kept, ...own };
}
