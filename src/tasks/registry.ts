import { Registry } from '../util/registry.js';
import { aime24 } from './datasets/aime24.js';
import { amc23 } from './datasets/amc23.js';
import { gsm8k } from './datasets/gsm8k.js';
import { math500 } from './datasets/math500.js';
import { minervaMath } from './datasets/minerva-math.js';
import { olympiadbench } from './datasets/olympiadbench.js';
import { countdown } from './synthetic/countdown-task.js';
import { syntheticArith } from './synthetic/synthetic-arith.js';
import { TASK_NAMES, type TaskDefinition, type TaskName } from './task.js';

/** Every task by name; `tasks.get(name)` lists the valid names when `name` is unknown. */
export const tasks = new Registry<TaskName, TaskDefinition>('task');
for (const task of [gsm8k, math500, aime24, amc23, minervaMath, olympiadbench, syntheticArith, countdown]) {
  tasks.register(task.name, task);
}
tasks.expectNames(TASK_NAMES); // a loop the types cannot follow: check the names once, at load

/** The task named `name`; throws UnknownNameError listing the valid names. */
export function getTask(name: string): TaskDefinition {
  return tasks.get(name);
}
