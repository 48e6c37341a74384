// Layer-relative names for the variables of a tfjs-layers model, so that optimizer state saved from
// one model instance loads into another instance of the same architecture, whatever tfjs's global
// counters were when each was built.
import { GradkitError } from '@gradkit/core';

/** tfjs-layers' `toSnakeCase` (utils/generic_utils.ts): how it turns a class name into the prefix of an automatic layer name. */
function toSnakeCase(name: string): string {
  const insecure = name
    .replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
  return insecure.startsWith('_') ? `private${insecure}` : insecure;
}

/** The class of an automatic tfjs-layers layer name (`dense_Dense3` → `Dense`), or undefined for a name the user gave. */
function autoNamedClass(segment: string): string | undefined {
  const m = /^(.+)_([A-Z][A-Za-z0-9]*?)(\d+)$/.exec(segment);
  return m && toSnakeCase(m[2] as string) === m[1] ? (m[2] as string) : undefined;
}

/** tfjs-layers' de-duplication suffix (`kernel_1`: the name was taken, e.g. by a model loaded twice in one process), removed. */
const withoutSuffix = (weight: string) => weight.replace(/(_\d+)+$/, '');

/**
 * The layer-relative name of each variable, in the same order. tfjs-layers names a layer's variable
 * `<layer>/<weight>` (e.g. `dense_Dense3/kernel`), where an automatic layer name carries a counter
 * global to the process (`dense_Dense3` here may be `dense_Dense7` in a model re-created later) and
 * a name already taken gets a suffix (`kernel_1`). The layer-relative name replaces each automatic
 * layer name's counter with `#k`, the layer's ordinal (from 1) among the layers of its class in the
 * list, in the list's order (tfjs-layers passes a model's weights in layer order), and removes the
 * suffix: `dense_Dense3/kernel` → `dense_Dense#1/kernel`. Names the user gave layers are kept
 * (`head/kernel`). Weights of one layer whose names differ only by a trailing `_<digits>` get `@i`,
 * their index among those. Names without a `/` (variables made outside tfjs-layers) are kept.
 *
 * @throws GradkitError (code `NAME_COLLISION`) if two variables would get the same name.
 */
export function layerRelativeNames(variableNames: readonly string[]): string[] {
  const ordinals = new Map<string, number>(); // automatic layer name → its ordinal among its class
  const perClass = new Map<string, number>();
  const layerOf = (segment: string): string => {
    const cls = autoNamedClass(segment);
    if (cls === undefined) return segment;
    let k = ordinals.get(segment);
    if (k === undefined) {
      k = (perClass.get(cls) ?? 0) + 1;
      perClass.set(cls, k);
      ordinals.set(segment, k);
    }
    return `${segment.replace(/\d+$/, '')}#${k}`;
  };
  const split = variableNames.map((name) => {
    const segments = name.split('/');
    if (segments.length === 1) return { scope: null, weight: name };
    const weight = segments.pop() as string;
    return { scope: segments.map(layerOf).join('/'), weight: withoutSuffix(weight) };
  });
  const count = new Map<string, number>();
  for (const { scope, weight } of split) if (scope !== null) count.set(`${scope}/${weight}`, (count.get(`${scope}/${weight}`) ?? 0) + 1);
  const seen = new Map<string, number>();
  const names = split.map(({ scope, weight }) => {
    if (scope === null) return weight;
    const base = `${scope}/${weight}`;
    if ((count.get(base) ?? 0) < 2) return base;
    const i = seen.get(base) ?? 0;
    seen.set(base, i + 1);
    return `${base}@${i}`;
  });
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined)
    throw new GradkitError(
      'NAME_COLLISION',
      `two variables (${variableNames.filter((_, i) => names[i] === dup).join(', ')}) get the layer-relative name '${dup}': rename a layer`,
    );
  return names;
}
