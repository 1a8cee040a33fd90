// Shared by the risk tests: the scikit-learn reference and synthetic data.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { lacks, PYTHON } from '../helpers/system.js';

const script = fileURLToPath(new URL('./sklearn_reference.py', import.meta.url));

/** Runs test/risk/sklearn_reference.py (Debian's python3-sklearn) on `task`; tests calling it skip with lacks('python3-sklearn'). */
export function sklearn<T>(task: Record<string, unknown>): T {
  const result = spawnSync(PYTHON, [script], { input: JSON.stringify(task), encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`sklearn_reference.py failed: ${result.stderr || result.error}`);
  return JSON.parse(result.stdout) as T;
}

/** `it` for the tests that call sklearn(): skipped without python3-sklearn (npm test only). */
export const itWithSklearn = it.skipIf(lacks('python3-sklearn'));

/** Standard normal draws from a simple LCG-free source: Box–Muller over a seeded xorshift. */
export function normals(n: number, seed: number): Float64Array {
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return out;
}

/**
 * Rows whose label follows a logistic model of four features on the scales of the paper's
 * (perplexities in the tens, KL below 1, zlib entropy in bits per token).
 */
export function syntheticRiskRows(n: number, seed: number) {
  const z = [normals(n, seed), normals(n, seed + 1), normals(n, seed + 2), normals(n, seed + 3)];
  const noise = normals(n, seed + 4);
  // held inside each column's domain (src/score/columns.ts: a perplexity is >= 1, a KL >= 0), as score writes them
  const features = [
    z[0].map((v) => Math.max(1, 40 + 15 * v)),
    z[1].map((v) => Math.max(1, 80 + 30 * v + 5 * z[0][0])),
    z[2].map((v) => Math.max(0.01, 0.6 + 0.2 * v)),
    z[3].map((v) => Math.max(0.5, 9 + 1.5 * v)),
  ];
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const logit = -2 + 0.8 * z[0][i] - 0.6 * z[1][i] - 1.5 * z[2][i] + 0.3 * z[3][i] + 0.8 * noise[i];
    labels[i] = logit > 0 ? 1 : 0;
  }
  return { features, labels };
}

/** Row-major copy of column arrays, for JSON. */
export function rowsOf(columns: Float64Array[], rows?: Int32Array): number[][] {
  const index = rows ?? Int32Array.from({ length: columns[0].length }, (_, i) => i);
  return Array.from(index, (i) => columns.map((c) => c[i]));
}
