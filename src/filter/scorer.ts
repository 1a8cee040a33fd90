// What decides a row's fate in filter and verify: a risk model (risk >= threshold) or a rule on score
// columns (no model). Both read some scores columns per batch and give each row a number: the model
// its risk, the rule 1 where it holds and 0 where not; NaN for a row that cannot be scored (kept).
import { UserError } from '../errors.js';
import { featureSourceColumns, logOddsTerms, predictRisk, type RiskModel } from '../risk/index.js';
import type { RowScorer, ScoresBatch } from './types.js';
import { evaluateRule, ruleReasons, type Rule } from './rule.js';
import { featureColumns, filesOf } from './scores.js';
import { missingColumnError } from '../io/missing-column.js';

export function modelScorer(model: RiskModel): RowScorer {
  return {
    columns: model.features,
    reads: featureSourceColumns(model.features),
    read: (batch, ids, source) => featureColumns(batch, model, ids, source),
    predict: (columns) => predictRisk(model, columns),
    explain: (x) => {
      const terms = logOddsTerms(model, x);
      return {
        features: Object.fromEntries(model.features.map((name, j) => [name, x[j]])),
        log_odds: Object.fromEntries(model.features.map((name, j) => [name, terms[j]])),
      };
    },
  };
}

/** The rule's value for a row: 1 where it holds, 0 where not, NaN where one of its columns is null. */
export function ruleScorer(rule: Rule): RowScorer {
  return {
    columns: rule.columns,
    reads: rule.columns,
    read: (batch, ids, source) => rule.columns.map((name) => ruleColumn(batch, name, ids, source, rule)),
    predict: (columns) => {
      const n = columns.length === 0 ? 0 : columns[0].length;
      const out = new Float64Array(n);
      const row = new Float64Array(columns.length);
      for (let i = 0; i < n; i++) {
        let unscored = false;
        for (let j = 0; j < columns.length; j++) {
          row[j] = columns[j][i];
          if (Number.isNaN(row[j])) unscored = true;
        }
        out[i] = unscored ? NaN : evaluateRule(rule, row) ? 1 : 0;
      }
      return out;
    },
    explain: (x) => ({
      features: Object.fromEntries(rule.columns.map((name, j) => [name, x[j]])),
      log_odds: {},
      reason: ruleReasons(rule, x),
    }),
  };
}

/** A rule column: numbers as they are, booleans as 1/0, null as NaN (the row is kept, unscored). */
function ruleColumn(batch: ScoresBatch, name: string, ids: string[], source: string, rule: Rule): Float64Array {
  const column = batch.getChild(name);
  if (!column) {
    throw missingColumnError({ subject: source, name, file: filesOf(source), seen: batch.schema.fields.map((f) => f.name), purpose: `for --rule '${rule.text}'` });
  }
  const values = new Float64Array(batch.numRows);
  for (let i = 0; i < batch.numRows; i++) {
    const v = column.get(i);
    if (v === null || v === undefined) values[i] = NaN;
    else if (typeof v === 'boolean') values[i] = v ? 1 : 0;
    else if (typeof v === 'bigint') values[i] = Number(v);
    else if (typeof v === 'number' && !Number.isNaN(v)) values[i] = v;
    else throw new UserError(`${source}: id ${ids[i]}: column "${name}" is ${typeof v === 'number' ? 'NaN' : `not a number or boolean (${typeof v})`}; --rule compares numbers and booleans`);
  }
  return values;
}
