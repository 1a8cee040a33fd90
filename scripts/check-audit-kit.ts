// Audit the kit's corpus with one of its models and compare with golden.parquet (all 5,300 rows by
// default). Acceptance: memorized equal on ≥ 99.9% of rows, lead on ≥ 99% (fixtures/brown-tiny/README.md).
//   npm run check:audit-kit -- --model student [--rows 300] [--threads 4] [--batch-size 64] [--keep audit.parquet]
// With --keep, the audit is kept there, and an audit already there is compared without re-running the model.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { auditCorpus, type AuditSummary } from '../src/audit/audit.js';
import { openReader, openWriter } from '../src/io/index.js';
import { loadOnnxModel } from '../src/models/onnx.js';
import { loadTokenizer } from '../src/text/tokenizer.js';

const KIT = join(import.meta.dirname, '..', 'fixtures', 'brown-tiny');
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'student' },
    rows: { type: 'string' },
    threads: { type: 'string', default: '1' },
    'batch-size': { type: 'string', default: '64' },
    keep: { type: 'string' },
  },
});
const name = values.model!;
const limit = values.rows ? Number(values.rows) : Infinity;

async function rowsOf(path: string): Promise<Record<string, any>[]> {
  const rows: Record<string, any>[] = [];
  for await (const batch of openReader(path)) for (const row of batch.toArray()) rows.push(row.toJSON());
  return rows;
}

/** The first `limit` corpus rows, audited through the product's own reader, writer and model runtime. */
async function runAudit(dir: string, output: string): Promise<AuditSummary> {
  const input = join(dir, 'corpus.parquet');
  const writer = await openWriter(input);
  let kept = 0;
  for await (const batch of openReader(join(KIT, 'corpus.parquet'))) {
    if (kept >= limit) break;
    const take = Math.min(batch.numRows, limit - kept);
    await writer.write(take === batch.numRows ? batch : batch.slice(0, take));
    kept += take;
  }
  await writer.close();
  const tokenizer = await loadTokenizer(join(KIT, 'tokenizer.json'));
  const model = await loadOnnxModel(join(KIT, `${name}.onnx`), { threads: Number(values.threads), tokenizerVocab: tokenizer.vocabSize });
  try {
    return await auditCorpus(model, tokenizer, { input, output, maxTokens: 128, batchSize: Number(values['batch-size']), model: `${name}.onnx`, quiet: true });
  } finally {
    await model.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'check-audit-kit-'));
const output = values.keep ?? join(dir, 'audit.parquet');
try {
  const reuse = values.keep !== undefined && existsSync(values.keep);
  const summary = reuse ? undefined : await runAudit(dir, output);
  const golden = await rowsOf(join(KIT, 'golden.parquet'));
  const audited = await rowsOf(output);
  let memAgree = 0;
  let leadAgree = 0;
  let fracAgree = 0;
  const flips: string[] = [];
  audited.forEach((row, i) => {
    const g = golden[i];
    if (row.id !== g.id) throw new Error(`row ${i}: id ${row.id} vs golden ${g.id}`);
    if (row.memorized === g[`mem_${name}`]) memAgree++;
    else flips.push(`${row.id} (ours ${row.memorized}, golden ${g[`mem_${name}`]})`);
    if (Number(row.lead) === Number(g[`lead_${name}`])) leadAgree++;
    if (Math.abs(row.match_fraction - g[`matchfrac_${name}`]) < 1e-6) fracAgree++;
  });
  const n = audited.length;
  const result = {
    model: name,
    rows: n,
    memorized_agree: memAgree / n,
    lead_agree: leadAgree / n,
    match_fraction_agree: fracAgree / n,
    memorized: audited.filter((row) => row.memorized).length,
    golden_memorized: golden.slice(0, n).filter((g) => g[`mem_${name}`]).length,
    approx_memorized: audited.filter((row) => row.approx_memorized).length,
    seconds: summary?.seconds ?? null,
    prefixes_per_s: summary?.prefixes_per_s ?? null,
    flips: flips.slice(0, 20),
    pass: memAgree / n >= 0.999 && leadAgree / n >= 0.99,
  };
  console.log(JSON.stringify(result));
  process.exitCode = result.pass ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
