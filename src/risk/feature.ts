// A model feature is a score column or `log(column)`. Its name, as written in --features and risk.json,
// is the one record of the transform: train, filter, verify --check-risk and the API all map scores
// columns to feature values through this file, so they cannot apply it differently.
import { UserError } from '../errors.js';

export type FeatureTransform = 'identity' | 'log';

export interface FeatureSpec {
  /** as given: `teacher_ppl` or `log(teacher_ppl)` */
  name: string;
  /** the scores column it is computed from */
  column: string;
  transform: FeatureTransform;
}

const CALL = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$/;

/** Parses a feature name; an unknown transform is a UserError. */
export function parseFeature(name: string): FeatureSpec {
  const call = CALL.exec(name);
  if (!call) return { name, column: name, transform: 'identity' };
  const [, fn, inner] = call;
  const column = inner.trim();
  if (fn !== 'log') throw new UserError(`--features: unknown transform "${fn}" in "${name}"; the one transform is log(column)`);
  if (column === '' || CALL.test(column)) throw new UserError(`--features: "${name}" must be log(<score column>), one column inside`);
  return { name, column, transform: 'log' };
}

/** The scores columns the features read, each once, in first-use order. */
export function featureSourceColumns(names: string[]): string[] {
  return [...new Set(names.map((name) => parseFeature(name).column))];
}

/** The feature's value from its column's value x; NaN where log has no value (x ≤ 0), for the caller to name the row. */
export function transformFeatureValue(spec: FeatureSpec, x: number): number {
  if (spec.transform === 'identity') return x;
  return x > 0 ? Math.log(x) : NaN;
}

/** The error for a column value the feature cannot take (x ≤ 0 under log). */
export function nonPositiveError(where: string, spec: FeatureSpec, x: number): UserError {
  return new UserError(`${where} has ${spec.column} = ${x}; feature ${spec.name} needs a positive value: fix or drop the row, or train without ${spec.name}`);
}

/**
 * The model's feature values from raw scores columns by name (the API's way to call predictRisk on a
 * table): one Float64Array per model feature, in `features` order, transforms applied.
 */
export function featureValues(model: { features: string[] }, columns: Record<string, ArrayLike<number>>): Float64Array[] {
  return model.features.map((name) => {
    const spec = parseFeature(name);
    const column = columns[spec.column];
    if (!column) throw new UserError(`featureValues: no column "${spec.column}" given for feature ${name} (given: ${Object.keys(columns).join(', ')})`);
    const values = new Float64Array(column.length);
    for (let i = 0; i < column.length; i++) {
      const x = Number(column[i]);
      const v = transformFeatureValue(spec, x);
      // a NaN input stays NaN (predictRisk: NaN in, NaN out); a non-positive one under log is an error
      if (Number.isNaN(v) && !Number.isNaN(x)) throw nonPositiveError(`row ${i}`, spec, x);
      values[i] = v;
    }
    return values;
  });
}
