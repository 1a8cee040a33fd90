// Provenance: how a model stage's output was made (memsieve version, the models' and tokenizer's
// content hashes, the special tokens added, the token windows and settings). One home for it: score,
// audit and targets build it and write it into their output's metadata and summary; merge keeps it and
// refuses parts that disagree; train copies the scores' into risk.json; filter, evaluate and
// threshold compare the scores' with risk.json's; train (scores against labels), compare, verdict and
// counterfactual (audits against each other) and distill (targets against its tokenizer) check their
// inputs are made alike (checkMadeAlike). A mismatch is refused unless named in --allow-mismatch.
// Documented in docs/provenance.md.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { sha256File } from '../io/hash.js';
import { readFileMetadata } from '../io/metadata.js';
import { expandInputs } from '../io/format.js';
import type { Format, InputNaming } from '../io/types.js';
import type { SpecialTokenPolicy, Tokenizer } from '../text/tokenizer.js';
import { VERSION } from '../version.js';
import { warn } from './warnings.js';

export const PROVENANCE_SCHEMA = 'memsieve.provenance/v1';

export type ProvenanceStage = 'score' | 'audit' | 'targets';

/** A model file or checkpoint folder by its content (see modelIdentity). */
export interface ModelIdentity {
  path: string;
  sha256: string;
}

export interface Provenance {
  schema: typeof PROVENANCE_SCHEMA;
  stage: ProvenanceStage;
  tool_version: string;
  /** by role: score's and targets' teacher, score's baseline, audit's model */
  models: Record<string, ModelIdentity>;
  tokenizer: ModelIdentity & {
    special_tokens: SpecialTokenPolicy;
    /** the ids encode put around every row's own ids */
    added_special_ids: { leading: number[]; trailing: number[] };
  };
  max_tokens: number;
  prefix_tokens: number;
  /** null for targets: the teacher continues each row to its own length */
  suffix_tokens: number | null;
  /** score's KL temperature (null for audit and targets) */
  temperature: number | null;
  /** score's Min-K% share (null for audit and targets) */
  min_k: number | null;
  backend: string;
  /** torch backend weights as asked (auto, float32, bfloat16); null for onnx (the file's own) */
  dtype: string | null;
}

/** The stage's settings that shape its numbers, defaults applied. */
export type ProvenanceSettings = Pick<Provenance, 'max_tokens' | 'prefix_tokens' | 'suffix_tokens' | 'temperature' | 'min_k' | 'backend' | 'dtype'>;

/** The metadata key of a stage's provenance: one key per stage, so an audit of scored rows keeps the scores' too. */
export function provenanceKey(stage: ProvenanceStage): string {
  return `memsieve.provenance.${stage}`;
}

/** A stage's provenance: hashes the models (cached, see modelIdentity) and reads the tokenizer's. */
export async function buildProvenance(stage: ProvenanceStage, models: Record<string, string>, tokenizer: Tokenizer, settings: ProvenanceSettings): Promise<Provenance> {
  const identities: Record<string, ModelIdentity> = {};
  for (const [role, path] of Object.entries(models)) identities[role] = await modelIdentity(path);
  return {
    schema: PROVENANCE_SCHEMA,
    stage,
    tool_version: VERSION,
    models: identities,
    tokenizer: tokenizerRecord(tokenizer),
    ...settings,
  };
}

/** What provenance records of a loaded tokenizer (also what a reader holding one compares against). */
export function tokenizerRecord(tokenizer: Tokenizer): Provenance['tokenizer'] {
  return {
    path: tokenizer.path,
    sha256: tokenizer.sha256,
    special_tokens: tokenizer.specialTokens,
    added_special_ids: { leading: [...tokenizer.addedSpecialIds.leading], trailing: [...tokenizer.addedSpecialIds.trailing] },
  };
}

/** The schema metadata entry an output carries. */
export function provenanceMetadata(provenance: Provenance): Record<string, string> {
  return { [provenanceKey(provenance.stage)]: JSON.stringify(provenance) };
}

/** The provenance a file (or a folder's data files, which must agree) records for `stage`; `option` names it in errors. */
export async function readProvenance(path: string, stage: ProvenanceStage, format?: Format, option?: string): Promise<Provenance | null> {
  const naming = option === undefined ? undefined : { option };
  return agreedProvenance(expandInputs(path, format, naming), stage, option ?? path, format);
}

async function fileProvenance(path: string, stage: ProvenanceStage, format: Format | undefined, naming: InputNaming): Promise<Provenance | null> {
  const text = (await readFileMetadata(path, format, naming)).get(provenanceKey(stage));
  if (text === undefined) return null;
  return parseProvenance(text, `${path}: metadata ${provenanceKey(stage)}`);
}

/** Checks a provenance object (from a file's metadata or risk.json); `source` names it in errors. */
export function parseProvenance(text: string | unknown, source: string): Provenance {
  let raw: unknown = text;
  if (typeof text === 'string') {
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new UserError(`${source}: not JSON (${(error as Error).message}); the file was edited, write it again`);
    }
  }
  const p = raw as Partial<Provenance> | null;
  if (typeof p !== 'object' || p === null || p.schema !== PROVENANCE_SCHEMA || typeof p.models !== 'object' || typeof p.tokenizer?.sha256 !== 'string' || typeof p.max_tokens !== 'number') {
    throw new UserError(`${source}: not a ${PROVENANCE_SCHEMA} record (schema ${JSON.stringify(p?.schema ?? null)}); write the file again with this memsieve`);
  }
  return p as Provenance;
}

/**
 * The one provenance of several files read as one input (shard parts, several scores files): all
 * must record the same (or all none); else which file differs from the first, and in what field.
 */
export async function readAgreedProvenance(paths: string[], stage: ProvenanceStage, option: string): Promise<Provenance | null> {
  return agreedProvenance(expandInputs(paths, undefined, { option }), stage, option);
}

async function agreedProvenance(paths: string[], stage: ProvenanceStage, option: string, format?: Format): Promise<Provenance | null> {
  const records = await Promise.all(paths.map((path) => fileProvenance(path, stage, format, { option })));
  for (let i = 1; i < records.length; i++) {
    const difference = differenceOf(records[0], records[i]);
    if (difference) {
      throw new UserError(`${option} ${paths[i]}: ${difference.field} is ${show(difference.field, difference.b)} but ${paths[0]} has ${show(difference.field, difference.a)}; parts read together must be made with the same models and settings — make them again with one command`);
    }
  }
  return records[0] ?? null;
}

/** Shard parts joined into one file (`memsieve merge`): each stage's provenance must be the same in all. */
export async function checkPartsAgree(parts: string[]): Promise<void> {
  for (const stage of ['score', 'audit', 'targets'] as const) await readAgreedProvenance(parts, stage, 'part');
}

/** The fields a risk model's scores must share with the scores it is applied to (--allow-mismatch names them). */
export const GUARDED_FIELDS = ['tokenizer', 'special_tokens', 'max_tokens', 'prefix_tokens', 'suffix_tokens', 'temperature', 'min_k'] as const;
export type GuardedField = (typeof GUARDED_FIELDS)[number];

/** A field's value on the two sides: the scores applied to, and the risk model's training scores. */
export interface Difference {
  field: string;
  scores: unknown;
  trained: unknown;
}

/** What filter, evaluate and threshold record of the scores against risk.json's training scores. */
export interface ScoringCheck {
  /** the scores' provenance (null: none recorded) */
  scores: Provenance | null;
  /** risk.json's training scores' provenance (null: none recorded) */
  trained: Provenance | null;
  /** another teacher or baseline: the model is applied to scores of other models (allowed, said) */
  transfer: Difference[];
  /** guarded fields that differ, allowed by --allow-mismatch */
  allowed_mismatches: Difference[];
  /** backend, dtype or memsieve version differ: recorded, not refused */
  other_differences: Difference[];
  /** one line each: what could not be checked */
  warnings: string[];
}

/** --allow-mismatch's value: field names from GUARDED_FIELDS, comma-separated. */
export function parseAllowMismatch(value: string, previous: GuardedField[] = []): GuardedField[] {
  const fields = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const field of fields) {
    if (!(GUARDED_FIELDS as readonly string[]).includes(field)) throw new UserError(`--allow-mismatch ${field}: not a field that is checked; use ${GUARDED_FIELDS.join(', ')}`);
  }
  return [...new Set([...previous, ...(fields as GuardedField[])])];
}

/**
 * Compares the scores' provenance with the risk model's training scores'. A guarded field that differs
 * and is not allowed is a UserError naming the field and both values; other models are a transfer.
 */
export function checkScoring(scores: Provenance | null, trained: Provenance | null, sources: { scores: string; model: string }, allow: readonly GuardedField[] = []): ScoringCheck {
  const check: ScoringCheck = { scores, trained, transfer: [], allowed_mismatches: [], other_differences: [], warnings: [] };
  if (!scores) check.warnings.push(`--scores ${sources.scores} records no provenance (made by another tool or an older memsieve): its tokenizer, settings and models cannot be checked against ${sources.model}`);
  else if (!trained) check.warnings.push(`--model ${sources.model} records no provenance of its training scores (trained by an older memsieve, or on scores without it): the scores cannot be checked against it`);
  if (!scores || !trained) return check;
  for (const field of GUARDED_FIELDS) {
    const [a, b] = [fieldValue(scores, field), fieldValue(trained, field)];
    if (same(a, b)) continue;
    if (!allow.includes(field)) {
      throw new UserError(
        `--scores ${sources.scores}: ${field} is ${show(field, a)}, but --model ${sources.model} was trained on scores with ${field} ${show(field, b)}; ` +
          `score again as the model's scores were, or pass --allow-mismatch ${field} to apply it anyway`,
      );
    }
    check.allowed_mismatches.push({ field, scores: a, trained: b });
  }
  const roles = [...new Set([...Object.keys(scores.models), ...Object.keys(trained.models)])];
  for (const role of roles) {
    const [a, b] = [scores.models[role] ?? null, trained.models[role] ?? null];
    if (a?.sha256 !== b?.sha256) check.transfer.push({ field: role, scores: a, trained: b });
  }
  for (const field of ['backend', 'dtype', 'tool_version'] as const) {
    if (scores[field] !== trained[field]) check.other_differences.push({ field, scores: scores[field], trained: trained[field] });
  }
  return check;
}

/**
 * What filter, evaluate and threshold run first: the scores files' provenance against the risk model's
 * training scores' (`trained`; undefined with no model, e.g. filter --rule: only recorded). Refuses a
 * mismatch not in `allow`. The caller says `warnings` (warnScoring) once the inputs are read (a bad-input error first).
 */
export async function checkScoresProvenance(scoresFiles: string[], trained: Provenance | null | undefined, sources: { scores: string; model: string }, allow: readonly GuardedField[] = []): Promise<ScoringCheck> {
  const scores = await readAgreedProvenance(scoresFiles, 'score', '--scores');
  if (trained === undefined) return { scores, trained: null, transfer: [], allowed_mismatches: [], other_differences: [], warnings: [] };
  return checkScoring(scores, trained, sources, allow);
}

/** Says the check's warnings (what could not be checked): once the inputs are read, so a bad-input error comes alone. */
export function warnScoring(check: ScoringCheck, sources: { scores?: string; model?: string } = {}): void {
  for (const message of check.warnings) {
    warn(check.scores
      ? { code: 'model-no-provenance', message, option: '--model', file: sources.model }
      : { code: 'scores-no-provenance', message, option: '--scores', file: sources.scores });
  }
}

/** Says an AlikeCheck's warning (inputs with no record, which could not be checked). */
export function warnAlike(check: AlikeCheck): void {
  for (const message of check.warnings) warn({ code: 'inputs-no-provenance', message });
}

/** One line naming a transfer's models on both sides, for summaries and reports. */
export function describeTransfer(check: ScoringCheck): string | null {
  if (check.transfer.length === 0) return null;
  const side = (m: unknown) => (m ? `${(m as ModelIdentity).path} (sha256 ${(m as ModelIdentity).sha256.slice(0, 12)}…)` : 'none');
  return `transfer: the risk model was trained on scores of other models — ${check.transfer.map((d) => `${d.field} ${side(d.scores)} here, ${side(d.trained)} in training`).join('; ')}`;
}

/** The fields an audit's memorization labels depend on (score's teacher_memorized too); temperature and min_k shape only score's features. */
export const MEMORIZATION_FIELDS = ['tokenizer', 'special_tokens', 'max_tokens', 'prefix_tokens', 'suffix_tokens'] as const satisfies readonly GuardedField[];
/** The fields that make two outputs count the same tokens of a row (train's and evaluate's scores and labels). */
export const TOKEN_FIELDS = ['tokenizer', 'special_tokens', 'max_tokens'] as const satisfies readonly GuardedField[];

/** What a reader knows of how one input was made. */
export interface MadeInput {
  /** the input as the user named it, e.g. `--audit teacher=teacher.audit.parquet` */
  name: string;
  /** its record (null: none); a reader that holds the thing itself passes what it has (distill: its tokenizer) */
  provenance: (Pick<Provenance, 'tokenizer'> & Partial<Omit<Provenance, 'tokenizer'>>) | null;
}

/** A guarded field two inputs differ in, combined anyway because --allow-mismatch named it. */
export interface Mismatch {
  field: GuardedField;
  inputs: [string, string];
  values: [unknown, unknown];
}

/** What checkMadeAlike found: the allowed mismatches (recorded by the caller) and one warning line, if any. */
export interface AlikeCheck {
  allowed_mismatches: Mismatch[];
  /** one line naming the inputs with no record, which could not be checked */
  warnings: string[];
}

/** How a reader words a refusal: why the difference matters, what to do, and what --allow-mismatch would do (absent: no override). */
export interface AlikeWording {
  why: string;
  redo: string;
  override?: string;
}

/**
 * Inputs a command combines as one measurement must be made alike in `fields`: each input's record is
 * compared with the first recorded one's; a difference not in `allow` is a UserError naming both inputs,
 * the field and both values. Inputs without a record cannot be checked: one warning line names them.
 */
export function checkMadeAlike(inputs: MadeInput[], fields: readonly GuardedField[], wording: AlikeWording, allow: readonly GuardedField[] = []): AlikeCheck {
  const check: AlikeCheck = { allowed_mismatches: [], warnings: [] };
  const recorded = inputs.filter((input) => input.provenance !== null);
  const unrecorded = inputs.filter((input) => input.provenance === null).map((input) => input.name);
  if (unrecorded.length > 0) {
    check.warnings.push(`${unrecorded.join(', ')} ${unrecorded.length === 1 ? 'records' : 'each records'} no provenance (made by another tool or an older memsieve): ${unrecorded.length === 1 ? 'its' : 'their'} tokenizer and settings cannot be checked against the other inputs`);
  }
  const [first, ...rest] = recorded;
  for (const input of rest) {
    for (const field of fields) {
      const [a, b] = [fieldValue(first.provenance!, field), fieldValue(input.provenance!, field)];
      if (same(a, b)) continue;
      if (!allow.includes(field) || wording.override === undefined) {
        const override = wording.override === undefined ? '' : `, or pass --allow-mismatch ${field} ${wording.override}`;
        throw new UserError(`${input.name}: ${field} is ${show(field, b)}, but ${first.name} has ${field} ${show(field, a)}; ${wording.why}: ${wording.redo}${override}`);
      }
      check.allowed_mismatches.push({ field, inputs: [first.name, input.name], values: [a, b] });
    }
  }
  return check;
}

/** One line naming what --allow-mismatch let through (null: nothing), for the commands' result lines. */
export function describeAllowedMismatches(mismatches: Mismatch[] | undefined): string | null {
  if (!mismatches || mismatches.length === 0) return null;
  return `combined although made differently (--allow-mismatch): ${mismatches.map((m) => `${m.field} ${show(m.field, m.values[1])} in ${m.inputs[1]}, ${show(m.field, m.values[0])} in ${m.inputs[0]}`).join('; ')}`;
}

/** Which stage's record describes a label column: score's teacher_memorized / baseline_memorized, else the audit's. */
export function labelStage(column: string): ProvenanceStage {
  return /^(teacher|baseline)_memorized$/.test(column) ? 'score' : 'audit';
}

/**
 * compare, verdict and counterfactual: the audits (or score files' memorization columns) combined must be
 * made with one tokenizer, special tokens and windows; the models differ, that is the point.
 */
export async function checkAuditsAlike(audits: { name: string; path: string; column: string }[], allow: readonly GuardedField[] = []): Promise<AlikeCheck> {
  const inputs = await Promise.all(
    audits.map(async (a) => ({ name: a.name, provenance: await readProvenance(a.path, labelStage(a.column), undefined, a.name.split(' ')[0]) })),
  );
  return checkMadeAlike(inputs, MEMORIZATION_FIELDS, {
    why: 'memorization rates measured otherwise are not comparable',
    redo: 'audit every model with the same tokenizer and settings',
    override: 'to combine them anyway',
  }, allow);
}

/**
 * train and evaluate: the scores' record and the labels' (the audit's, or score's for its teacher_memorized /
 * baseline_memorized) must count the same tokens of each row. Labels without a record (made by hand) are
 * not warned about: only the scores' record goes on to be checked against later scores.
 */
export async function checkScoresAndLabels(scores: string, labels: string, labelColumn: string, allow: readonly GuardedField[] = [], scoresRead?: Provenance | null) {
  const [scoring, labelsMade] = await Promise.all([
    scoresRead !== undefined ? scoresRead : readProvenance(scores, 'score', undefined, '--scores'),
    readProvenance(labels, labelStage(labelColumn), undefined, '--labels'),
  ]);
  const alike = checkMadeAlike([{ name: `--scores ${scores}`, provenance: scoring }, { name: `--labels ${labels}`, provenance: labelsMade }], TOKEN_FIELDS, {
    why: 'the labels would describe other tokens than the features',
    redo: 'score and audit with the same tokenizer, --special-tokens and --max-tokens',
    override: 'to use them anyway',
  }, allow);
  return { scoring, labelsMade, alike };
}

/** A field's value as compared: the tokenizer by content, the special tokens by policy and ids added. */
function fieldValue(p: Pick<Provenance, 'tokenizer'> & Partial<Provenance>, field: GuardedField): unknown {
  switch (field) {
    case 'tokenizer':
      return p.tokenizer.sha256;
    case 'special_tokens':
      return { policy: p.tokenizer.special_tokens, ...p.tokenizer.added_special_ids };
    default:
      return p[field];
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function show(field: string, value: unknown): string {
  if (field === 'tokenizer' && typeof value === 'string') return `sha256 ${value.slice(0, 12)}…`;
  if (field === 'special_tokens' && value && typeof value === 'object') {
    const v = value as { policy: string; leading: number[]; trailing: number[] };
    return `"${v.policy}" (adds [${v.leading.join(', ')}] before, [${v.trailing.join(', ')}] after)`;
  }
  return JSON.stringify(value ?? null);
}

/** The first field in which two files' provenance differ (null when the same, or both none). */
function differenceOf(a: Provenance | null, b: Provenance | null): { field: string; a: unknown; b: unknown } | null {
  if (!a || !b) return a === b ? null : { field: 'provenance', a: a ? 'recorded' : 'none', b: b ? 'recorded' : 'none' };
  for (const field of GUARDED_FIELDS) if (!same(fieldValue(a, field), fieldValue(b, field))) return { field, a: fieldValue(a, field), b: fieldValue(b, field) };
  for (const role of new Set([...Object.keys(a.models), ...Object.keys(b.models)])) {
    if (a.models[role]?.sha256 !== b.models[role]?.sha256) return { field: role, a: a.models[role]?.path ?? null, b: b.models[role]?.path ?? null };
  }
  for (const field of ['backend', 'dtype', 'tool_version'] as const) if (a[field] !== b[field]) return { field, a: a[field], b: b[field] };
  return null;
}

// --- model identity ---------------------------------------------------------------------------

/** A checkpoint folder's files that make its numbers: the config and the weights (not tokenizer or generation settings). */
const CHECKPOINT_FILE = /^(config\.json|.*\.(safetensors|bin|pt|pth|ckpt|onnx|onnx_data|data|gguf|h5|msgpack)|.*\.index\.json)$/;
/** Files at least this large have their hash cached (smaller ones hash faster than the cache is read). */
const CACHED_BYTES = 16 << 20;

/**
 * A model's content hash: of the .onnx file, or of a checkpoint folder's config and weight files (each
 * file's sha256, by name, hashed together). Hashing reads every byte (about 2.5 s a GB on a 2-core machine, docs/provenance.md); the hash of a
 * large file is cached by path, size and modification time in the user's cache folder, so a rerun
 * does not read a multi-GB checkpoint again.
 */
export async function modelIdentity(path: string): Promise<ModelIdentity> {
  const s = await stat(path).catch(() => null);
  if (!s) throw new UserError(`${path}: no such model file or folder`);
  if (!s.isDirectory()) return { path, sha256: await cachedSha256(path) };
  const names = (await readdir(path)).sort();
  const files: [string, string][] = [];
  for (const name of names) {
    if (!CHECKPOINT_FILE.test(name)) continue;
    const inner = join(path, name);
    if ((await stat(inner)).isFile()) files.push([name, await cachedSha256(inner)]);
  }
  if (files.length === 0) throw new UserError(`${path}: a folder with no config.json or weight files (*.safetensors, *.bin, *.pt); pass a model file or a checkpoint folder`);
  return { path, sha256: createHash('sha256').update(JSON.stringify(files)).digest('hex') };
}

type HashCache = Record<string, { size: number; mtime_ms: number; sha256: string }>;

/** MEMSIEVE_CACHE_DIR, else $XDG_CACHE_HOME/memsieve, else ~/.cache/memsieve. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.MEMSIEVE_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'memsieve');
}

async function cachedSha256(path: string): Promise<string> {
  const s = await stat(path);
  if (s.size < CACHED_BYTES) return sha256File(path);
  const key = resolve(path);
  const file = join(cacheDir(), 'model-sha256.json');
  const cache = await readFile(file, 'utf8').then((t) => JSON.parse(t) as HashCache).catch(() => ({}) as HashCache);
  const hit = cache[key];
  if (hit && hit.size === s.size && hit.mtime_ms === s.mtimeMs) return hit.sha256;
  const sha256 = await sha256File(path);
  // a cache that cannot be written only costs the next run a rehash
  try {
    await mkdir(cacheDir(), { recursive: true });
    const latest = await readFile(file, 'utf8').then((t) => JSON.parse(t) as HashCache).catch(() => ({}) as HashCache);
    await writeFileAtomic(file, `${JSON.stringify({ ...latest, [key]: { size: s.size, mtime_ms: s.mtimeMs, sha256 } })}\n`);
  } catch {
    // read-only home, full disk: go on without the cache
  }
  return sha256;
}

