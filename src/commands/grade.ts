import { Flags } from '@oclif/core';
import { gradeFile, type GradeFileResult } from '../api/grade.js';
import { BaseCommand } from '../cli/base.js';

export default class Grade extends BaseCommand {
  static override summary = "Grade responses against reference answers with introspect's verifier.";
  static override description =
    'Each line of the input is {"response": "...", "answer": "..."}, or, with --task, a record with that task\'s own ' +
    'fields (e.g. gsm8k lines with "answer"). Prints the accuracy; --json prints it with the per-line verdicts.';
  static override examples = [
    '<%= config.bin %> grade --input outputs.jsonl',
    '<%= config.bin %> grade --input outputs.jsonl --json',
    '<%= config.bin %> grade --input gsm8k-outputs.jsonl --task gsm8k',
  ];
  static override flags = {
    input: Flags.string({ char: 'i', required: true, summary: 'JSON-lines file to grade.' }),
    task: Flags.string({ summary: "Read the gold answer from this task's own fields." }),
    workers: Flags.integer({ min: 1, summary: 'Grading threads (default: the cores less one; 1 grades in the main thread).' }),
  };

  async run(): Promise<GradeFileResult & { correct: number; total: number }> {
    const { flags } = await this.parse(Grade);
    this.openLogger(flags);
    const result = await gradeFile({ input: flags.input, task: flags.task, workers: flags.workers });
    const correct = result.verdicts.filter((v) => v.correct).length;
    this.log(`accuracy: ${(result.accuracy * 100).toFixed(2)}% (${correct}/${result.verdicts.length})`);
    return { accuracy: result.accuracy, correct, total: result.verdicts.length, verdicts: result.verdicts };
  }
}
