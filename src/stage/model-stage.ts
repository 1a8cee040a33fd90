// The frame shared by the stages that stream tokenized rows through a model backend (score, audit):
// shard part and completion marker, tokenizer, backend opened only here and always closed.
import type { Format, TextStreamOptions } from '../io/types.js';
import type { Device } from '../models/types.js';
import { availableParallelism } from 'node:os';
import { loadTokenizer, type SpecialTokenPolicy, type Tokenizer } from '../text/tokenizer.js';
import { defaultTokenizerThreads } from '../text/tokenizer-pool.js';
import { stageFingerprint } from './fingerprint.js';
import { buildProvenance, type Provenance, type ProvenanceSettings, type ProvenanceStage } from './provenance.js';
import { preparePart, resolveShard, writeShardMarker, type ShardOptions } from './shard.js';
import { warnTokenizer, withWarnings, type Warned, type WarningOptions } from './warnings.js';

/** Command options every model stage takes, as the CLI and the pipeline runner pass them. */
export interface ModelStageOptions extends ShardOptions, WarningOptions {
  input: string[];
  output: string;
  tokenizer: string;
  textColumn?: string;
  idColumn?: string;
  format?: Format;
  outputFormat?: Format;
  backend?: string;
  device?: Device;
  /** torch backend weights: auto, float32, bfloat16 */
  dtype?: string;
  threads?: number;
  batchSize?: number;
  maxTokens?: number;
  /** 'tokenizer' (default): the post-processor's special tokens lead each row; 'none': raw text ids */
  specialTokens?: SpecialTokenPolicy;
  /** worker threads that tokenize (0: the main thread); default: tokenizerThreadsFor */
  tokenizerThreads?: number;
  /** a checkpoint at least this often (seconds), besides one per full row group */
  checkpointSeconds?: number;
}

export interface ModelStage<B extends { close(): Promise<void> }, S> {
  kind: string;
  openBackend(tokenizerVocab: number): Promise<B>;
  /** score and audit: the model files by role and the settings that shape the output, defaults applied (its provenance) */
  /** what the stage records; backend and dtype are the frame's own options, added here */
  provenance?: { stage: ProvenanceStage; models: Record<string, string>; settings: Omit<ProvenanceSettings, 'backend' | 'dtype'> };
  /** stream the corpus to `stream.output` (a part file when sharded), recording `provenance` in it and in the summary */
  run(backend: B, tokenizer: Tokenizer, stream: TextStreamOptions, provenance?: Provenance): Promise<S>;
  /** rows written and the counters merged across shards */
  shardStats(summary: S): { rows: number; stats: Record<string, number> };
}

/** Runs a model stage (score, audit, targets): its summary with the warnings said while it ran. */
export function runModelStage<B extends { close(): Promise<void> }, S extends object>(options: ModelStageOptions, stage: ModelStage<B, S>): Promise<Warned<S>> {
  return withWarnings(options, () => streamThroughModel(options, stage));
}

async function streamThroughModel<B extends { close(): Promise<void> }, S>(options: ModelStageOptions, stage: ModelStage<B, S>): Promise<S> {
  // a shard writes OUTPUT.parts/part-IIIII-of-NNNNN.* and then its marker; `memsieve merge` joins them
  const shard = resolveShard(options);
  const output = shard ? await preparePart(options.output, shard) : options.output;
  const tokenizer = await loadTokenizer(options.tokenizer, { specialTokens: options.specialTokens });
  warnTokenizer(tokenizer, options.tokenizer);
  const fingerprint = stageFingerprint(stage.kind, options);
  const backend = await stage.openBackend(tokenizer.vocabSize);
  try {
    const stream: TextStreamOptions = {
      input: options.input,
      output,
      inputFormat: options.format,
      outputFormat: options.outputFormat,
      textColumn: options.textColumn,
      idColumn: options.idColumn,
      maxTokens: options.maxTokens,
      batchSize: options.batchSize,
      tokenizerThreads: options.tokenizerThreads ?? tokenizerThreadsFor(options),
      shard,
      quiet: options.quiet,
      // a rerun with the same arguments and inputs continues a killed run's output
      checkpoint: fingerprint === undefined ? undefined : { fingerprint, seconds: options.checkpointSeconds },
    };
    const made = stage.provenance;
    const backendName = options.backend ?? 'onnx';
    const backendSettings = { backend: backendName, dtype: backendName === 'torch' ? (options.dtype ?? 'auto') : null };
    const provenance = made && (await buildProvenance(made.stage, made.models, tokenizer, { ...made.settings, ...backendSettings }));
    const summary = await stage.run(backend, tokenizer, stream, provenance);
    if (shard) {
      const { rows, stats } = stage.shardStats(summary);
      await writeShardMarker({ kind: stage.kind, shard, inputs: options.input, outputs: { output: options.output }, rows: { output: rows }, stats });
    }
    return summary;
  } finally {
    await backend.close();
  }
}

/** Cores a GPU backend keeps busy on the host: its worker driving the device, and the feature math. */
const GPU_BACKEND_CORES = 2;

/**
 * Default tokenizer threads: the cores the backend leaves. On a GPU the backend needs GPU_BACKEND_CORES;
 * on the CPU the models' intra-op threads take every core, and one thread keeps tokenizing off the main thread.
 */
export function tokenizerThreadsFor(options: Pick<ModelStageOptions, 'backend' | 'device'>, cores = availableParallelism()): number {
  const onCpu = options.device === 'cpu' || ((options.backend ?? 'onnx') === 'onnx' && options.device === undefined);
  return defaultTokenizerThreads(onCpu ? cores : GPU_BACKEND_CORES, cores);
}
