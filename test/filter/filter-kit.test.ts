// filter + verify on the brown-tiny kit, run as a user would (the CLI), checked with an independent
// Parquet reader (hyparquet), an independent risk formula and an independent fingerprint computation.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { beforeAll, describe, expect, it } from 'vitest';
import { filterCorpus } from '../../src/filter/filter.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/kit.js';
import { FEATURES, makeKitInputs, readParquetRows, type KitInputs } from './kit-setup.js';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
/** a report folder's removed-rows list, parsed line by line */
const removedList = (report: string) => readFileSync(join(report, 'removed-rows.jsonl'), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line));

/** docs/filter.md's row encoding for the kit's (id string, text string, copies int64) rows, written out by hand */
function kitRowDigest(row: Record<string, any>): bigint {
  const field = (tag: number, text: string) => {
    const body = Buffer.from(text, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(body.length);
    return Buffer.concat([Buffer.from([tag]), len, body]);
  };
  const bytes = Buffer.concat([field(5, String(row.id)), field(5, row.text), field(3, String(row.copies))]);
  return BigInt('0x' + createHash('sha256').update(bytes).digest('hex'));
}

function fingerprint(rows: Record<string, any>[]): string {
  let sum = 0n;
  for (const r of rows) sum = (sum + kitRowDigest(r)) % 2n ** 256n;
  return sum.toString(16).padStart(64, '0');
}

/** risk = sigmoid(intercept + Σ coef_j (x_j − mean_j) / std_j), straight from risk.json */
function riskOf(model: any, kit: KitInputs, i: number): number {
  let z = model.intercept;
  model.features.forEach((name: (typeof FEATURES)[number], j: number) => {
    z += (model.coefficients[j] * (kit.features[name][i] - model.scaler.mean[j])) / model.scaler.std[j];
  });
  return 1 / (1 + Math.exp(-z));
}

/** rewrites a clean/removed Parquet file (id, text, copies, risk) with `edit` applied to its rows */
async function rewrite(path: string, edit: (rows: Record<string, any>[]) => Record<string, any>[]): Promise<void> {
  const rows = edit(await readParquetRows(path));
  parquetWriteFile({
    filename: path,
    columnData: [
      { name: 'id', data: rows.map((r) => r.id), type: 'STRING' },
      { name: 'text', data: rows.map((r) => r.text), type: 'STRING' },
      { name: 'copies', data: rows.map((r) => BigInt(r.copies)), type: 'INT64' },
      { name: 'risk', data: rows.map((r) => r.risk), type: 'DOUBLE' },
    ],
  });
}

describe('memsieve filter on the brown-tiny kit', () => {
  let kit: KitInputs;
  let dir: string;
  let model: any;
  let manifest: any;
  let clean: Record<string, any>[];
  let removed: Record<string, any>[];

  beforeAll(async () => {
    kit = await makeKitInputs();
    dir = kit.dir;
    model = JSON.parse(readFileSync(kit.model, 'utf8'));
    const out = (name: string) => join(dir, name);
    const result = runCli(['filter', '--input', kit.corpus, '--scores', kit.scores, '--model', kit.model, '--clean', out('clean.parquet'), '--removed', out('removed.parquet'), '--report', out('report'), '--target-recall', '1.0', '--quiet']);
    // --quiet: no progress, should the run pass 10 s; only the warning that these scores (made from golden.parquet, not by score) record no provenance
    expect(result.stderr).toMatch(/^memsieve: warning: --scores \S+ records no provenance [^\n]*\n$/);
    expect(result.status).toBe(0);
    manifest = JSON.parse(readFileSync(out('report/manifest.json'), 'utf8'));
    clean = await readParquetRows(out('clean.parquet'));
    removed = await readParquetRows(out('removed.parquet'));
  });

  it('removes every student-memorized row and at most 25% of the corpus', () => {
    const removedIds = new Set(removed.map((r) => String(r.id)));
    const memorized = kit.ids.filter((_, i) => kit.memStudent[i]);
    expect(memorized.length).toBe(336); // kit report.json
    for (const id of memorized) expect(removedIds.has(id)).toBe(true);
    expect(removed.length / kit.ids.length).toBeLessThanOrEqual(0.25);
    expect(removed.length).toBeGreaterThanOrEqual(336);
  });

  it('writes every input row to exactly one output, unaltered, with its risk', () => {
    expect(clean.length + removed.length).toBe(kit.corpusRows.length);
    const byId = new Map(kit.corpusRows.map((r, i) => [String(r.id), { row: r, i }]));
    const seen = new Set<string>();
    for (const [rows, isRemoved] of [[clean, false], [removed, true]] as const) {
      for (const r of rows) {
        const id = String(r.id);
        expect(seen.has(id)).toBe(false);
        seen.add(id);
        const original = byId.get(id)!;
        expect(Object.keys(r)).toEqual(['id', 'text', 'copies', 'risk']);
        expect(r.text).toBe(original.row.text);
        expect(r.copies).toBe(original.row.copies);
        expect(r.risk).toBeCloseTo(riskOf(model, kit, original.i), 12);
        expect(r.risk >= manifest.threshold.value).toBe(isRemoved);
      }
    }
    expect(seen.size).toBe(kit.ids.length);
  });

  it('writes a manifest whose hashes, counts and fingerprints match the files', () => {
    expect(manifest.schema).toBe('memsieve.manifest/v2');
    expect(manifest.threshold.method).toBe('target_recall');
    expect(manifest.threshold.requested).toBe(1);
    expect(manifest.model.sha256).toBe(sha256(kit.model));
    expect(manifest.input.files[0].sha256).toBe(sha256(kit.corpus));
    expect(manifest.clean.files[0].sha256).toBe(sha256(join(dir, 'clean.parquet')));
    expect(manifest.removed.files[0].sha256).toBe(sha256(join(dir, 'removed.parquet')));
    expect(manifest.report.sha256).toBe(sha256(join(dir, 'report', 'report.html')));
    expect([manifest.input.rows, manifest.clean.rows, manifest.removed.rows]).toEqual([kit.ids.length, clean.length, removed.length]);
    expect(manifest.fingerprint.columns).toEqual(['id', 'text', 'copies']);
    expect(manifest.input.fingerprint).toBe(fingerprint(kit.corpusRows));
    expect(manifest.clean.fingerprint).toBe(fingerprint(clean));
    expect(manifest.removed.fingerprint).toBe(fingerprint(removed));
    // per removed row, in the removed file's order: id, risk, features, content hash; no text without --include-text
    const listPath = join(dir, 'report', 'removed-rows.jsonl');
    expect(manifest.removed_rows).toEqual({ path: 'removed-rows.jsonl', sha256: sha256(listPath), rows: removed.length });
    const listed = removedList(join(dir, 'report'));
    expect(listed.map((r: any) => r.id)).toEqual(removed.map((r) => String(r.id)));
    const index = new Map(kit.ids.map((id, i) => [id, i]));
    for (const [k, entry] of listed.entries()) {
      expect(entry.risk).toBe(removed[k].risk);
      expect(entry.row_sha256).toBe(kitRowDigest(removed[k]).toString(16).padStart(64, '0'));
      expect(entry.features.teacher_ppl).toBe(kit.features.teacher_ppl[index.get(entry.id)!]);
      // why: each feature's log-odds term from risk.json, and with the intercept they give logit(risk)
      FEATURES.forEach((name, j) => {
        const x = kit.features[name][index.get(entry.id)!];
        expect(entry.log_odds[name]).toBeCloseTo((model.coefficients[j] * (x - model.scaler.mean[j])) / model.scaler.std[j], 10);
      });
      const logit = model.intercept + FEATURES.reduce((sum, name) => sum + entry.log_odds[name], 0);
      expect(logit).toBeCloseTo(Math.log(entry.risk / (1 - entry.risk)), 8);
      expect('text' in entry).toBe(false);
    }
    expect(existsSync(join(dir, 'report', 'report.html'))).toBe(true);
  });

  it('verify accepts the untouched report, with and without recomputing the risk', () => {
    const result = runCli(['verify', '--report', join(dir, 'report'), '--quiet']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`${kit.ids.length} input rows`);
    const checked = runCli(['verify', '--report', join(dir, 'report'), '--check-risk', '--quiet']);
    expect(checked.stderr).toBe('');
    expect(checked.stdout).toContain("every row's risk is the model's from the scores");
  });

  it('verify --check-risk rejects a risk the model does not give, even on the kept side and with the hash patched', async () => {
    const copy = copyRun();
    const edited = String(clean[9].id);
    await rewrite(join(copy, 'clean.parquet'), (rows) => rows.map((r) => (String(r.id) === edited ? { ...r, risk: r.risk / 2 } : r)));
    const manifestPath = join(copy, 'report', 'manifest.json');
    const m = JSON.parse(readFileSync(manifestPath, 'utf8'));
    m.clean.files[0].sha256 = sha256(join(copy, 'clean.parquet'));
    writeFileSync(manifestPath, JSON.stringify(m));
    // the risk column is not fingerprinted (the input has none), so only --check-risk sees it
    expect(runCli(['verify', '--report', join(copy, 'report')]).status).toBe(0);
    const result = runCli(['verify', '--report', join(copy, 'report'), '--check-risk']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`clean row id ${edited}: risk ${clean[9].risk / 2} in the file, the model gives ${clean[9].risk} from the scores`);
  });

  /** a copy of the whole run, to tamper with */
  function copyRun(): string {
    const copy = tempDir('memsieve-tamper-');
    for (const name of ['clean.parquet', 'removed.parquet', 'report', 'scores.parquet', 'risk.json']) cpSync(join(dir, name), join(copy, name), { recursive: true });
    return copy;
  }

  it('verify rejects D_clean with one row dropped, naming the lost id', async () => {
    const copy = copyRun();
    const dropped = String(clean[17].id);
    await rewrite(join(copy, 'clean.parquet'), (rows) => rows.filter((r) => String(r.id) !== dropped));
    const result = runCli(['verify', '--report', join(copy, 'report')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('clean file ../clean.parquet: sha256');
    expect(result.stderr).toContain(`input row id ${dropped} is in neither clean nor removed (lost)`);
  });

  it('verify rejects a file with one edited byte', () => {
    const copy = copyRun();
    const path = join(copy, 'removed.parquet');
    const bytes = readFileSync(path);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    writeFileSync(path, bytes);
    const result = runCli(['verify', '--report', join(copy, 'report')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('removed file ../removed.parquet: sha256');
  });

  it('verify rejects an altered row even when the file hash in the manifest was patched to match', async () => {
    const copy = copyRun();
    const altered = String(clean[3].id);
    await rewrite(join(copy, 'clean.parquet'), (rows) => rows.map((r) => (String(r.id) === altered ? { ...r, text: r.text.replace(/e/, 'E') } : r)));
    const manifestPath = join(copy, 'report', 'manifest.json');
    const m = JSON.parse(readFileSync(manifestPath, 'utf8'));
    m.clean.files[0].sha256 = sha256(join(copy, 'clean.parquet'));
    writeFileSync(manifestPath, JSON.stringify(m));
    const result = runCli(['verify', '--report', join(copy, 'report')]);
    expect(result.status).toBe(1);
    expect(result.stderr).not.toContain('sha256');
    expect(result.stderr).toContain(`row id ${altered} in clean differs from the input row (altered)`);
  });

  it('verify names a duplicated row and an added row in D_clean', async () => {
    const copy = copyRun();
    const twice = String(clean[5].id);
    await rewrite(join(copy, 'clean.parquet'), (rows) => [...rows, rows[5], { ...rows[6], id: 'not-in-the-input' }]);
    const result = runCli(['verify', '--report', join(copy, 'report')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`row id ${twice} appears more than once in clean/removed (duplicated)`);
    expect(result.stderr).toContain('row id not-in-the-input in clean is not in the input (added)');
    expect(result.stderr).not.toContain('(lost)');
  });

  it('verify rejects a removed-rows list whose risk was edited, or that lost a row', () => {
    const copy = copyRun();
    const listPath = join(copy, 'report', 'removed-rows.jsonl');
    const lines = readFileSync(listPath, 'utf8').trimEnd().split('\n');
    const first = JSON.parse(lines[0]);
    writeFileSync(listPath, [JSON.stringify({ ...first, risk: 0.01 }), ...lines.slice(1)].join('\n') + '\n');
    const edited = runCli(['verify', '--report', join(copy, 'report')]);
    expect(edited.status).toBe(1);
    expect(edited.stderr).toContain('removed-rows list file removed-rows.jsonl: sha256');
    expect(edited.stderr).toContain(`removed row id ${first.id}: risk`);
    writeFileSync(listPath, lines.slice(0, -1).join('\n') + '\n');
    const lost = runCli(['verify', '--report', join(copy, 'report')]);
    expect(lost.status).toBe(1);
    expect(lost.stderr).toContain(`removed row id ${JSON.parse(lines[lines.length - 1]).id} is not in the removed-rows list`);
    expect(lost.stderr).toContain(`removed-rows list: ${lines.length - 1} rows, the manifest says ${lines.length}`);
  });

  it('--remove-top 5% removes the ceil(5%) riskiest rows; the default threshold is the model\'s', async () => {
    const risks = kit.ids.map((_, i) => riskOf(model, kit, i)).sort((a, b) => b - a);
    const k = Math.ceil(0.05 * kit.ids.length);
    const top = await filterCorpus({ input: kit.corpus, scores: kit.scores, model: kit.model, clean: join(dir, 'c2.parquet'), removed: join(dir, 'r2.parquet'), report: join(dir, 'report2'), removeTop: 0.05 });
    expect(top.manifest.threshold.value).toBeCloseTo(risks[k - 1], 12);
    // rows tied with the k-th (duplicated texts share features) go too; 1e-12 absorbs float rounding of the formula
    expect(top.manifest.summary.removed).toBe(risks.filter((r) => r >= top.manifest.threshold.value - 1e-12).length);
    expect(top.manifest.summary.removed).toBeGreaterThanOrEqual(k);
    const byDefault = await filterCorpus({ input: kit.corpus, scores: kit.scores, model: kit.model, clean: join(dir, 'c3.parquet'), removed: join(dir, 'r3.parquet'), report: join(dir, 'report3'), includeText: true });
    expect(byDefault.manifest.threshold).toMatchObject({ method: 'model_default', value: model.threshold });
    expect(byDefault.manifest.summary.removed).toBe(risks.filter((r) => r >= model.threshold - 1e-12).length);
    // --include-text copies the removed rows' text, exactly
    const text = new Map(kit.corpusRows.map((r) => [String(r.id), r.text]));
    const listed = removedList(join(dir, 'report3'));
    expect(listed).toHaveLength(byDefault.manifest.summary.removed);
    for (const entry of listed) expect(entry.text).toBe(text.get(entry.id));
  });
});
