// The one parser of every share-like option (--remove-top, --max-removed, --fraction, --min-drop, --target-recall,
// --min-k, --test-fraction, --approx-threshold): "0.1" and "10%" mean the same everywhere.
import { UserError } from './errors.js';

export interface FractionRange {
  /** 0 itself is allowed (e.g. --min-drop 0: no drop required) */
  zero?: boolean;
  /** 1 itself is allowed (default true) */
  one?: boolean;
}

/** "5%" → 0.05, "0.05" → 0.05; a value outside the range is a UserError naming the option. */
export function parseFraction(text: string, option: string, range: FractionRange = {}): number {
  const { zero = false, one = true } = range;
  const trimmed = text.trim();
  const percent = trimmed.endsWith('%');
  const number = percent ? trimmed.slice(0, -1).trim() : trimmed;
  const value = number === '' ? NaN : Number(number) / (percent ? 100 : 1);
  const inRange = (zero ? value >= 0 : value > 0) && (one ? value <= 1 : value < 1);
  if (!Number.isFinite(value) || !inRange) {
    const interval = `${zero ? '[' : '('}0, 1${one ? ']' : ')'}`;
    throw new UserError(`${option} ${text}: expected a fraction in ${interval} or a percentage, e.g. 0.05 or 5%`);
  }
  return value;
}

/** The commander parser of a fraction option. */
export function fractionOption(option: string, range?: FractionRange): (text: string) => number {
  return (text) => parseFraction(text, option, range);
}
