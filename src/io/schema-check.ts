import type { Schema } from 'apache-arrow';

/** Every batch written to one file must have the first batch's columns and types (Arrow and Parquet files hold one schema). */
export function checkSameSchema(path: string, expected: Schema, actual: Schema): void {
  const describe = (s: Schema) => s.fields.map((f) => `${f.name}: ${String(f.type)}`).join(', ');
  const same =
    expected.fields.length === actual.fields.length &&
    expected.fields.every((f, i) => f.name === actual.fields[i].name && String(f.type) === String(actual.fields[i].type));
  if (!same) throw new Error(`${path}: batch columns changed mid-file: first [${describe(expected)}], now [${describe(actual)}]`);
}
