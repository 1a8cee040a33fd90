import { Bool, Float64, Int32, makeData, makeVector, vectorFromArray, type Vector } from 'apache-arrow';

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
  'teacher_memorized',
  'teacher_lead',
  'baseline_memorized',
  'baseline_lead',
  'teacher_mink',
  'baseline_mink',
  'teacher_minkpp',
  'baseline_minkpp',
  'teacher_zlib_ratio',
] as const;

export type ScoreColumn = (typeof SCORE_COLUMNS)[number];

/** The columns of the suffix window: null for rows shorter than prefix + suffix tokens. */
export const SUFFIX_COLUMNS: readonly ScoreColumn[] = [
  'teacher_suffix_entropy',
  'baseline_suffix_entropy',
  'teacher_suffix_logprob',
  'baseline_suffix_logprob',
  'teacher_memorized',
  'teacher_lead',
  'baseline_memorized',
  'baseline_lead',
];

/** NaN (undefined for the row) becomes null in the output. */
export function float64Column(values: ArrayLike<number>): Vector {
  const n = values.length;
  const data = Float64Array.from(values);
  const validity = new Uint8Array((n + 7) >> 3);
  let nullCount = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(data[i])) {
      data[i] = 0;
      nullCount++;
    } else validity[i >> 3] |= 1 << (i & 7);
  }
  return makeVector(makeData({ type: new Float64(), length: n, nullCount, nullBitmap: nullCount ? validity : undefined, data }));
}

export function int32Column(values: ArrayLike<number>): Vector {
  return vectorFromArray(Array.from(values), new Int32());
}

/** NaN becomes null, like float64Column (integers carried as float64 by the feature math). */
export function nullableInt32Column(values: ArrayLike<number>): Vector {
  return vectorFromArray(Array.from(values, (v) => (Number.isNaN(v) ? null : v)), new Int32());
}

/** 1/0 as true/false, NaN as null. */
export function nullableBoolColumn(values: ArrayLike<number>): Vector {
  return vectorFromArray(Array.from(values, (v) => (Number.isNaN(v) ? null : v !== 0)), new Bool());
}
