// Benchmark of `memsieve train`: the logistic fit on 1M rows × 4 features, the whole protocol (100 trials +
// final fit) on 1M rows with 6% memorized, and the same end to end from Parquet files (read, join, protocol).
// Synthetic data with the scales of real features.
// Run: npm run bench:train   (prints one JSON line per measurement)
import { fitLogistic, standardize } from '../src/risk/logistic.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { runRiskProtocol, trainRiskModel } from '../src/risk/train.js';
import { createRng } from '../src/risk/random.js';

const n = Number(process.env.BENCH_ROWS ?? 1_000_000);
const rng = createRng(42);
const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
const z = [0, 1, 2, 3].map(() => Float64Array.from({ length: n }, normal));
const features = [
  z[0].map((v) => 40 + 15 * v),
  z[1].map((v) => 80 + 30 * v),
  z[2].map((v) => 0.6 + 0.2 * v),
  z[3].map((v) => 9 + 1.5 * v),
];
const names = ['teacher_ppl', 'baseline_ppl', 'kl_teacher_baseline', 'zlib_entropy'];

function labelsWithIntercept(b: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (b + 0.8 * z[0][i] - 0.6 * z[1][i] - 1.5 * z[2][i] + 0.3 * z[3][i] + normal() > 0 ? 1 : 0));
}

function report(name: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ bench: name, rows: n, features: 4, ...fields }));
}

// 1. one fit on every row (balanced classes)
{
  const labels = labelsWithIntercept(0);
  const times: number[] = [];
  let iterations = 0;
  for (let repeat = 0; repeat < 3; repeat++) {
    const start = performance.now();
    const scaled = standardize(features, names);
    iterations = fitLogistic(scaled.columns, labels).iterations;
    times.push((performance.now() - start) / 1000);
  }
  report('train.fit', { seconds_min: Math.min(...times), seconds_all: times.map((t) => +t.toFixed(3)), newton_iterations: iterations });
}

// 2. the paper's protocol: 100 trials of all positives + 3× negatives, then the final fit
{
  const labels = labelsWithIntercept(-3.2);
  const positives = labels.reduce((s, v) => s + v, 0);
  const start = performance.now();
  const result = runRiskProtocol({ ids: [], featureNames: names, features, labels }, { trials: 100, seed: 0 });
  report('train.protocol', {
    seconds: (performance.now() - start) / 1000,
    trials: 100,
    positives,
    sampled_rows: result.finalSample.length,
    roc_auc: +result.metrics.roc_auc.mean.toFixed(4),
    roc_points: result.roc.fpr.length,
  });
}

// 3. end to end from files, as `memsieve train` runs: scores (id, 4 features, a 200-byte text column) and labels
{
  const labels = labelsWithIntercept(-3.2);
  const dir = mkdtempSync(join(tmpdir(), 'memsieve-bench-train-'));
  const ids = Array.from({ length: n }, (_, i) => `doc-${String(i).padStart(8, '0')}`);
  const scores = join(dir, 'scores.parquet');
  const labelsPath = join(dir, 'labels.parquet');
  const rowGroupSize = 100_000;
  parquetWriteFile({
    filename: scores,
    rowGroupSize,
    columnData: [
      { name: 'id', data: ids, type: 'STRING' },
      ...names.map((name, j) => ({ name, data: features[j], type: 'DOUBLE' as const })),
      { name: 'text', data: ids.map((id) => `${id} `.repeat(16).padEnd(200, '.')), type: 'STRING' },
    ],
  });
  parquetWriteFile({
    filename: labelsPath,
    rowGroupSize,
    columnData: [
      { name: 'id', data: ids, type: 'STRING' },
      { name: 'memorized', data: Array.from(labels, (v) => v === 1), type: 'BOOLEAN' },
    ],
  });
  const rssBefore = process.memoryUsage().rss;
  const start = performance.now();
  const model = await trainRiskModel({ scores, labels: labelsPath, trials: 100, seed: 0 });
  report('train.end_to_end', {
    seconds: (performance.now() - start) / 1000,
    trials: 100,
    positives: model.provenance.positives,
    roc_auc: +model.metrics.roc_auc.mean.toFixed(4),
    rss_growth_mb: Math.round((process.memoryUsage().rss - rssBefore) / 2 ** 20),
  });
  rmSync(dir, { recursive: true, force: true });
}
