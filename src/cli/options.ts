// Option parsers shared by the commands: each names the option in its error.
import { InvalidArgumentError } from 'commander';
import type { Format } from '../io/types.js';
import type { Device } from '../models/types.js';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer.');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer.');
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number.');
  return n;
}

export function format(value: string): Format {
  if (value !== 'parquet' && value !== 'arrow' && value !== 'jsonl') throw new InvalidArgumentError('expected parquet, arrow or jsonl.');
  return value;
}

export function device(value: string): Device {
  if (value !== 'cpu' && value !== 'cuda' && value !== 'webgpu') throw new InvalidArgumentError('expected cpu, cuda or webgpu.');
  return value;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
