// Client of the PyTorch worker (pipelines/torch/memsieve_torch/worker.py): a long-lived Python process
// speaking the framing of docs/torch.md over stdin/stdout. Implements PairScorer and Generator.
import type { ChildProcess } from 'node:child_process';
import { UserError } from '../errors.js';
import { describeExit, spawnError, spawnPythonModule, StderrTail } from '../torch/python.js';
import { splitRows } from './batch-pack.js';
import { PAIR_SCORE_KEYS, type Generator, type PairScoreOptions, type PairScorer, type PairScores, type TokenIds } from './types.js';

export interface TorchWorkerOptions {
  /** checkpoint folders (Hugging Face config.json + model.safetensors, or a tiny test checkpoint) */
  teacher?: string;
  baseline?: string;
  /** the model `greedy` and `modelStats` use (the audited student); defaults to teacher */
  model?: string;
  /** auto (CUDA when there is one), cpu, cuda, cuda:N */
  device?: string;
  /** weights: auto (bfloat16 on CUDA, float32 on CPU), float32, bfloat16, float16 */
  dtype?: string;
  /** padded tokens per forward batch inside the worker */
  batchTokens?: number;
  /** Python interpreter; default MEMSIEVE_PYTHON, else /usr/bin/python3 */
  python?: string;
}

export interface TorchWorkerInfo {
  vocab_size: number;
  device: string;
  dtype: string;
  torch: string;
  models: Record<string, { path: string; kind: string; vocab_size: number }>;
}

export type ModelName = 'teacher' | 'baseline' | 'model';

/** One model's teacher-forced measures per row (NaN where undefined). */
export interface ModelStats {
  nll: Float64Array;
  suffix_entropy: Float64Array;
  suffix_logprob: Float64Array;
}

const DTYPE_BYTES = { int32: 4, int64: 8, float32: 4, float64: 8 } as const;
type DtypeName = keyof typeof DTYPE_BYTES;
type FramedArray = Int32Array | BigInt64Array | Float32Array | Float64Array;

interface ArraySpec {
  name: string;
  dtype: DtypeName;
  length: number;
}

interface Message {
  header: Record<string, unknown> & { ok?: boolean; error?: string; kind?: string; arrays?: ArraySpec[] };
  arrays: Map<string, FramedArray>;
}

/** Bytes of one message: a JSON header line, then the arrays' raw little-endian bytes in order. */
export function encodeMessage(header: Record<string, unknown>, arrays: Record<string, FramedArray> = {}): Buffer {
  const specs: ArraySpec[] = [];
  const payload: Buffer[] = [];
  for (const [name, array] of Object.entries(arrays)) {
    specs.push({ name, dtype: dtypeOf(array), length: array.length });
    payload.push(Buffer.from(array.buffer, array.byteOffset, array.byteLength));
  }
  return Buffer.concat([Buffer.from(`${JSON.stringify({ ...header, arrays: specs })}\n`, 'utf8'), ...payload]);
}

function dtypeOf(array: FramedArray): DtypeName {
  if (array instanceof Int32Array) return 'int32';
  if (array instanceof BigInt64Array) return 'int64';
  if (array instanceof Float32Array) return 'float32';
  return 'float64';
}

function viewOf(dtype: DtypeName, bytes: Uint8Array): FramedArray {
  // copy: the frame's bytes are not aligned for typed-array views
  const own = new Uint8Array(bytes.byteLength);
  own.set(bytes);
  switch (dtype) {
    case 'int32':
      return new Int32Array(own.buffer);
    case 'int64':
      return new BigInt64Array(own.buffer);
    case 'float32':
      return new Float32Array(own.buffer);
    case 'float64':
      return new Float64Array(own.buffer);
  }
}

/** Splits a byte stream into messages. */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private header: Message['header'] | null = null;
  private need = 0;

  /** feed bytes; returns the messages they complete */
  push(chunk: Buffer): Message[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const out: Message[] = [];
    for (;;) {
      if (!this.header) {
        const buf = this.take();
        const nl = buf.indexOf(10);
        if (nl < 0) return out;
        const line = buf.subarray(0, nl).toString('utf8');
        try {
          this.header = JSON.parse(line) as Message['header'];
        } catch {
          throw new Error(`PyTorch worker wrote a line that is not a framed header: ${line.slice(0, 200)}`);
        }
        this.need = (this.header.arrays ?? []).reduce((sum, s) => sum + s.length * DTYPE_BYTES[s.dtype], 0);
        this.keep(buf.subarray(nl + 1));
      }
      if (this.pendingBytes < this.need) return out;
      const buf = this.take();
      const arrays = new Map<string, FramedArray>();
      let at = 0;
      for (const spec of this.header.arrays ?? []) {
        const bytes = spec.length * DTYPE_BYTES[spec.dtype];
        arrays.set(spec.name, viewOf(spec.dtype, buf.subarray(at, at + bytes)));
        at += bytes;
      }
      out.push({ header: this.header, arrays });
      this.header = null;
      this.keep(buf.subarray(at));
    }
  }

  private take(): Buffer {
    return this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
  }

  private keep(rest: Buffer): void {
    this.pending = rest.length ? [rest] : [];
    this.pendingBytes = rest.length;
  }
}

/** Token rows as the framing's int64 offsets + int32 ids. */
export function packRows(rows: TokenIds[]): { offsets: BigInt64Array; ids: Int32Array } {
  const offsets = new BigInt64Array(rows.length + 1);
  let total = 0;
  for (let i = 0; i < rows.length; i++) {
    total += rows[i].length;
    offsets[i + 1] = BigInt(total);
  }
  const ids = new Int32Array(total);
  let at = 0;
  for (const row of rows) {
    ids.set(row, at);
    at += row.length;
  }
  return { offsets, ids };
}


interface Waiter {
  op: string;
  resolve: (message: Message) => void;
  reject: (error: Error) => void;
}

/**
 * Start the worker and wait until its models are loaded. Throws UserError for what the user can fix
 * (missing weights, vocabulary mismatch, no CUDA, no Python).
 */
export async function startTorchWorker(options: TorchWorkerOptions): Promise<TorchWorker> {
  const args: string[] = [];
  for (const name of ['teacher', 'baseline', 'model'] as const) {
    const path = options[name];
    if (path) args.push(`--${name}`, path);
  }
  if (args.length === 0) throw new UserError('the PyTorch worker needs at least one of teacher, baseline or model');
  args.push('--device', options.device ?? 'auto', '--dtype', options.dtype ?? 'auto');
  if (options.batchTokens) args.push('--batch-tokens', String(options.batchTokens));
  const worker = new TorchWorker(spawnPythonModule('memsieve_torch.worker', args, options.python), options);
  await worker.ready;
  return worker;
}

/** Start the worker for a stage and check that the tokenizer's ids fit the models' logits. */
export async function startTorchBackend(options: TorchWorkerOptions, tokenizerVocab: number, label: string): Promise<TorchWorker> {
  const worker = await startTorchWorker(options);
  const vocab = worker.info?.vocab_size ?? Infinity;
  if (tokenizerVocab > vocab) {
    await worker.close();
    throw new UserError(`${label}: the tokenizer has ${tokenizerVocab} tokens but the model's logits cover only ${vocab}; use the tokenizer the model was trained with`);
  }
  return worker;
}

export class TorchWorker implements PairScorer, Generator {
  readonly ready: Promise<TorchWorkerInfo>;
  /** the Python process id (for signals from the caller) */
  get pid(): number | undefined {
    return this.child.pid;
  }

  info: TorchWorkerInfo | undefined;
  private readonly decoder = new FrameDecoder();
  private readonly waiters: Waiter[] = [];
  private readonly tail = new StderrTail();
  private failure: Error | undefined;
  private nextId = 1;
  private exited: Promise<void>;

  constructor(
    private readonly child: ChildProcess,
    private readonly options: TorchWorkerOptions,
  ) {
    this.ready = new Promise<Message>((resolve, reject) => this.waiters.push({ op: 'ready', resolve, reject })).then((m) => {
      this.info = m.header as unknown as TorchWorkerInfo;
      return this.info;
    });
    this.ready.catch(() => {}); // surfaced by startTorchWorker's await
    child.stderr?.on('data', (chunk: Buffer) => this.tail.push(chunk));
    child.stdout?.on('data', (chunk: Buffer) => {
      let messages: Message[];
      try {
        messages = this.decoder.push(chunk);
      } catch (error) {
        this.fail(error as Error);
        child.kill('SIGKILL');
        return;
      }
      for (const message of messages) this.settle(message);
    });
    child.stdin?.on('error', () => {}); // a dead worker's EPIPE; the exit handler reports it
    child.on('error', (error) => this.fail(spawnError(error, options.python)));
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.fail(new UserError(describeExit('the PyTorch worker (python -m memsieve_torch.worker)', code, signal, this.tail)));
        resolve();
      });
    });
  }

  private settle(message: Message): void {
    const waiter = this.waiters.shift();
    if (!waiter) return;
    const { header } = message;
    if (header.ok) waiter.resolve(message);
    else if (header.kind === 'user' || waiter.op === 'ready') waiter.reject(new UserError(`PyTorch worker: ${header.error}`));
    else waiter.reject(new Error(`PyTorch worker failed on '${waiter.op}': ${header.error}\n${this.tail.text()}`));
  }

  private fail(error: Error): void {
    if (!this.failure) this.failure = error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
  }

  private request(header: Record<string, unknown>, arrays?: Record<string, FramedArray>): Promise<Message> {
    if (this.failure) return Promise.reject(this.failure);
    const op = String(header.op);
    const id = this.nextId++;
    const reply = new Promise<Message>((resolve, reject) => this.waiters.push({ op, resolve, reject }));
    this.child.stdin?.write(encodeMessage({ ...header, id }, arrays));
    return reply.then((m) => {
      if (m.header.id !== id) throw new Error(`PyTorch worker answered request ${String(m.header.id)}, expected ${id}`);
      return m;
    });
  }

  async scorePairs(rows: TokenIds[], options: PairScoreOptions): Promise<PairScores> {
    const { arrays } = await this.request(
      {
        op: 'score', temperature: options.temperature, prefix_tokens: options.prefixTokens, suffix_tokens: options.suffixTokens,
        min_k: options.minK,
      },
      packRows(rows),
    );
    const out = {} as PairScores;
    for (const name of PAIR_SCORE_KEYS) out[name] = column(arrays, name, rows.length);
    return out;
  }

  /** nll, suffix entropy and suffix log-prob of one loaded model (the audit's approximate measures). */
  async modelStats(rows: TokenIds[], options: Pick<PairScoreOptions, 'prefixTokens' | 'suffixTokens'>, model: ModelName = this.defaultModel()): Promise<ModelStats> {
    const { arrays } = await this.request(
      { op: 'stats', model, prefix_tokens: options.prefixTokens, suffix_tokens: options.suffixTokens },
      packRows(rows),
    );
    return {
      nll: column(arrays, 'nll', rows.length),
      suffix_entropy: column(arrays, 'suffix_entropy', rows.length),
      suffix_logprob: column(arrays, 'suffix_logprob', rows.length),
    };
  }

  /** Continue each prefix by exactly n tokens (argmax, ties to the lowest id, no stop token). */
  async greedy(prefixes: TokenIds[], n: number, model: ModelName = this.defaultModel()): Promise<TokenIds[]> {
    const { arrays } = await this.request({ op: 'greedy', model, n }, packRows(prefixes));
    const tokens = arrays.get('tokens');
    if (!(tokens instanceof Int32Array) || tokens.length !== prefixes.length * n) {
      throw new Error(`PyTorch worker returned ${tokens?.length ?? 0} tokens for ${prefixes.length} prefixes × ${n}`);
    }
    return prefixes.map((_, i) => tokens.subarray(i * n, (i + 1) * n));
  }

  /** Teacher-forced argmaxes from position `start` of each row (Generator; the audit's one-pass path). */
  async teacherForcedArgmax(rows: TokenIds[], start: number, model: ModelName = this.defaultModel()): Promise<TokenIds[]> {
    const { arrays } = await this.request({ op: 'argmax', model, start }, packRows(rows));
    const tokens = arrays.get('tokens');
    if (!(tokens instanceof Int32Array)) throw new Error('PyTorch worker response lacks int32 array \'tokens\'');
    return splitRows(tokens, rows, start);
  }

  private defaultModel(): ModelName {
    return this.options.model ? 'model' : this.options.teacher ? 'teacher' : 'baseline';
  }

  /** Ask the worker to stop and wait for it; kills it when it does not stop within `graceMs`. */
  async close(graceMs = 10_000): Promise<void> {
    if (!this.failure) {
      await this.request({ op: 'shutdown' }).catch(() => {});
      this.child.stdin?.end();
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

function column(arrays: Map<string, FramedArray>, name: string, rows: number): Float64Array {
  const values = arrays.get(name);
  if (!(values instanceof Float64Array) || values.length !== rows) {
    throw new Error(`PyTorch worker response lacks float64 column '${name}' of ${rows} rows`);
  }
  return values;
}
