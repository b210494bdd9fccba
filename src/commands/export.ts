import { Args, Flags } from '@oclif/core';
import { exportModel, type ExportResult } from '../api/export.js';
import { BaseCommand } from '../cli/base.js';

export default class Export extends BaseCommand {
  static override summary = 'Export a model as a folder transformers.js and Optimum load as it is, plus the training graphs.';
  static override description =
    "Writes onnx/model.onnx (onnx/model.onnx_data above 2 GiB) with Optimum's names (input_ids, attention_mask, " +
    'position_ids, past_key_values.{i}.key/value -> logits, last_hidden, present.{i}.key/value; dimensions ' +
    "batch_size, sequence_length, past_sequence_length) beside the model's config.json, generation_config.json " +
    'and tokenizer files; training graphs (onnx/train_ce.onnx, train_policy.onnx, score.onnx) take the trainable ' +
    'parameters as inputs named as in the checkpoint and return loss and grad.<name>; manifest.json lists it all.';
  static override examples = [
    '<%= config.bin %> export models/arith-tiny --out runs/arith-onnx',
    '<%= config.bin %> export Qwen/Qwen2.5-Math-1.5B --out qwen-onnx --trainable "layers\\.2[67]\\."',
  ];
  static override args = {
    'model-dir': Args.string({ required: true, description: 'Hugging Face model folder or Hub id (org/name[@revision]).' }),
  };
  static override flags = {
    out: Flags.string({ char: 'o', required: true, summary: 'Output folder for the .onnx files and manifest.json.' }),
    trainable: Flags.string({ multiple: true, summary: 'Regex over parameter names to train (repeatable); default all; "none" for none.' }),
  };

  async run(): Promise<ExportResult> {
    const { args, flags } = await this.parse(Export);
    this.openLogger(flags);
    const trainable = !flags.trainable ? 'all' : flags.trainable.length === 1 && flags.trainable[0] === 'none' ? 'none' : flags.trainable;
    const result = await exportModel({ modelDir: args['model-dir'], outDir: flags.out, trainable });
    for (const file of result.files) this.log(file);
    return result;
  }
}
