// evaluation.json: a risk model measured on labelled rows it was not trained on. Documented field by
// field in docs/risk.md ("memsieve evaluate").
import { readFile } from 'node:fs/promises';
import { UserError } from '../errors.js';

import type { Calibration } from './calibration.js';
import type { Mismatch, ScoringCheck } from '../stage/provenance.js';
import type { Threshold } from '../filter/types.js';
import type { RowsFingerprint } from '../filter/scores-identity.js';

export const EVALUATION_SCHEMA = 'memsieve.evaluation/v1';

export interface HashedFile {
  path: string;
  sha256: string;
  rows: number;
  /** scores: their rows' fingerprint over the id and feature columns (filter/scores-identity.ts) */
  rows_fingerprint?: RowsFingerprint;
}

export interface Evaluation {
  schema: typeof EVALUATION_SCHEMA;
  tool: 'memsieve';
  tool_version: string;
  created: string;
  /** the risk.json evaluated, and the files it was trained on (from its provenance) */
  model: { path: string; sha256: string; trained_on: { scores: HashedFile; labels: HashedFile } };
  scores: HashedFile;
  labels: HashedFile;
  /** the scores evaluated on are the ones the model was trained on (the same file, or the same rows in another layout; labels: the same file): not held out */
  trained_on_these_scores: boolean;
  trained_on_these_labels: boolean;
  id_column: string;
  label_column: string;
  /** rows with a label after the join; unlabelled (null label) rows are left out */
  rows: { joined: number; unlabelled: number; positives: number; negatives: number };
  roc_auc: number;
  average_precision: number;
  threshold: Threshold;
  /** flagging risk >= threshold.value */
  at_threshold: {
    removed: number;
    removed_fraction: number;
    /** memorized rows flagged (true positives) */
    caught: number;
    recall: number;
    precision: number;
    f1: number;
  };
  calibration: Calibration;
  /** ROC curve on these rows (scikit-learn's roc_curve with drop_intermediate), for the figure */
  roc: { fpr: number[]; tpr: number[] };
  /** the scores' provenance against the model's training scores' (docs/provenance.md); absent in older files */
  scoring?: ScoringCheck;
  /** fields the labels differ from the scores in, evaluated anyway because --allow-mismatch named them */
  labels_allowed_mismatches?: Mismatch[];
}

/** Reads and checks an evaluation file; `option` names the CLI option in errors. */
export async function loadEvaluation(path: string, option = '--evaluation'): Promise<Evaluation> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(`${option} ${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let raw: Partial<Evaluation> | null;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${option} ${path}: not a JSON file (${(error as Error).message}); pass the --output of 'memsieve evaluate'`);
  }
  if (typeof raw !== 'object' || raw === null || raw.schema !== EVALUATION_SCHEMA) {
    throw new UserError(`${option} ${path}: evaluation schema is ${JSON.stringify(raw?.schema ?? null)}, this memsieve reads "${EVALUATION_SCHEMA}"; pass the --output of 'memsieve evaluate'`);
  }
  if (typeof raw.model?.sha256 !== 'string' || typeof raw.scores?.sha256 !== 'string' || !raw.at_threshold || !raw.calibration || !raw.threshold) {
    throw new UserError(`${option} ${path}: evaluation is missing fields (model, scores, threshold, at_threshold, calibration); re-create it with 'memsieve evaluate'`);
  }
  return raw as Evaluation;
}
