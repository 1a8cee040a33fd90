// Sharded filter equals one process, file for file: shards joined with their own score parts (1, 4, 16
// shards; scores made in as many shards, or in a multiple), shards on the whole-file path, and
// --remove-top with ties straddling the cut through the threshold step's map ranks and reduce.
// The cut is checked against risks computed here from risk.json (sigmoid of the standardized features).
import { existsSync, mkdirSync, readFileSync, utimesSync } from 'node:fs';
import { RefusedError } from '../../src/errors.js';
import { join } from 'node:path';
import { Float64, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { filterCorpus, type FilterOptions } from '../../src/filter/filter.js';
import { filterShard } from '../../src/filter/shard.js';
import { computeThreshold } from '../../src/filter/threshold-file.js';
import { trainRiskModel, writeRiskModel } from '../../src/risk/train.js';
import { openReader, openWriter } from '../../src/io/index.js';
import { mergeShards } from '../../src/pipeline/merge.js';
import { preparePart, writeShardMarker, type Shard } from '../../src/stage/shard.js';
import { tempDir } from '../helpers/kit.js';
import { FEATURES, makeKitInputs, readParquetRows, type KitInputs } from './kit-setup.js';

const GROUP_ROWS = 100;

let kit: KitInputs;
let dir: string;
let corpus: string;
let model: any;
/** id → kit row */
const rowOf = new Map<string, number>();

beforeAll(async () => {
  kit = await makeKitInputs();
  kit.ids.forEach((id, i) => rowOf.set(id, i));
  model = JSON.parse(readFileSync(kit.model, 'utf8'));
  dir = tempDir('memsieve-shard-local-');
  // the kit corpus in row groups of 100: 53 units, so 16 shards own 3–4 each
  corpus = join(dir, 'corpus.parquet');
  const writer = await openWriter(corpus, { rowGroupRows: GROUP_ROWS });
  for await (const batch of openReader(kit.corpus)) {
    for (let i = 0; i < batch.numRows; i += GROUP_ROWS) await writer.write(batch.slice(i, Math.min(batch.numRows, i + GROUP_ROWS)));
  }
  await writer.close();
}, 120_000);

/** Scores as `memsieve score --shard-index I --shard-count M` writes them (one part per shard, in its units' order), merged with the parts kept. */
async function scoreInShards(name: string, count: number): Promise<string> {
  const scores = join(dir, name);
  for (let index = 0; index < count; index++) {
    const shard = { index, count };
    const writer = await openWriter(await preparePart(scores, shard));
    let rows = 0;
    for await (const batch of openReader(corpus, { shard })) {
      const at = (batch.getChild('id')!.toArray() as string[]).map((id) => rowOf.get(String(id))!);
      const columns: Record<string, any> = { id: vectorFromArray(at.map((i) => kit.ids[i]), new Utf8()) };
      for (const f of FEATURES) columns[f] = vectorFromArray(at.map((i) => kit.features[f][i]), new Float64());
      await writer.write(new Table(columns));
      rows += at.length;
    }
    await writer.close();
    await writeShardMarker({ kind: 'score', shard, inputs: [corpus], outputs: { output: scores }, rows: { output: rows } });
  }
  await mergeShards(scores, { count, keepParts: true });
  return scores;
}

type Choice = Pick<FilterOptions, 'threshold' | 'removeTop' | 'targetRecall'>;

function outputs(name: string) {
  const out = join(dir, name);
  mkdirSync(out, { recursive: true });
  return { clean: join(out, 'clean.parquet'), removed: join(out, 'removed.parquet'), report: join(out, 'report') };
}

async function single(name: string, scores: string, choice: Choice) {
  const out = outputs(name);
  await filterCorpus({ input: corpus, scores, model: kit.model, ...out, ...choice });
  return out;
}

/** filter in `count` shards (a threshold step first when asked), then the merge; returns the shards' log lines. */
async function sharded(name: string, scores: string, count: number, choice: Choice, withCut: boolean) {
  const out = outputs(name);
  let thresholdFrom: string | undefined;
  if (withCut) {
    thresholdFrom = join(dir, `${name}.threshold.json`);
    for (let index = 0; index < count; index++) await computeThreshold({ scores, model: kit.model, removeTop: choice.removeTop!, output: thresholdFrom, shard: { index, count } });
    await mergeShards(thresholdFrom, { count });
  }
  const lines: string[] = [];
  for (let index = count - 1; index >= 0; index--) {
    const shard: Shard = { index, count };
    await filterShard({ input: corpus, scores, model: kit.model, ...out, ...choice, thresholdFrom }, shard, (line) => lines.push(line));
  }
  await mergeShards(out.clean, { count });
  return { ...out, lines };
}

/** the manifest less what differs by design: time, command line, and the bytes of the row files (row groups differ; their rows are compared) */
function comparable(report: string) {
  const m = JSON.parse(readFileSync(join(report, 'manifest.json'), 'utf8'));
  delete m.created;
  delete m.command_line;
  delete m.report.sha256;
  for (const key of ['clean', 'removed']) m[key].files = m[key].files.map((f: { path: string }) => f.path);
  return m;
}

async function expectSame(got: { clean: string; removed: string; report: string }, want: { clean: string; removed: string; report: string }) {
  for (const key of ['clean', 'removed'] as const) {
    const [a, b] = await Promise.all([readParquetRows(got[key]), readParquetRows(want[key])]);
    expect(a.map((r) => `${r.id}|${r.risk}`), key).toEqual(b.map((r) => `${r.id}|${r.risk}`));
  }
  const list = (report: string) => readFileSync(join(report, 'removed-rows.jsonl'), 'utf8');
  expect(list(got.report)).toBe(list(want.report));
  expect(comparable(got.report)).toEqual(comparable(want.report));
}

/** risk from risk.json directly: sigmoid(intercept + Σ coef_j (x_j − mean_j) / std_j) */
function riskOf(i: number): number {
  let z = model.intercept;
  model.features.forEach((name: (typeof FEATURES)[number], j: number) => {
    z += (model.coefficients[j] * (kit.features[name][i] - model.scaler.mean[j])) / model.scaler.std[j];
  });
  return 1 / (1 + Math.exp(-z));
}

describe('sharded filter equals one process', () => {
  for (const count of [1, 4, 16]) {
    it(`joins each shard with its own score parts (${count} shards, --target-recall)`, async () => {
      const scores = await scoreInShards(`scores-${count}.parquet`, count);
      const want = await single(`single-${count}`, scores, { targetRecall: 0.9 });
      const got = await sharded(`sharded-${count}`, scores, count, { targetRecall: 0.9 }, false);
      expect(got.lines).toHaveLength(count);
      for (const line of got.lines) expect(line).toMatch(/shard-local join with 1 score part/);
      await expectSame(got, want);
    }, 120_000);
  }

  it('joins shard i with parts i and i+4 of scores made in 16 shards (4 filter shards)', async () => {
    const scores = join(dir, 'scores-16.parquet');
    const want = await single('single-16of4', scores, { threshold: 0.2 });
    const got = await sharded('sharded-16of4', scores, 4, { threshold: 0.2 }, false);
    for (const line of got.lines) expect(line).toMatch(/shard-local join with 4 score part\(s\)/);
    await expectSame(got, want);
  }, 120_000);

  it('--max-removed is the corpus-wide share: shards joined with their own parts leave it to the merge, which refuses before joining any row', async () => {
    const scores = await scoreInShards('scores-max-removed.parquet', 4);
    const out = outputs('max-removed-single');
    await expect(filterCorpus({ input: corpus, scores, model: kit.model, ...out, threshold: 0.2, maxRemoved: 0.05 })).rejects.toThrow(RefusedError);
    const sharded4 = outputs('max-removed-sharded');
    for (let index = 0; index < 4; index++) await filterShard({ input: corpus, scores, model: kit.model, ...sharded4, threshold: 0.2, maxRemoved: 0.05 }, { index, count: 4 }, () => undefined);
    const merged = mergeShards(sharded4.clean, { count: 4 });
    await expect(merged).rejects.toThrow(RefusedError);
    await expect(merged).rejects.toThrow(/^would remove \d+ of 5300 rows \([\d.]+%\), more than --max-removed 5%; nothing was written/);
    for (const path of [sharded4.clean, sharded4.removed, join(sharded4.report, 'manifest.json')]) expect(existsSync(path), path).toBe(false);
    // the whole-file path: every shard sees every risk and refuses itself
    const whole = outputs('max-removed-whole');
    await expect(filterShard({ input: corpus, scores: kit.scores, model: kit.model, ...whole, threshold: 0.2, maxRemoved: 0.05 }, { index: 0, count: 4 }, () => undefined)).rejects.toThrow(/more than --max-removed 5%/);
  }, 120_000);

  it('records, as one process does, that the model was trained on these very scores', async () => {
    // a model whose provenance names scores-4.parquet: the shards never hash it, the merge must
    const scores = join(dir, 'scores-4.parquet');
    const own = join(dir, 'risk-own.json');
    await writeRiskModel(own, await trainRiskModel({ scores, labels: join(kit.dir, 'labels.parquet'), labelColumn: 'mem_student', trials: 2 }));
    const out = outputs('single-own');
    await filterCorpus({ input: corpus, scores, model: own, ...out, threshold: 0.2 });
    const got = outputs('sharded-own');
    for (let index = 0; index < 4; index++) await filterShard({ input: corpus, scores, model: own, ...got, threshold: 0.2 }, { index, count: 4 }, () => undefined);
    await mergeShards(got.clean, { count: 4 });
    expect(JSON.parse(readFileSync(join(got.report, 'manifest.json'), 'utf8')).model.trained_on.this_corpus).toBe(true);
    await expectSame(got, out);
  }, 120_000);

  it('says when it falls back to the whole scores file, and still matches', async () => {
    // scores in one file in reverse order (kit-setup): no parts; and scores in 4 parts read by 16 shards
    const want = await single('single-whole', kit.scores, { removeTop: 0.1 });
    const got = await sharded('sharded-whole', kit.scores, 4, { removeTop: 0.1 }, false);
    for (const line of got.lines) expect(line).toMatch(/whole-file join: no score parts kept beside/);
    await expectSame(got, want);
    const four = join(dir, 'scores-4.parquet');
    const got16 = await sharded('sharded-4of16', four, 16, { threshold: 0.2 }, false);
    for (const line of got16.lines) expect(line).toMatch(/whole-file join: the scores were made in 4 shards, and 16 does not divide 4/);
    await expectSame(got16, await single('single-4of16', four, { threshold: 0.2 }));
  }, 180_000);

  it('ignores kept parts once the merged scores file changed', async () => {
    const scores = await scoreInShards('scores-touched.parquet', 4);
    utimesSync(scores, new Date(), new Date(Date.now() + 5000));
    const got = await sharded('sharded-touched', scores, 4, { threshold: 0.2 }, false);
    for (const line of got.lines) expect(line).toMatch(/whole-file join: the parts beside .* are not those it was merged from/);
  }, 120_000);

  describe('--remove-top with ties straddling the cut', () => {
    // the kit repeats texts (copies > 1), so equal features give equal risks; cut inside such a tie
    let share: number;
    let k: number;
    let value: number;
    beforeAll(() => {
      const risks = kit.ids.map((_, i) => riskOf(i)).sort((a, b) => b - a);
      const n = risks.length;
      // the first risk in the top 20% shared by several rows: k = its first position + 1
      const first = risks.findIndex((r, i) => i > n * 0.02 && i < n * 0.2 && risks[i + 1] === r && risks[i - 1] !== r);
      expect(first).toBeGreaterThan(0);
      k = first + 1;
      value = risks[first];
      share = (k - 0.5) / n; // ceil(share · n) = k
    });

    for (const count of [1, 4, 16]) {
      it(`cuts every shard at the single-process value (${count} shards, reduce over ${count} ranks)`, async () => {
        const scores = join(dir, `scores-${count}.parquet`);
        const want = await single(`single-top-${count}`, scores, { removeTop: share });
        const got = await sharded(`sharded-top-${count}`, scores, count, { removeTop: share }, true);
        const cut = JSON.parse(readFileSync(join(dir, `sharded-top-${count}.threshold.json`), 'utf8'));
        expect(cut).toMatchObject({ value: expect.closeTo(value, 12), k, scored: kit.ids.length, shards: count, requested: share });
        const manifest = JSON.parse(readFileSync(join(got.report, 'manifest.json'), 'utf8'));
        expect(manifest.threshold).toMatchObject({ method: 'remove_top', requested: share, value: cut.value });
        // ties at the cut are removed too: more than k rows, exactly those at or above it
        const tied = kit.ids.filter((_, i) => riskOf(i) >= cut.value - 1e-12).length;
        expect(manifest.summary.removed).toBeGreaterThan(k);
        expect(manifest.summary.removed).toBe(tied);
        await expectSame(got, want);
      }, 120_000);
    }

    it('refuses a shard-local --remove-top without the cut, and a cut made for other options', async () => {
      const scores = join(dir, 'scores-4.parquet');
      const out = outputs('refused');
      await expect(filterShard({ input: corpus, scores, model: kit.model, ...out, removeTop: share }, { index: 0, count: 4 }, () => undefined)).rejects.toThrow(
        /--remove-top in a filter shard needs the corpus-wide cut: run 'memsieve threshold/,
      );
      const cut = join(dir, 'sharded-top-4.threshold.json');
      await expect(filterShard({ input: corpus, scores, model: kit.model, ...out, removeTop: 0.5, thresholdFrom: cut }, { index: 0, count: 4 }, () => undefined)).rejects.toThrow(
        /is the cut for --remove-top .*, not 0.5/,
      );
      await expect(filterCorpus({ input: corpus, scores: join(dir, 'scores-16.parquet'), model: kit.model, ...out, thresholdFrom: cut })).rejects.toThrow(
        /was computed from .*scores-4\.parquet as it was then, not from --scores .*scores-16\.parquet/,
      );
    }, 60_000);
  });
});
