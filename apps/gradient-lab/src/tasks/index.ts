// The tasks of `gradient-lab compare --task <name>` besides `mlp` (the MNIST MLP matrix of experiments.ts).
import { ADDING_TASK } from './adding.js';
import { cnnTask } from './cnn.js';
import type { TaskDefinition, TaskName } from './task.js';
import { transformerTask } from './transformer.js';

/** Every task of `compare --task` but `mlp`, by name (a task not listed here is refused as not available in this build). */
export const TASK_DEFINITIONS: Readonly<Partial<Record<TaskName, TaskDefinition>>> = {
  adding: ADDING_TASK,
  cnn: cnnTask,
  transformer: transformerTask,
};
