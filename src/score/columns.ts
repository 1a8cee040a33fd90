import { Float64, Int32, vectorFromArray, type Vector } from 'apache-arrow';

/** The columns `score` appends, in order. Definitions: docs/features.md. */
export const SCORE_COLUMNS = [
  'n_tokens',
  'teacher_nll',
  'baseline_nll',
  'teacher_ppl',
  'baseline_ppl',
  'kl_teacher_baseline',
  'zlib_bytes',
  'zlib_entropy',
  'teacher_suffix_entropy',
  'baseline_suffix_entropy',
  'teacher_suffix_logprob',
  'baseline_suffix_logprob',
] as const;

export type ScoreColumn = (typeof SCORE_COLUMNS)[number];

/** NaN (undefined for the row) becomes null in the output. */
export function float64Column(values: ArrayLike<number>): Vector {
  const out: (number | null)[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Number.isNaN(values[i]) ? null : values[i];
  return vectorFromArray(out, new Float64());
}

export function int32Column(values: ArrayLike<number>): Vector {
  return vectorFromArray(Array.from(values), new Int32());
}
