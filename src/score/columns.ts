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

/**
 * Where each score column's values can lie (docs/features.md), so that a value no scorer writes (a negative
 * perplexity) is refused by train and filter instead of moving a threshold. A little slack below 0 / above 0
 * for sums in float32 logits that are exactly 0 in math.
 */
const SLACK = 1e-6;
type Domain = { above?: number; atLeast?: number; atMost?: number; text: string };
const POSITIVE: Domain = { above: 0, text: 'positive' };
const NON_NEGATIVE: Domain = { atLeast: -SLACK, text: '>= 0' };
const NON_POSITIVE: Domain = { atMost: SLACK, text: '<= 0 (a log-probability)' };
const SCORE_DOMAINS: Partial<Record<ScoreColumn, Domain>> = {
  n_tokens: NON_NEGATIVE,
  teacher_nll: NON_NEGATIVE,
  baseline_nll: NON_NEGATIVE,
  teacher_ppl: POSITIVE,
  baseline_ppl: POSITIVE,
  kl_teacher_baseline: NON_NEGATIVE,
  zlib_bytes: POSITIVE,
  zlib_entropy: POSITIVE,
  teacher_suffix_entropy: NON_NEGATIVE,
  baseline_suffix_entropy: NON_NEGATIVE,
  teacher_suffix_logprob: NON_POSITIVE,
  baseline_suffix_logprob: NON_POSITIVE,
  teacher_lead: NON_NEGATIVE,
  baseline_lead: NON_NEGATIVE,
  teacher_mink: NON_POSITIVE,
  baseline_mink: NON_POSITIVE,
  teacher_zlib_ratio: NON_NEGATIVE,
};

/** Why `x` cannot be a value of score column `column` ("must be positive"), or undefined when it can (or the column is not memsieve's). */
export function outsideDomain(column: string, x: number): string | undefined {
  const domain = Object.hasOwn(SCORE_DOMAINS, column) ? SCORE_DOMAINS[column as ScoreColumn] : undefined;
  if (!domain) return undefined;
  const inside = (domain.above === undefined || x > domain.above) && (domain.atLeast === undefined || x >= domain.atLeast) && (domain.atMost === undefined || x <= domain.atMost);
  return inside ? undefined : `must be ${domain.text}, as 'memsieve score' writes it`;
}
