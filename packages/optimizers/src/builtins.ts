// Registers every built-in optimizer by name, for optimizerFromConfig({ name, ...options }).
import type { GradientTransformation } from '@gradkit/core';
import { adabelief } from './adabelief.js';
import { adadelta } from './adadelta.js';
import { adafactor } from './adafactor.js';
import { adagrad } from './adagrad.js';
import { adam } from './adam.js';
import { adamax } from './adamax.js';
import { adamw } from './adamw.js';
import { lamb } from './lamb.js';
import { lars } from './lars.js';
import { lion } from './lion.js';
import { nadam } from './nadam.js';
import { radam } from './radam.js';
import { registerOptimizer } from './registry.js';
import { rmsprop } from './rmsprop.js';
import { sgd } from './sgd.js';

const builtins: Record<string, (options: never) => GradientTransformation> = {
  adabelief,
  adadelta,
  adafactor,
  adagrad,
  adam,
  adamax,
  adamw,
  lamb,
  lars,
  lion,
  nadam,
  radam,
  rmsprop,
  sgd,
};

for (const [name, factory] of Object.entries(builtins)) registerOptimizer(name, factory as (options: object) => GradientTransformation);
