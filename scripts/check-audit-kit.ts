// Audit the kit's corpus with its models and compare with golden.parquet (all 5,300 rows by default).
// Acceptance: memorized equal on ≥ 99.9% of rows, lead on ≥ 99% (fixtures/brown-tiny/README.md); with
// decoded measures (--approximate or --method greedy) match_fraction is compared too.
//   npm run check:audit-kit -- [--model teacher,baseline,student] [--method one-pass|greedy] [--approximate]
//                              [--rows 300] [--threads 4] [--batch-size 64] [--keep audit.parquet]
// One JSON line per model; exit 1 if any model misses the bar. With --keep (one model), the audit is
// kept there, and an audit already there is compared without re-running the model.
// CI runs it for all three models, one-pass (.ci/run).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { auditCorpus, type AuditSummary } from '../src/audit/audit.js';
import type { AuditMethod } from '../src/audit/methods.js';
import { openReader, openWriter } from '../src/io/index.js';
import { loadOnnxModel } from '../src/models/onnx.js';
import { loadTokenizer } from '../src/text/tokenizer.js';

const KIT = join(import.meta.dirname, '..', 'fixtures', 'brown-tiny');
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'student' },
    method: { type: 'string', default: 'one-pass' },
    approximate: { type: 'boolean', default: false },
    rows: { type: 'string' },
    threads: { type: 'string', default: '1' },
    'batch-size': { type: 'string', default: '64' },
    keep: { type: 'string' },
  },
});
const names = values.model!.split(',');
if (values.keep !== undefined && names.length > 1) throw new Error('--keep takes one --model');
const limit = values.rows ? Number(values.rows) : Infinity;

async function rowsOf(path: string): Promise<Record<string, any>[]> {
  const rows: Record<string, any>[] = [];
  for await (const batch of openReader(path)) for (const row of batch.toArray()) rows.push(row.toJSON());
  return rows;
}

/** The first `limit` corpus rows, audited through the product's own reader, writer and model runtime. */
async function runAudit(name: string, dir: string, output: string): Promise<AuditSummary> {
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
    return await auditCorpus(model, tokenizer, {
      input,
      output,
      maxTokens: 128,
      batchSize: Number(values['batch-size']),
      model: `${name}.onnx`,
      method: values.method as AuditMethod,
      approximate: values.approximate,
      quiet: true,
    });
  } finally {
    await model.close();
  }
}

async function check(name: string): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), 'check-audit-kit-'));
  const output = values.keep ?? join(dir, 'audit.parquet');
  try {
    const reuse = values.keep !== undefined && existsSync(values.keep);
    const summary = reuse ? undefined : await runAudit(name, dir, output);
    const golden = await rowsOf(join(KIT, 'golden.parquet'));
    const audited = await rowsOf(output);
    const decoded = audited.length > 0 && 'match_fraction' in audited[0];
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
      if (decoded && Math.abs(row.match_fraction - g[`matchfrac_${name}`]) < 1e-6) fracAgree++;
    });
    const n = audited.length;
    const result = {
      model: name,
      method: summary?.method ?? null,
      rows: n,
      memorized_agree: memAgree / n,
      lead_agree: leadAgree / n,
      match_fraction_agree: decoded ? fracAgree / n : null,
      memorized: audited.filter((row) => row.memorized).length,
      golden_memorized: golden.slice(0, n).filter((g) => g[`mem_${name}`]).length,
      approx_memorized: decoded ? audited.filter((row) => row.approx_memorized).length : null,
      seconds: summary?.seconds ?? null,
      prefixes_per_s: summary?.prefixes_per_s ?? null,
      flips: flips.slice(0, 20),
      pass: memAgree / n >= 0.999 && leadAgree / n >= 0.99 && (!decoded || fracAgree / n >= 0.99),
    };
    console.log(JSON.stringify(result));
    return result.pass;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let pass = true;
for (const name of names) pass = (await check(name)) && pass;
process.exitCode = pass ? 0 : 1;
