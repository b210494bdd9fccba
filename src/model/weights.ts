/**
 * The weights of a Hugging Face model folder: either one `model.safetensors`, or shards listed by
 * `model.safetensors.index.json` (`{metadata: {total_size}, weight_map: {tensor: shard file}}`),
 * which is how transformers saves checkpoints above its shard size limit.
 */
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../util/errors.js';
import type { SaveDtype } from './dtypes.js';
import { SafetensorsFile, storedBytes, writeSafetensors, type FloatTensor, type TensorInfo, type TensorToWrite } from './safetensors.js';
import { jsonErrorReason } from '../util/json-file.js';

export const SINGLE_WEIGHTS_FILE = 'model.safetensors';
export const WEIGHTS_INDEX_FILE = 'model.safetensors.index.json';
/** transformers' shard file names: model-00001-of-00003.safetensors */
const SHARD_NAME = /^model-\d{5}-of-\d{5}\.safetensors$/;

/** Every tensor of a model folder, readable by name whichever file holds it. */
export class WeightFiles {
  private constructor(
    readonly dir: string,
    private readonly files: SafetensorsFile[],
    /** tensor name -> the open file that holds it, in file then header order */
    private readonly owner: Map<string, SafetensorsFile>,
  ) {}

  static open(dir: string): WeightFiles {
    const indexPath = join(dir, WEIGHTS_INDEX_FILE);
    if (existsSync(indexPath)) return WeightFiles.openSharded(dir, indexPath);
    const single = join(dir, SINGLE_WEIGHTS_FILE);
    if (!existsSync(single)) {
      throw new UserError(
        `${dir} has neither ${SINGLE_WEIGHTS_FILE} nor ${WEIGHTS_INDEX_FILE} (only safetensors checkpoints are supported)`,
      );
    }
    const file = SafetensorsFile.open(single);
    return new WeightFiles(dir, [file], new Map([...file.tensors.keys()].map((name) => [name, file])));
  }

  private static openSharded(dir: string, indexPath: string): WeightFiles {
    const weightMap = readWeightMap(indexPath);
    const files = new Map<string, SafetensorsFile>();
    const owner = new Map<string, SafetensorsFile>();
    try {
      for (const [tensor, shard] of Object.entries(weightMap)) {
        if (basename(shard) !== shard) throw new UserError(`${indexPath}: shard name "${shard}" must be a plain file name`);
        let file = files.get(shard);
        if (file === undefined) {
          if (!existsSync(join(dir, shard))) throw new UserError(`${indexPath}: shard ${shard} (for tensor "${tensor}") is missing`);
          file = SafetensorsFile.open(join(dir, shard));
          files.set(shard, file);
        }
        if (!file.tensors.has(tensor)) throw new UserError(`${indexPath}: tensor "${tensor}" is not in its shard ${shard}`);
        owner.set(tensor, file);
      }
    } catch (error) {
      for (const file of files.values()) file.close();
      throw error;
    }
    return new WeightFiles(dir, [...files.values()], owner);
  }

  names(): string[] {
    return [...this.owner.keys()];
  }

  has(name: string): boolean {
    return this.owner.has(name);
  }

  info(name: string): TensorInfo {
    return this.file(name).info(name);
  }

  readFloat32(name: string): FloatTensor {
    return this.file(name).readFloat32(name);
  }

  close(): void {
    for (const file of this.files) file.close();
  }

  private file(name: string): SafetensorsFile {
    const file = this.owner.get(name);
    if (file === undefined) throw new UserError(`${this.dir}: no tensor named "${name}"`);
    return file;
  }
}

function readWeightMap(indexPath: string): Record<string, string> {
  let index: unknown;
  try {
    index = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch (error) {
    throw new UserError(`cannot read ${indexPath}: ${jsonErrorReason(error)}`, { cause: error });
  }
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || !Object.values(weightMap).every((v) => typeof v === 'string')) {
    throw new UserError(`${indexPath}: "weight_map" must be an object mapping tensor names to shard files`);
  }
  return weightMap as Record<string, string>;
}

/** The weight files named by an index (for downloads): the distinct shard names in first-use order. */
export function shardFilesOf(indexJson: unknown, source: string): string[] {
  const weightMap = (indexJson as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null) throw new UserError(`${source}: "weight_map" is missing`);
  const shards = [...new Set(Object.values(weightMap as Record<string, unknown>))];
  for (const shard of shards) {
    if (typeof shard !== 'string' || basename(shard) !== shard || !shard.endsWith('.safetensors')) {
      throw new UserError(`${source}: invalid shard file name ${JSON.stringify(shard)}`);
    }
  }
  return shards as string[];
}

/** transformers' default `max_shard_size` (5 GB, decimal as transformers counts it). */
export const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000;

/**
 * Writes tensors as `model.safetensors`, or as numbered shards plus an index when they exceed
 * `maxShardBytes` (a tensor larger than the limit gets a shard of its own, as in transformers).
 * Weight files of an earlier save that the new layout does not use are removed, so a folder never
 * holds two disagreeing checkpoints. Returns the weight file names written.
 */
export function writeWeightFiles(
  dir: string,
  tensors: readonly TensorToWrite[],
  opts: { dtype?: SaveDtype; maxShardBytes?: number } = {},
): string[] {
  const dtype = opts.dtype ?? 'F32';
  const limit = opts.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  let current: TensorToWrite[] = [];
  const groups: TensorToWrite[][] = [current];
  let groupBytes = 0;
  for (const t of tensors) {
    const bytes = storedBytes(t.dims, dtype);
    if (groupBytes > 0 && groupBytes + bytes > limit) {
      current = [];
      groups.push(current);
      groupBytes = 0;
    }
    current.push(t);
    groupBytes += bytes;
  }

  const written: string[] = [];
  if (groups.length === 1) {
    writeSafetensors(join(dir, SINGLE_WEIGHTS_FILE), tensors, { dtype });
    written.push(SINGLE_WEIGHTS_FILE);
  } else {
    const weightMap: Record<string, string> = {};
    const pad = (n: number) => String(n).padStart(5, '0');
    groups.forEach((group, i) => {
      const name = `model-${pad(i + 1)}-of-${pad(groups.length)}.safetensors`;
      writeSafetensors(join(dir, name), group, { dtype });
      for (const t of group) weightMap[t.name] = name;
      written.push(name);
    });
    const totalSize = tensors.reduce((sum, t) => sum + storedBytes(t.dims, dtype), 0);
    const temp = join(dir, `${WEIGHTS_INDEX_FILE}.tmp-${process.pid}`);
    writeFileSync(temp, JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2) + '\n');
    renameSync(temp, join(dir, WEIGHTS_INDEX_FILE));
    written.push(WEIGHTS_INDEX_FILE);
  }
  for (const name of readdirSync(dir)) {
    const isWeights = name === SINGLE_WEIGHTS_FILE || name === WEIGHTS_INDEX_FILE || SHARD_NAME.test(name);
    if (isWeights && !written.includes(name)) rmSync(join(dir, name));
  }
  return written;
}
