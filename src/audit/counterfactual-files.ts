// `memsieve counterfactual`: K audits of K models, each trained on its own random part of the corpus
// (pipelines/counterfactual.yaml: `sample --fraction 0.5 --seed i`), combined per row into counterfactual
// memorization (counterfactual.ts). Holds each audit's measure and each training set's ids in memory.
import { existsSync, readFileSync } from 'node:fs';
import { Float64, Int32, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { UserError } from '../errors.js';
import { IdIndex } from '../id-index.js';
import { openReader, openWriter, refuseOverwrite, writeFileAtomic } from '../io/index.js';
import { missingColumnError } from '../io/missing-column.js';
import { parseAuditArgument, splitNamedArgument } from './compare.js';
import { summaryPath } from './audit.js';
import { counterfactualRow } from './counterfactual.js';
import { withWarnings, type Warned, type WarningOptions, withWarningsSaid } from '../stage/warnings.js';
import { checkAuditsAlike, warnAlike, type GuardedField, type Mismatch } from '../stage/provenance.js';

export interface CounterfactualOptions extends WarningOptions {
  /** name=audit (name=audit:column for another measure column) */
  audits: string[];
  /** name=training data of that model (any file with the id column) */
  trainedOn: string[];
  output: string;
  /** audit column measured: memorized (default; true = 1) or match_fraction (audit --approximate), … */
  measure?: string;
  idColumn?: string;
  /** provenance fields the audits may differ in (--allow-mismatch) */
  allowMismatch?: GuardedField[];
}

export interface CounterfactualSummary {
  command: 'counterfactual';
  output: string;
  measure: string;
  /** K */
  models: number;
  runs: { name: string; audit: string; column: string; trained_on: string; training_rows: number }[];
  rows: number;
  /** rows with at least one model trained on them and one not: counterfactual is defined */
  rows_defined: number;
  mean_counterfactual: number | null;
  /** models trained on a row, over the rows: min, mean, max */
  in_models: { min: number; mean: number; max: number };
  /** provenance fields the audits differ in, combined anyway because --allow-mismatch named them */
  allowed_mismatches?: Mismatch[];
}

/** Audit settings the measure depends on that provenance does not record (from each audit's summary); tokenizer and windows: checkAuditsAlike. */
const SAME_SETTINGS = ['method', 'approx_threshold'] as const;

/** Pairs --audit and --trained-on by name; every check before any file is read in full. */
export function counterfactualRuns(options: CounterfactualOptions): { name: string; audit: string; column: string; trainedOn: string }[] {
  const measure = options.measure ?? 'memorized';
  const audits = options.audits.map((a) => parseAuditArgument(a, measure));
  const trained = new Map(options.trainedOn.map((t) => {
    const { name, path } = splitNamedArgument(t, '--trained-on', 'name=path, e.g. --trained-on s0=half-0.parquet');
    return [name, path] as const;
  }));
  if (trained.size !== options.trainedOn.length) throw new UserError('--trained-on: a name is given twice; name each model once');
  if (new Set(audits.map((a) => a.name)).size !== audits.length) throw new UserError('--audit: a name is given twice; name each model once');
  if (audits.length < 2) throw new UserError(`--audit: counterfactual memorization compares models trained with and without each row; give at least 2 (got ${audits.length})`);
  for (const a of audits) if (!trained.has(a.name)) throw new UserError(`--audit ${a.name}=${a.path}: no --trained-on ${a.name}=DATA says what that model was trained on`);
  for (const name of trained.keys()) if (!audits.some((a) => a.name === name)) throw new UserError(`--trained-on ${name}=${trained.get(name)}: no --audit ${name}=AUDIT of that model`);
  return audits.map((a) => ({ name: a.name, audit: a.path, column: a.column, trainedOn: trained.get(a.name)! }));
}

function checkSameSettings(runs: { name: string; audit: string }[]): void {
  let first: { name: string; summary: Record<string, unknown> } | undefined;
  for (const run of runs) {
    const path = summaryPath(run.audit);
    if (!existsSync(path)) continue;
    const summary = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    if (!first) {
      first = { name: run.name, summary };
      continue;
    }
    for (const key of SAME_SETTINGS) {
      if (summary[key] !== first.summary[key]) {
        throw new UserError(`--audit ${run.name}=${run.audit}: audited with ${key} ${String(summary[key])}, --audit ${first.name} with ${String(first.summary[key])}; audit every model alike`);
      }
    }
  }
}

/** Combines the audits into OUTPUT (id, counterfactual, measure_in, measure_out, in_models, out_models) and OUTPUT.summary.json. */
export function counterfactualFiles(options: CounterfactualOptions): Promise<Warned<CounterfactualSummary>> {
  return withWarnings(options, () => combineAudits(options));
}

async function combineAudits(options: CounterfactualOptions): Promise<CounterfactualSummary> {
  const idColumn = options.idColumn ?? 'id';
  const measure = options.measure ?? 'memorized';
  const runs = counterfactualRuns(options);
  await refuseOverwrite({ '--output': [options.output, `${options.output}.summary.json`] }, { '--audit': runs.map((r) => r.audit), '--trained-on': runs.map((r) => r.trainedOn) });
  const alike = await checkAuditsAlike(runs.map((run) => ({ name: `--audit ${run.name}=${run.audit}`, path: run.audit, column: run.column })), options.allowMismatch);
  checkSameSettings(runs);
  // rows: the first audit's ids, in its order; each model's measure by id
  const rowIds: string[] = [];
  const index = new IdIndex();
  const values: (number | null)[][] = [];
  for (const [m, run] of runs.entries()) {
    const flag = `--audit ${run.name}=${run.audit}`;
    const column = new Array<number | null>(m === 0 ? 0 : rowIds.length).fill(null);
    let row = 0;
    for await (const batch of openReader(run.audit, { option: '--audit', columns: [idColumn, run.column] })) {
      const seen = batch.schema.fields.map((f) => f.name);
      const ids = batch.getChild(idColumn);
      if (!ids) throw missingColumnError({ subject: flag, name: idColumn, file: run.audit, seen, purpose: 'for ids', hint: 'choose one with --id-column' });
      const vector = batch.getChild(run.column);
      if (!vector) throw missingColumnError({ subject: flag, name: run.column, file: run.audit, seen, purpose: 'to measure', hint: 'match_fraction needs audit --approximate; or name it: name=path:column' });
      for (let i = 0; i < batch.numRows; i++, row++) {
        const id = String(ids.get(i));
        const raw = vector.get(i) as unknown;
        const value = raw === null || raw === undefined ? null : typeof raw === 'boolean' ? Number(raw) : Number(raw);
        if (value !== null && !Number.isFinite(value)) throw new UserError(`${flag}: row ${row} (id ${id}): '${run.column}' is ${String(raw)}; the measure must be a number or a boolean`);
        if (m === 0) {
          if (index.add(id, rowIds.length) >= 0) throw new UserError(`${flag}: id '${id}' appears twice; ids must be unique`);
          rowIds.push(id);
          column.push(value);
        } else {
          const k = index.get(id);
          if (k < 0) throw new UserError(`${flag}: id '${id}' is not in --audit ${runs[0].name}=${runs[0].audit}; audit every model on the same corpus`);
          column[k] = value;
        }
      }
    }
    values.push(column);
  }
  const trainedOn: Uint8Array[] = [];
  const trainingRows: number[] = [];
  for (const run of runs) {
    const inSet = new Uint8Array(rowIds.length);
    const flag = `--trained-on ${run.name}=${run.trainedOn}`;
    let rows = 0;
    const unknown: string[] = [];
    for await (const batch of openReader(run.trainedOn, { option: '--trained-on', columns: [idColumn] })) {
      const ids = batch.getChild(idColumn);
      if (!ids) throw missingColumnError({ subject: flag, name: idColumn, file: run.trainedOn, seen: batch.schema.fields.map((f) => f.name), purpose: 'for ids', hint: 'choose one with --id-column' });
      for (let i = 0; i < batch.numRows; i++, rows++) {
        const k = index.get(String(ids.get(i)));
        if (k < 0) unknown.push(String(ids.get(i)));
        else inSet[k] = 1;
      }
    }
    // a model trained on rows the audits do not have was not trained on a part of this corpus
    if (unknown.length > 0) throw new UserError(`${flag}: ${unknown.length} of its ${rows} ids are not in the audits (first: ${unknown.slice(0, 3).join(', ')}); each model must train on a part of the audited corpus`);
    trainedOn.push(inSet);
    trainingRows.push(rows);
  }

  const result = rowIds.map((_, k) => counterfactualRow(values.map((v) => v[k]), trainedOn.map((t) => t[k] === 1)));
  // a file of nulls is no answer: a row needs a model trained on it and one trained without it
  if (result.length > 0 && result.every((r) => r.counterfactual === null)) {
    const inAll = result.filter((r) => r.out_models === 0).length;
    const inNone = result.filter((r) => r.in_models === 0).length;
    throw new UserError(`--trained-on: no row has a counterfactual value (of ${result.length} rows, ${inAll} are in every model's training data, ${inNone} in none, the rest lack a measure in or out): train each model on a different part of the corpus, e.g. \`memsieve sample --fraction 0.5 --seed K\``);
  }
  const writer = await openWriter(options.output);
  try {
    const chunk = 65_536;
    for (let a = 0; a === 0 || a < rowIds.length; a += chunk) {
      const part = result.slice(a, a + chunk);
      await writer.write(new Table({
        [idColumn]: vectorFromArray(rowIds.slice(a, a + chunk), new Utf8()),
        counterfactual: vectorFromArray(part.map((r) => r.counterfactual), new Float64()),
        measure_in: vectorFromArray(part.map((r) => r.measure_in), new Float64()),
        measure_out: vectorFromArray(part.map((r) => r.measure_out), new Float64()),
        in_models: vectorFromArray(part.map((r) => r.in_models), new Int32()),
        out_models: vectorFromArray(part.map((r) => r.out_models), new Int32()),
      }));
    }
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  const defined = result.filter((r) => r.counterfactual !== null);
  const inCounts = result.map((r) => r.in_models);
  const summary: CounterfactualSummary = {
    command: 'counterfactual',
    output: options.output,
    measure,
    models: runs.length,
    runs: runs.map((run, m) => ({ name: run.name, audit: run.audit, column: run.column, trained_on: run.trainedOn, training_rows: trainingRows[m] })),
    rows: rowIds.length,
    rows_defined: defined.length,
    mean_counterfactual: defined.length === 0 ? null : defined.reduce((s, r) => s + r.counterfactual!, 0) / defined.length,
    in_models: {
      min: inCounts.reduce((m, n) => Math.min(m, n), inCounts.length ? Infinity : 0),
      mean: inCounts.length ? inCounts.reduce((s, n) => s + n, 0) / inCounts.length : 0,
      max: inCounts.reduce((m, n) => Math.max(m, n), 0),
    },
    ...(alike.allowed_mismatches.length > 0 ? { allowed_mismatches: alike.allowed_mismatches } : {}),
  };
  // once every input is read: a bad-input error comes alone
  warnAlike(alike);
  await writeFileAtomic(`${options.output}.summary.json`, `${JSON.stringify(withWarningsSaid(summary), null, 1)}\n`);
  return summary;
}
