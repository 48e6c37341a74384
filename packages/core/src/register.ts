// Registers core's own transformations by name, for configs (transformationFromConfig / optimizerFromConfig).
import { registerTransformation } from './config.js';
import { checkOptions } from './options.js';
import { type PartitionLabels, partition } from './partition.js';
import { setToZero } from './set-to-zero.js';
import type { GradientTransformation } from './transform.js';

const builtinOf = '@gradkit/core';

registerTransformation(
  'partition',
  (o) => {
    checkOptions('partition', o, ['transforms', 'labels'], {
      example: "{ name: 'partition', transforms: { decay: {...}, frozen: { name: 'setToZero' } }, labels: {...} }",
      required: true,
    });
    return partition(o.transforms as Record<string, GradientTransformation>, o.labels as PartitionLabels);
  },
  { builtinOf, dataKeys: ['labels'] },
);
registerTransformation(
  'setToZero',
  (o) => {
    checkOptions('setToZero', o, [], { example: "{ name: 'setToZero' }" });
    return setToZero();
  },
  { builtinOf },
);
