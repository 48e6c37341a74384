// `gradient-lab compare --task <name>` for a task other than `mlp`: start the backend, train each run
// with a progress bar, print the table and the notes, write report.html and report.json.
import { type CompareCommand, taskSettings } from '../args.js';
import { EXIT, type LabIO, startBackend } from '../cli-io.js';
import { ProgressBar } from '../progress.js';
import { num } from '../table.js';
import { TASK_DEFINITIONS } from './index.js';
import type { TaskDefinition, TaskRun } from './task.js';
import { formatTaskTable, type TaskEntry, type TaskReportContext, taskAgrees, taskNotes, writeTaskReport } from './task-report.js';

/** The runs of `only` (ids, in the task's order), or all of them. */
export function selectRuns(runs: readonly TaskRun[], only: readonly string[] | undefined): TaskRun[] {
  return only === undefined ? [...runs] : runs.filter((r) => only.includes(r.id));
}

/** Trains one run with a progress bar labelled `label`. */
async function trainWithBar(io: LabIO, task: TaskDefinition, run: TaskRun, cmd: CompareCommand, label: string): Promise<TaskEntry> {
  const settings = taskSettings(task, cmd);
  const bar = new ProgressBar(io.stdout, { label, total: settings.steps });
  const result = await task.train(run, settings, (p) => bar.update(p.step, Number.isFinite(p.loss) || p.step > 0 ? `loss ${num(p.loss)}` : ''));
  const agrees = taskAgrees(run.expect, result);
  bar.finish(
    result.stepsTaken,
    `${result.verdict}${result.diverged ? ` (diverged at step ${result.stepsTaken})` : ''}  ${task.metric.name} ${task.metric.format(result.metric)}  loss ${num(result.finalLoss)}  ${agrees ? 'agrees' : 'differs'}`,
  );
  return { result, agrees };
}

/**
 * Runs `compare --task <cmd.task>` (not `mlp`) and returns the exit code: every run of the task (or
 * those of `--only`) in order, the table with the literature column, the notes, and the report files.
 */
export async function compareTask(cmd: CompareCommand, io: LabIO, argv: readonly string[]): Promise<number> {
  const started = performance.now();
  const task = TASK_DEFINITIONS[cmd.task];
  if (task === undefined) throw new Error(`compareTask: no task '${cmd.task}'`);
  const settings = taskSettings(task, cmd);
  const runs = selectRuns(task.runs(settings), cmd.only);
  const { line } = await startBackend(cmd.backend, io);
  io.stdout.write(`task ${task.name}: ${runs.length} runs, ${settings.steps} steps of ${settings.batch}, seed ${settings.seed}\n`);
  io.stdout.write(`scaled down: ${task.scaledDown}\n\n`);
  const entries: TaskEntry[] = [];
  for (const [i, run] of runs.entries()) entries.push(await trainWithBar(io, task, run, cmd, `[${i + 1}/${runs.length}] ${run.id}`));
  const notes = taskNotes(task, entries);
  io.stdout.write(`\n${formatTaskTable(task, entries)}\n`);
  if (notes.length > 0) io.stdout.write(`\nnotes:\n${notes.map((n) => `- ${n}`).join('\n')}\n`);
  const context: TaskReportContext = {
    command: `gradient-lab ${argv.join(' ')}`.trim(),
    backend: line,
    settings,
    notes,
    seconds: (performance.now() - started) / 1000,
  };
  let paths: { html: string; json: string };
  try {
    paths = writeTaskReport(cmd.out ?? '.', task, entries, context);
  } catch (e) {
    io.stderr.write(`gradient-lab: could not write the report into '${cmd.out}': ${(e as Error).message}\n`);
    if (process.env.GRADIENT_LAB_DEBUG) io.stderr.write(`${(e as Error).stack}\n`);
    return EXIT.failure;
  }
  io.stdout.write(`\nreport written to:\n  ${paths.html}\n  ${paths.json}\n(${context.seconds.toFixed(1)} s in all)\n`);
  return EXIT.ok;
}

/** The lines that tell how to run every task but `mlp`, with the time each took when measured (the demo's last lines). */
export function otherTasksHint(): string {
  const lines = Object.values(TASK_DEFINITIONS).map(
    (t) => `  gradient-lab compare --task ${t.name.padEnd(11)}  ${t.title.replace(/^gradient-lab: /, '')}${t.measuredTime ? ` (${t.measuredTime})` : ''}`,
  );
  return lines.length === 0 ? '' : `\nthe other comparisons (node apps/gradient-lab/dist/cli.js compare --task <name>):\n${lines.join('\n')}\n`;
}
