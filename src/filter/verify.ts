// memsieve verify: prove from the files alone that D_clean ⊎ removed = input, as the manifest says.
// Streams every file once with O(1) memory (hashes, counts, multiset fingerprints; the removed-rows list
// in step with the removed file). Only when the fingerprints disagree does it hold an id → row digest map
// of the input, to name the rows that differ.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openReader, sha256File } from '../io/index.js';
import type { Batch } from '../io/types.js';
import { addFingerprints, MissingColumnError, MultisetHash, RowHasher } from './fingerprint.js';
import { sameScoresRows } from './scores-identity.js';
import { MANIFEST_FILE } from './filter.js';
import { loadManifest, type FileEntry, type Manifest } from './manifest.js';
import { resolveFrom } from './paths.js';
import { readRemovedList } from './removed-list.js';
import { IdIndex } from '../id-index.js';
import { loadRiskModel, type RiskModel } from '../risk/index.js';
import { checkScoring, readAgreedProvenance, type GuardedField } from '../stage/provenance.js';
import { driftOf, driftRanges, measureDrift } from './drift.js';
import { readRiskIndex, type RiskIndex } from './scores.js';
import { modelScorer, ruleScorer } from './scorer.js';
import { parseRule } from './rule.js';
import type { RemovedRow } from './types.js';
import { withWarnings, type Warned, type WarningOptions } from '../stage/warnings.js';

/** at most this many discrepancies of one kind are listed */
const LISTED = 5;
/** bytes of a row's SHA-256 kept to tell an altered row (a 2^-128 chance to miss one) */
const DIGEST_PREFIX = 16;

export interface VerifyResult {
  ok: boolean;
  /** one line per discrepancy, most basic first (file hashes, then counts, then rows) */
  problems: string[];
  manifest: Manifest;
  /** what was re-read: rows per dataset */
  rows: { input: number; clean: number; removed: number };
}

export interface VerifyOptions extends WarningOptions {
  /**
   * Also recompute every row's risk from the scores and the model the manifest names, and require the
   * clean and removed files to carry exactly that risk. Holds filter's id → risk index (~60 bytes a row).
   */
  checkRisk?: boolean;
}

export function verifyReport(reportDir: string, options: VerifyOptions = {}): Promise<Warned<VerifyResult>> {
  return withWarnings(options, () => checkReport(reportDir, options));
}

async function checkReport(reportDir: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const manifest = await loadManifest(join(reportDir, MANIFEST_FILE));
  const problems: string[] = [];
  const where = (p: string) => resolveFrom(reportDir, p);

  // 1. every file named in the manifest, byte for byte
  const entries: [string, FileEntry][] = [
    ...(manifest.model ? [['model', manifest.model] as [string, FileEntry]] : []),
    ...(manifest.evaluation ? [['evaluation', manifest.evaluation] as [string, FileEntry]] : []),
    ...manifest.input.files.map((f) => ['input', f] as [string, FileEntry]),
    ...manifest.scores.files.map((f) => ['scores', f] as [string, FileEntry]),
    ...manifest.clean.files.map((f) => ['clean', f] as [string, FileEntry]),
    ...manifest.removed.files.map((f) => ['removed', f] as [string, FileEntry]),
    ['removed-rows list', manifest.removed_rows],
    ['report', manifest.report],
  ];
  for (const [role, entry] of entries) {
    try {
      const actual = await sha256File(where(entry.path));
      if (actual !== entry.sha256) problems.push(`${role} file ${entry.path}: sha256 ${actual} differs from the manifest's ${entry.sha256} (file changed since filter)`);
    } catch (error) {
      problems.push(`${role} file ${entry.path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }

  // the model's provenance and the evaluation, against the files they name
  problems.push(...(await checkProvenance(manifest, where)));
  // how the scores were made and their drift, re-derived from the scores and the model
  problems.push(...(await checkScoringAndDrift(manifest, where)));

  // 2. re-read the rows: counts and fingerprints over the input's columns
  const columns = manifest.fingerprint.columns;
  const threshold = manifest.threshold.value;
  const tally = new Tally();
  const modelRisk = options.checkRisk ? await recomputedRisk(manifest, where, problems) : null;
  /** with --check-risk: the file's risk must be the model's prediction from the scores (NaN: unscored) */
  const checkRisk = (name: string, id: string, risk: number) => {
    if (!modelRisk) return;
    const at = modelRisk.rowOf.get(id);
    if (at < 0) return tally.note('risk-unscored', `${name} row id ${id} has no row in the scores`);
    const expected = modelRisk.risk[at];
    if (!Object.is(expected, risk)) {
      tally.note('risk-model', `${name} row id ${id}: risk ${Number.isNaN(risk) ? 'null' : risk} in the file, the ${manifest.rule ? 'rule' : 'model'} gives ${Number.isNaN(expected) ? 'none (too short to score)' : expected} from the scores`);
    }
  };
  const listed = readRemovedList(where(manifest.removed_rows.path))[Symbol.asyncIterator]();
  let listedRows = 0;
  let listProblem: string | null = null;
  const nextListed = async (): Promise<RemovedRow | null> => {
    if (listProblem !== null) return null;
    try {
      const next = await listed.next();
      if (next.done) return null;
      listedRows++;
      return next.value;
    } catch (error) {
      listProblem = `removed-rows list ${manifest.removed_rows.path}: ${(error as Error).message}`;
      return null;
    }
  };
  const input = await scan('input', manifest.input.files, columns, manifest, where, problems);
  const clean = await scan('clean', manifest.clean.files, columns, manifest, where, problems, (ids, risk) => {
    for (let i = 0; i < ids.length; i++) {
      // null risk (NaN here): a row too short to score, kept
      if (risk![i] >= threshold) tally.note('clean-risk', `clean row id ${ids[i]} has risk ${risk![i]} >= threshold ${threshold}`);
      checkRisk('clean', ids[i], risk![i]);
    }
  });
  // the list holds the removed rows in the removed file's order: line k describes row k
  const removed = await scan('removed', manifest.removed.files, columns, manifest, where, problems, async (ids, risk, digests) => {
    for (let i = 0; i < ids.length; i++) {
      const entry = await nextListed();
      if (!entry) {
        tally.note('unlisted', `removed row id ${ids[i]} is not in the removed-rows list (it ends earlier)`);
        continue;
      }
      if (entry.id !== ids[i]) {
        tally.note('unlisted', `removed row id ${ids[i]}: the removed-rows list has id ${entry.id} at its place`);
        continue;
      }
      if (entry.risk !== risk![i]) tally.note('risk', `removed row id ${ids[i]}: risk ${risk![i]} in the file, ${entry.risk} in the manifest`);
      if (entry.row_sha256 !== digests[i]) tally.note('row-hash', `removed row id ${ids[i]}: content differs from the manifest's row_sha256`);
      if (!(risk![i] >= threshold)) tally.note('removed-risk', `removed row id ${ids[i]} has risk ${risk![i]} < threshold ${threshold}`);
      checkRisk('removed', ids[i], risk![i]);
    }
  });
  if (removed.read) {
    for (let entry = await nextListed(); entry; entry = await nextListed()) {
      tally.note('listed-missing', `the removed-rows list names id ${entry.id}, the removed file does not hold it`);
    }
    if (listProblem) problems.push(listProblem);
    else if (listedRows !== manifest.removed_rows.rows) problems.push(`removed-rows list: ${listedRows} rows, the manifest says ${manifest.removed_rows.rows}`);
  }
  problems.push(...tally.lines());

  const compare = (name: string, scanned: Scan, expected: { rows: number; fingerprint: string }) => {
    if (!scanned.read) return;
    if (scanned.rows !== expected.rows) problems.push(`${name}: ${scanned.rows} rows, the manifest says ${expected.rows}`);
    if (scanned.fingerprint !== expected.fingerprint) problems.push(`${name}: row fingerprint ${scanned.fingerprint} differs from the manifest's (rows changed)`);
  };
  compare('input', input, manifest.input);
  compare('clean', clean, manifest.clean);
  compare('removed', removed, manifest.removed);
  let rowsDiffer = false;
  if (input.read && clean.read && removed.read) {
    if (clean.rows + removed.rows !== input.rows) problems.push(`clean (${clean.rows}) + removed (${removed.rows}) rows = ${clean.rows + removed.rows}, input has ${input.rows}`);
    if (addFingerprints(clean.fingerprint, removed.fingerprint) !== input.fingerprint || clean.rows + removed.rows !== input.rows) {
      problems.push('clean ⊎ removed is not the input: rows were lost, duplicated, added or altered');
      rowsDiffer = true;
    }
  }
  // 3. name the rows that differ
  if (rowsDiffer) problems.push(...(await diagnoseRows(manifest, where)));
  return { ok: problems.length === 0, problems, manifest, rows: { input: input.rows, clean: clean.rows, removed: removed.rows } };
}

/**
 * What the manifest says about where its model came from, re-derived from the files: risk.json's own
 * training hashes, whether they are this corpus's scores, and the evaluation's model and scores.
 */
async function checkProvenance(manifest: Manifest, where: (p: string) => string): Promise<string[]> {
  const problems: string[] = [];
  const scoresSha = manifest.scores.files[0]?.sha256;
  const trained = manifest.model?.trained_on;
  if (manifest.model && trained) {
    try {
      const inputs = (await loadRiskModel(where(manifest.model.path))).provenance.inputs;
      if (inputs.scores.sha256 !== trained.scores.sha256 || inputs.labels.sha256 !== trained.labels.sha256 || JSON.stringify(inputs.scores.rows_fingerprint) !== JSON.stringify(trained.scores.rows_fingerprint)) {
        problems.push(`model ${manifest.model.path}: trained on scores sha256 ${inputs.scores.sha256} and labels ${inputs.labels.sha256}, the manifest says ${trained.scores.sha256} and ${trained.labels.sha256}`);
      }
    } catch {
      // unreadable model: already reported by its file hash
    }
    const same = await sameScoresRows(trained.scores, manifest.scores.files.map((f) => where(f.path)), scoresSha, manifest.id_column, 'scores').catch(() => undefined);
    if (same !== undefined && trained.this_corpus !== same) {
      problems.push(`manifest says the model was trained on ${trained.this_corpus ? 'this' : 'another'} corpus's scores, but its training scores (sha256 ${trained.scores.sha256}${trained.scores.rows_fingerprint ? `, rows ${trained.scores.rows_fingerprint.value.slice(0, 12)}…` : ''}) ${trained.this_corpus ? 'differ from' : 'are'} the filtered scores (sha256 ${scoresSha})`);
    }
  }
  const evaluation = manifest.evaluation;
  if (evaluation) {
    const result = evaluation.result;
    if (result.model.sha256 !== manifest.model?.sha256) problems.push(`evaluation ${evaluation.path}: evaluates model sha256 ${result.model.sha256}, the filter used ${manifest.model?.sha256 ?? 'no model'}`);
    const same = await sameScoresRows(result.scores, manifest.scores.files.map((f) => where(f.path)), scoresSha, manifest.id_column, 'scores').catch(() => undefined);
    if (same !== undefined && evaluation.of_these_scores !== same) {
      problems.push(`manifest says the evaluation was ${evaluation.of_these_scores ? '' : 'not '}made on the filtered scores, but its scores (sha256 ${result.scores.sha256}) ${evaluation.of_these_scores ? 'differ from' : 'are'} the filtered scores (sha256 ${scoresSha})`);
    }
    try {
      const file = JSON.parse(await readFile(where(evaluation.path), 'utf8'));
      if (JSON.stringify(file) !== JSON.stringify(result)) problems.push(`evaluation ${evaluation.path}: its figures differ from the ones the manifest (and report) show`);
    } catch {
      // unreadable: already reported by its file hash
    }
  }
  return problems;
}

/**
 * The manifest's scoring record (the scores' provenance against the model's training scores', the
 * transfer, the mismatches allowed) and its drift figures, re-derived from the files.
 */
async function checkScoringAndDrift(manifest: Manifest, where: (p: string) => string): Promise<string[]> {
  const problems: string[] = [];
  const scoring = manifest.scoring;
  const scoresFiles = manifest.scores.files.map((f) => where(f.path));
  let model: RiskModel | null = null;
  if (manifest.model) model = await loadRiskModel(where(manifest.model.path)).catch(() => null); // unreadable: reported by its hash
  if (scoring) {
    try {
      const scores = await readAgreedProvenance(scoresFiles, 'score', 'scores');
      if (!same(scores, scoring.scores)) problems.push(`scores ${manifest.scores.files[0]?.path}: the provenance in its metadata differs from the manifest's record of it`);
      if (model) {
        const trained = model.provenance.scoring ?? null;
        if (!same(trained, scoring.trained)) problems.push(`model ${manifest.model!.path}: the provenance of its training scores differs from the manifest's record of it`);
        const allowed = scoring.allowed_mismatches.map((d) => d.field as GuardedField);
        const check = checkScoring(scores, trained, { scores: manifest.scores.files[0]?.path ?? '', model: manifest.model!.path }, allowed);
        if (!same(check.transfer, scoring.transfer)) problems.push(`manifest's transfer record (${scoring.transfer.map((d) => d.field).join(', ') || 'none'}) differs from the scores and model (${check.transfer.map((d) => d.field).join(', ') || 'none'})`);
        if (!same(check.allowed_mismatches, scoring.allowed_mismatches)) problems.push('manifest\'s allowed mismatches differ from what the scores and model differ in');
      }
    } catch (error) {
      problems.push(`scoring provenance: ${(error as Error).message}`);
    }
  }
  if (manifest.drift && model) {
    try {
      const drift = driftOf(await measureDrift(scoresFiles, model, manifest.id_column), driftRanges(model));
      for (const [name, recorded] of Object.entries(manifest.drift.features)) {
        const actual = drift?.features[name];
        if (!actual || actual.outside !== recorded.outside || actual.rows !== recorded.rows || actual.low !== recorded.low || actual.high !== recorded.high) {
          problems.push(`drift of ${name}: the manifest says ${recorded.outside} of ${recorded.rows} rows outside ${recorded.low}..${recorded.high}, the scores and model give ${actual ? `${actual.outside} of ${actual.rows} outside ${actual.low}..${actual.high}` : 'no range'}`);
        }
      }
      if (drift && !same(drift.warned, manifest.drift.warned)) problems.push(`drift: the manifest warns of ${manifest.drift.warned.join(', ') || 'nothing'}, the figures of ${drift.warned.join(', ') || 'nothing'}`);
    } catch (error) {
      problems.push(`drift: cannot re-measure (${(error as Error).message})`);
    }
  }
  return problems;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The risk (or rule value) filter computed, recomputed from the scores and the model or rule the manifest names. */
async function recomputedRisk(manifest: Manifest, where: (p: string) => string, problems: string[]): Promise<RiskIndex | null> {
  try {
    let scorer;
    if (manifest.rule) {
      const rule = parseRule(manifest.rule.text);
      if (rule.canonical !== manifest.rule.canonical) throw new Error(`the rule '${manifest.rule.text}' parses as '${rule.canonical}', the manifest says '${manifest.rule.canonical}'`);
      scorer = ruleScorer(rule);
    } else {
      scorer = modelScorer(await loadRiskModel(where(manifest.model!.path)));
    }
    return await readRiskIndex(where(manifest.scores.files[0].path), scorer, manifest.id_column);
  } catch (error) {
    problems.push(`--check-risk: cannot recompute risk (${(error as Error).message})`);
    return null;
  }
}

interface Scan {
  read: boolean;
  rows: number;
  fingerprint: string;
}

type RowCheck = (ids: string[], risk: Float64Array | null, digests: string[]) => void | Promise<void>;

async function scan(name: string, files: FileEntry[], columns: string[], manifest: Manifest, where: (p: string) => string, problems: string[], check?: RowCheck): Promise<Scan> {
  const hasher = new RowHasher(columns);
  const hash = new MultisetHash();
  let rows = 0;
  try {
    for await (const batch of openReader(files.map((f) => where(f.path)))) {
      const digests = hasher.digests(batch, name);
      for (const d of digests) hash.add(d);
      if (check) {
        const riskVector = batch.getChild('risk');
        if (!riskVector) throw new MissingColumnError(name, 'risk');
        const risk = Float64Array.from({ length: batch.numRows }, (_, i) => (riskVector.get(i) as number | null) ?? NaN);
        await check(idsOf(batch, manifest.id_column, name), risk, digests.map((d) => d.toString('hex')));
      }
      rows += batch.numRows;
    }
  } catch (error) {
    problems.push(`${name}: cannot re-read its rows (${(error as Error).message})`);
    return { read: false, rows, fingerprint: '' };
  }
  return { read: true, rows, fingerprint: hash.hex() };
}

function idsOf(batch: Batch, idColumn: string, name: string): string[] {
  const ids = batch.getChild(idColumn);
  if (!ids) throw new MissingColumnError(name, idColumn);
  return Array.from({ length: batch.numRows }, (_, i) => String(ids.get(i)));
}

/** Discrepancies of one kind are capped at a few named ids and a count, not a million lines. */
class Tally {
  private readonly kinds = new Map<string, { lines: string[]; count: number }>();

  note(kind: string, line: string): void {
    let k = this.kinds.get(kind);
    if (!k) this.kinds.set(kind, (k = { lines: [], count: 0 }));
    k.count++;
    if (k.lines.length < LISTED) k.lines.push(line);
  }

  lines(): string[] {
    const out: string[] = [];
    for (const { lines, count } of this.kinds.values()) {
      out.push(...lines);
      if (count > lines.length) out.push(`  … and ${count - lines.length} more like it`);
    }
    return out;
  }
}

/**
 * Names lost, added, duplicated and altered rows by id. Holds an id → input row index and the first
 * 16 bytes of each input row's digest (~75 bytes a row); runs only when the fingerprints disagree.
 */
async function diagnoseRows(manifest: Manifest, where: (p: string) => string): Promise<string[]> {
  const hasher = new RowHasher(manifest.fingerprint.columns);
  const inputFiles = manifest.input.files.map((f) => where(f.path));
  const rowOf = new IdIndex();
  let digests = new Uint8Array(DIGEST_PREFIX * 1024);
  let rows = 0;
  try {
    for await (const batch of openReader(inputFiles)) {
      const batchDigests = hasher.digests(batch, 'input');
      if ((rows + batch.numRows) * DIGEST_PREFIX > digests.length) {
        const grown = new Uint8Array(Math.max(digests.length * 2, (rows + batch.numRows) * DIGEST_PREFIX));
        grown.set(digests);
        digests = grown;
      }
      idsOf(batch, manifest.id_column, 'input').forEach((id, i) => {
        rowOf.add(id, rows + i);
        digests.set(batchDigests[i].subarray(0, DIGEST_PREFIX), (rows + i) * DIGEST_PREFIX);
      });
      rows += batch.numRows;
    }
  } catch {
    return []; // the input itself is unreadable: already reported
  }
  const seen = new Uint8Array(rows);
  const tally = new Tally();
  for (const name of ['clean', 'removed'] as const) {
    try {
      for await (const batch of openReader(manifest[name].files.map((f) => where(f.path)))) {
        const batchDigests = hasher.digests(batch, name);
        idsOf(batch, manifest.id_column, name).forEach((id, i) => {
          const at = rowOf.get(id);
          if (at < 0) tally.note('added', `row id ${id} in ${name} is not in the input (added)`);
          else if (seen[at]) tally.note('duplicated', `row id ${id} appears more than once in clean/removed (duplicated)`);
          else if (Buffer.compare(batchDigests[i].subarray(0, DIGEST_PREFIX), digests.subarray(at * DIGEST_PREFIX, (at + 1) * DIGEST_PREFIX)) !== 0) {
            tally.note('altered', `row id ${id} in ${name} differs from the input row (altered)`);
          }
          if (at >= 0) seen[at] = 1;
        });
      }
    } catch {
      // unreadable output: already reported by the scan
    }
  }
  if (seen.includes(0)) {
    // the index keeps no ids: name the lost rows from a last read of the input's ids
    let at = 0;
    for await (const batch of openReader(inputFiles, { columns: [manifest.id_column] })) {
      for (const id of idsOf(batch, manifest.id_column, 'input')) if (!seen[at++]) tally.note('lost', `input row id ${id} is in neither clean nor removed (lost)`);
    }
  }
  return tally.lines();
}
