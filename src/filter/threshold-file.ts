// memsieve threshold: the corpus-wide --remove-top cut of a sharded filter run, as a map and a reduce.
// Map (rank I of N): the risks of scores units [I::N] (row groups), sorted, to
// OUTPUT.parts/part-IIIII-of-NNNNN.risk.f64 (8 bytes a scored row), then the rank's marker.
// Reduce (`memsieve merge OUTPUT`): the ceil(f·n)-th largest risk of all ranks, exactly, by merging the
// sorted parts from the top (N open files, 512 KB of buffer each). Filter shards read the result with
// --threshold-from, so every shard cuts at the one value a single process computes from all rows.
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { openReader, sha256File } from '../io/index.js';
import { writeFileAtomic } from '../io/atomic.js';
import { ID_HINT } from '../io/add-ids.js';
import { featureSourceColumns, loadRiskModel, predictRisk } from '../risk/index.js';
import type { MergeHook } from '../stage/merge-hook.js';
import { partName, partsDir, writeShardMarker, type Shard, type ShardMarker } from '../stage/shard.js';
import { featureColumns, idAt, requireColumn, scoresColumns } from './scores.js';
import { checkScoresProvenance, warnScoring, type GuardedField, type ScoringCheck } from '../stage/provenance.js';
import { chooseThreshold, type ThresholdChoice } from './threshold.js';
import type { Threshold } from './types.js';
import { withWarnings, type Warned, type WarningOptions } from '../stage/warnings.js';

export const THRESHOLD_SCHEMA = 'memsieve.threshold/v1';

/** Which scores file a cut was computed from: path, size and modification time (hashing 1B rows per shard would cost more than the filter). */
export interface ScoresIdentity {
  path: string;
  size: number;
  mtime_ms: number;
}

export async function scoresIdentity(path: string): Promise<ScoresIdentity> {
  const s = await stat(path);
  return { path: resolve(path), size: s.size, mtime_ms: s.mtimeMs };
}

/** threshold.json: what `memsieve threshold` writes and `filter --threshold-from` reads. */
export interface ThresholdFile {
  schema: typeof THRESHOLD_SCHEMA;
  method: 'remove_top';
  /** the share of scored rows asked for (0.05 for 5%) */
  requested: number;
  /** remove rows with risk >= value */
  value: number;
  /** scored rows (risk not null) of the whole scores file */
  scored: number;
  /** the cut is the k-th largest risk, k = max(1, ceil(requested · scored)); rows tied with it are removed too */
  k: number;
  model: { path: string; sha256: string };
  scores: ScoresIdentity;
  /** map ranks the cut was reduced from (1: one process) */
  shards: number;
  /** the scores' provenance against the model's training scores' (docs/provenance.md); absent in older files */
  scoring?: ScoringCheck;
}

export interface ThresholdOptions extends WarningOptions {
  scores: string;
  model: string;
  removeTop: number;
  output: string;
  idColumn?: string;
  shard?: Shard;
  /** provenance fields that may differ between the scores and the model's training scores */
  allowMismatch?: GuardedField[];
}

/** The part a map rank writes: its scored rows' risks, descending, as little-endian float64. */
export function riskPartPath(output: string, index: number, count: number): string {
  return join(partsDir(output), partName(index, count, '.risk.f64'));
}

/** `memsieve threshold`: the whole cut in one process, or one map rank of it. */
export function computeThreshold(options: ThresholdOptions): Promise<Warned<ThresholdFile | { rank: Shard; scored: number }>> {
  return withWarnings(options, () => cutAtTopShare(options));
}

async function cutAtTopShare(options: ThresholdOptions): Promise<ThresholdFile | { rank: Shard; scored: number }> {
  const { scores, output, shard } = options;
  if ([scores, options.model].map((p) => resolve(p)).includes(resolve(output))) throw new UserError(`${output}: an output may not overwrite an input`);
  const f = options.removeTop;
  if (!(f > 0 && f <= 1)) throw new UserError(`--remove-top ${f}: give a share of rows in (0, 1]`);
  const idColumn = options.idColumn ?? 'id';
  const model = await loadRiskModel(options.model);
  const scoring = await checkScoresProvenance([scores], model.provenance.scoring ?? null, { scores, model: options.model }, options.allowMismatch);
  const modelEntry = { path: resolve(options.model), sha256: await sha256File(options.model) };
  const identity = await scoresIdentity(scores);
  const source = `--scores ${scores}`;
  let risks = new Float64Array(1 << 16);
  let scored = 0;
  let row = 0;
  for await (const batch of openReader(scores, { option: '--scores', columns: scoresColumns(idColumn, { reads: featureSourceColumns(model.features) }), shard })) {
    if (batch.numRows === 0) continue;
    const idVector = requireColumn(batch, idColumn, source, ID_HINT);
    const ids = Array.from({ length: batch.numRows }, (_, i) => idAt(idVector, i, source, row + i, idColumn));
    const risk = predictRisk(model, featureColumns(batch, model, ids, source));
    if (scored + batch.numRows > risks.length) {
      const grown = new Float64Array(Math.max(risks.length * 2, scored + batch.numRows));
      grown.set(risks.subarray(0, scored));
      risks = grown;
    }
    for (const r of risk) if (!Number.isNaN(r)) risks[scored++] = r;
    row += batch.numRows;
  }
  const mine = risks.subarray(0, scored);
  if (!shard) {
    if (scored === 0) throw new UserError(`${source}: every row is too short for the model's features; there is nothing to cut`);
    const cut = chooseThreshold({ removeTop: f }, model, mine);
    const file: ThresholdFile = { schema: THRESHOLD_SCHEMA, method: 'remove_top', requested: f, value: cut.value, scored, k: Math.max(1, Math.ceil(f * scored)), model: modelEntry, scores: identity, shards: 1, scoring };
    warnScoring(scoring, options);
    await writeFileAtomic(output, `${JSON.stringify(file, null, 1)}\n`);
    return file;
  }
  warnScoring(scoring, options);
  mine.sort().reverse();
  await mkdir(partsDir(output), { recursive: true });
  await writeFileAtomic(riskPartPath(output, shard.index, shard.count), new Uint8Array(mine.buffer, mine.byteOffset, mine.byteLength));
  await writeShardMarker({
    kind: 'threshold',
    shard,
    inputs: [scores, options.model],
    outputs: { output },
    rows: {},
    stats: { scored },
    extra: { requested: f, model: modelEntry, scores: identity, scoring },
  });
  return { rank: shard, scored };
}

/** Reads one descending part in blocks. */
class SortedRun {
  private readonly block = new Float64Array(1 << 16);
  private at = 0;
  private filled = 0;
  private offset = 0;
  head = NaN;
  private constructor(private readonly handle: Awaited<ReturnType<typeof open>>, private left: number) {}

  static async open(path: string, values: number): Promise<SortedRun> {
    const handle = await open(path, 'r');
    const size = (await handle.stat()).size;
    if (size !== values * 8) {
      await handle.close();
      throw new UserError(`${path}: holds ${size / 8} risks but its marker says ${values}; rerun that threshold shard`);
    }
    const run = new SortedRun(handle, values);
    await run.advance();
    return run;
  }

  /** moves `head` to the next value (NaN once empty) */
  async advance(): Promise<void> {
    if (this.at === this.filled) {
      if (this.left === 0) {
        this.head = NaN;
        return;
      }
      const n = Math.min(this.left, this.block.length);
      const bytes = new Uint8Array(this.block.buffer, 0, n * 8);
      const { bytesRead } = await this.handle.read(bytes, 0, n * 8, this.offset);
      if (bytesRead !== n * 8) throw new UserError('a threshold part was truncated while being read; rerun the threshold shards');
      this.offset += n * 8;
      this.left -= n;
      this.at = 0;
      this.filled = n;
    }
    this.head = this.block[this.at++];
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** The k-th largest value of descending runs: pops the largest head k times (a heap of N heads). */
async function kthLargest(runs: SortedRun[], k: number): Promise<number> {
  const heap = runs.filter((r) => !Number.isNaN(r.head));
  const less = (a: number, b: number) => heap[a].head < heap[b].head;
  const down = (i: number) => {
    for (;;) {
      let top = i;
      for (const c of [2 * i + 1, 2 * i + 2]) if (c < heap.length && less(top, c)) top = c;
      if (top === i) return;
      [heap[i], heap[top]] = [heap[top], heap[i]];
      i = top;
    }
  };
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
  for (let popped = 1; ; popped++) {
    const value = heap[0].head;
    if (popped === k) return value;
    await heap[0].advance();
    if (Number.isNaN(heap[0].head)) {
      heap[0] = heap[heap.length - 1];
      heap.pop();
    }
    down(0);
  }
}

/** The reduce: threshold.json from the map ranks' sorted parts. */
export const mergeThreshold: MergeHook = async (markers: ShardMarker[]) => {
  const output = markers[0].outputs.output;
  const first = markers[0].extra as { requested: number; model: ThresholdFile['model']; scores: ScoresIdentity; scoring?: ScoringCheck };
  for (const m of markers) {
    if (JSON.stringify(m.extra) !== JSON.stringify(markers[0].extra)) {
      throw new UserError(`${output}: threshold shard ${m.index} used another model, scores or --remove-top than shard 0; rerun the threshold shards`);
    }
  }
  const now = await scoresIdentity(first.scores.path);
  if (now.size !== first.scores.size || now.mtime_ms !== first.scores.mtime_ms) {
    throw new UserError(`${first.scores.path} changed after the threshold shards read it; rerun them`);
  }
  const scored = markers.reduce((t, m) => t + (m.stats?.scored ?? 0), 0);
  if (scored === 0) throw new UserError(`${first.scores.path}: every row is too short for the model's features; there is nothing to cut`);
  const k = Math.max(1, Math.ceil(first.requested * scored));
  const runs: SortedRun[] = [];
  try {
    for (const m of markers) runs.push(await SortedRun.open(riskPartPath(output, m.index, m.count), m.stats?.scored ?? 0));
    const value = await kthLargest(runs, k);
    const file: ThresholdFile = { schema: THRESHOLD_SCHEMA, method: 'remove_top', requested: first.requested, value, scored, k, model: first.model, scores: first.scores, shards: markers.length, ...(first.scoring ? { scoring: first.scoring } : {}) };
    await writeFileAtomic(output, `${JSON.stringify(file, null, 1)}\n`);
  } finally {
    for (const r of runs) await r.close();
  }
};

/** `filter --threshold-from`: the cut of `memsieve threshold`, checked against the model and scores this filter uses. */
export async function readThresholdFile(path: string, options: ThresholdChoice & { model: string; scores: string }): Promise<Threshold> {
  if (options.threshold !== undefined || options.targetRecall !== undefined) {
    throw new UserError(`--threshold-from ${path}: give it alone or with the --remove-top it was computed for, not with --threshold or --target-recall`);
  }
  let file: ThresholdFile;
  try {
    file = JSON.parse(await readFile(path, 'utf8')) as ThresholdFile;
  } catch (error) {
    throw new UserError(`--threshold-from ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); write it with 'memsieve threshold' (then 'memsieve merge' when sharded)`);
  }
  if (file?.schema !== THRESHOLD_SCHEMA || typeof file.value !== 'number') throw new UserError(`--threshold-from ${path}: not a ${THRESHOLD_SCHEMA} file`);
  if (options.removeTop !== undefined && options.removeTop !== file.requested) {
    throw new UserError(`--threshold-from ${path} is the cut for --remove-top ${file.requested}, not ${options.removeTop}; rerun 'memsieve threshold'`);
  }
  if ((await sha256File(options.model)) !== file.model.sha256) throw new UserError(`--threshold-from ${path} was computed with another model than --model ${options.model}; rerun 'memsieve threshold'`);
  const scores = await scoresIdentity(options.scores);
  if (scores.path !== file.scores.path || scores.size !== file.scores.size || scores.mtime_ms !== file.scores.mtime_ms) {
    throw new UserError(`--threshold-from ${path} was computed from ${file.scores.path} as it was then, not from --scores ${options.scores} as it is now; rerun 'memsieve threshold'`);
  }
  return { value: file.value, method: 'remove_top', requested: file.requested };
}
