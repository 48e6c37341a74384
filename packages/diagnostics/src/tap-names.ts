// What a tap's name says about it: the step taps of recurrent layers (`<layer>.t<k>`) and the taps of
// attention layers (`<layer>.logits`, `<layer>.probs`) describe time and attention, not depth, so the
// depth rules leave them out and the temporal and attention rules read them.

const STEP = /^(.*)\.t(\d+)$/;
const ATTENTION = /^(.*)\.(logits|probs)$/;

/** `{ layer, t }` for a recurrent step tap `<layer>.t<k>`, else undefined. */
export function stepTap(name: string): { layer: string; t: number } | undefined {
  const m = STEP.exec(name);
  return m ? { layer: m[1] as string, t: Number(m[2]) } : undefined;
}

/** `{ layer, part }` for an attention tap `<layer>.logits` / `<layer>.probs`, else undefined. */
export function attentionTap(name: string): { layer: string; part: 'logits' | 'probs' } | undefined {
  const m = ATTENTION.exec(name);
  return m ? { layer: m[1] as string, part: m[2] as 'logits' | 'probs' } : undefined;
}

/** Whether a tap is a layer's output along the depth of the network (not a time step or an attention map). */
export function isDepthTap(name: string): boolean {
  return stepTap(name) === undefined && attentionTap(name) === undefined;
}
