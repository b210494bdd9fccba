import { Flags } from '@oclif/core';
import { gradeFile } from '../api/grade.js';
import { BaseCommand } from '../cli/base.js';

export default class Grade extends BaseCommand {
  static override summary = 'Grade responses against reference answers with introspect\'s verifier.';
  static override description =
    'Each line of the input is {"response": "...", "answer": "..."}, or, with --task, a record with that task\'s own ' +
    'fields (e.g. gsm8k lines with "answer"). Prints the accuracy, and per-line verdicts with --json.';
  static override examples = [
    '<%= config.bin %> grade --input outputs.jsonl',
    '<%= config.bin %> grade --input outputs.jsonl --json',
    '<%= config.bin %> grade --input gsm8k-outputs.jsonl --task gsm8k',
  ];
  static override flags = {
    input: Flags.string({ char: 'i', required: true, summary: 'JSON-lines file to grade.' }),
    task: Flags.string({ summary: 'Read the gold answer from this task\'s own fields.' }),
    workers: Flags.integer({ min: 1, summary: 'Grading threads (default: the cores less one; 1 grades in the main thread).' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Grade);
    this.openLogger({ ...flags, json: false });
    const result = await gradeFile({ input: flags.input, task: flags.task, workers: flags.workers });
    if (flags.json) {
      for (const v of result.verdicts) this.log(JSON.stringify(v));
    }
    const correct = result.verdicts.filter((v) => v.correct).length;
    this.log(`accuracy: ${(result.accuracy * 100).toFixed(2)}% (${correct}/${result.verdicts.length})`);
  }
}
