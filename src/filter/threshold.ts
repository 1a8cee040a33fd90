// Where the cut falls: rows with risk >= threshold are removed.
import { UserError } from '../errors.js';
import type { RiskModel } from '../risk/index.js';
import { thresholdForRecall } from '../risk/index.js';
import type { Threshold } from './types.js';

export interface ThresholdChoice {
  /** at most one of these; none means the model's default threshold */
  threshold?: number;
  /** fraction of rows to remove, in (0, 1] */
  removeTop?: number;
  targetRecall?: number;
}

export { parseFraction } from '../fraction.js';

/**
 * The threshold from exactly one of the options, or the model's. --remove-top f removes the
 * ceil(f·n) riskiest rows: the threshold is the ceil(f·n)-th largest risk (rows tied with it go too).
 */
export function chooseThreshold(choice: ThresholdChoice, model: RiskModel, risk: Float64Array): Threshold {
  const given = (['threshold', 'removeTop', 'targetRecall'] as const).filter((k) => choice[k] !== undefined);
  if (given.length > 1) {
    throw new UserError(`give at most one of --threshold, --remove-top and --target-recall (got ${given.map((k) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())).join(' and ')})`);
  }
  if (choice.threshold !== undefined) {
    if (!(choice.threshold >= 0 && choice.threshold <= 1)) throw new UserError(`--threshold ${choice.threshold}: a risk threshold is in [0, 1]`);
    return { value: choice.threshold, method: 'threshold', requested: choice.threshold };
  }
  if (choice.removeTop !== undefined) {
    const f = choice.removeTop;
    if (!(f > 0 && f <= 1)) throw new UserError(`--remove-top ${f}: give a share of rows in (0, 1]`);
    const k = Math.max(1, Math.ceil(f * risk.length));
    const sorted = Float64Array.from(risk).sort();
    return { value: sorted[risk.length - k], method: 'remove_top', requested: f };
  }
  if (choice.targetRecall !== undefined) {
    const r = choice.targetRecall;
    if (!(r > 0 && r <= 1)) throw new UserError(`--target-recall ${r}: a recall is in (0, 1]`);
    return { value: thresholdForRecall(model, r), method: 'target_recall', requested: r };
  }
  return { value: model.threshold, method: 'model_default', requested: null };
}
