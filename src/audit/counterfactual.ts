// Counterfactual memorization (Zhang et al. 2021, "Counterfactual Memorization in Neural Language
// Models"): of a row, the mean measure of the models trained on it minus that of the models not
// trained on it. Pure: the caller reads K audits and K training sets. Definition: docs/audit.md.

/** One row's counterfactual memorization over K models. */
export interface CounterfactualRow {
  /** models whose training set holds the row, and that give it a value */
  in_models: number;
  out_models: number;
  /** mean measure of those models (null when there are none) */
  measure_in: number | null;
  measure_out: number | null;
  /** measure_in − measure_out; null unless both sides have a model */
  counterfactual: number | null;
}

/**
 * `values[m]` is model m's measure of the row (1/0 for memorized, or a match fraction; null when that
 * audit left the row out), `trainedOn[m]` whether the row was in model m's training set.
 */
export function counterfactualRow(values: ArrayLike<number | null>, trainedOn: ArrayLike<boolean>): CounterfactualRow {
  let sumIn = 0;
  let sumOut = 0;
  let nIn = 0;
  let nOut = 0;
  for (let m = 0; m < values.length; m++) {
    const v = values[m];
    if (v === null) continue;
    if (trainedOn[m]) {
      sumIn += v;
      nIn++;
    } else {
      sumOut += v;
      nOut++;
    }
  }
  const measureIn = nIn === 0 ? null : sumIn / nIn;
  const measureOut = nOut === 0 ? null : sumOut / nOut;
  return {
    in_models: nIn,
    out_models: nOut,
    measure_in: measureIn,
    measure_out: measureOut,
    counterfactual: measureIn === null || measureOut === null ? null : measureIn - measureOut,
  };
}
