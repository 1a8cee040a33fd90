// The kit check: train on features derived from golden.parquet with labels mem_student, as a user would.
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { loadRiskModel, predictRisk, thresholdForRecall } from '../../src/risk/schema.js';
import { NOTHING_BUT_NO_PROVENANCE, runCli } from '../helpers/cli.js';
import { kitCorpus, kitGolden, tempDir } from '../helpers/kit.js';

describe('train on the brown-tiny kit', () => {
  it('reaches ROC-AUC >= 0.9 (kit reference 0.965 ± 0.006) and flags every student-memorized row at recall 1', async () => {
    const [corpus, golden] = await Promise.all([kitCorpus(), kitGolden()]);
    expect(golden.length).toBe(corpus.length);
    const ids = corpus.map((r) => String(r.id));
    // the kit's definitions of the four features (README: risk_reference)
    const teacher_ppl = golden.map((r) => Math.exp(r.nll_teacher));
    const baseline_ppl = golden.map((r) => Math.exp(r.nll_baseline));
    const kl_teacher_baseline = golden.map((r) => Number(r.kl_tb_T1));
    const zlib_entropy = golden.map((r) => (8 * Number(r.zlib_bytes)) / Number(r.n_tokens));
    const dir = tempDir();
    const scores = join(dir, 'scores.parquet');
    const labels = join(dir, 'audit.parquet');
    const output = join(dir, 'risk.json');
    parquetWriteFile({
      filename: scores,
      columnData: [
        { name: 'id', data: ids, type: 'STRING' },
        { name: 'teacher_ppl', data: teacher_ppl, type: 'DOUBLE' },
        { name: 'baseline_ppl', data: baseline_ppl, type: 'DOUBLE' },
        { name: 'kl_teacher_baseline', data: kl_teacher_baseline, type: 'DOUBLE' },
        { name: 'zlib_entropy', data: zlib_entropy, type: 'DOUBLE' },
      ],
    });
    // labels in another row order: the join is by id
    const order = ids.map((_, i) => i).reverse();
    parquetWriteFile({
      filename: labels,
      columnData: [
        { name: 'id', data: order.map((i) => ids[i]), type: 'STRING' },
        { name: 'mem_student', data: order.map((i) => Boolean(golden[i].mem_student)), type: 'BOOLEAN' },
      ],
    });
    const result = runCli(['train', '--scores', scores, '--labels', labels, '--label-column', 'mem_student', '--trials', '20', '--output', output, '--quiet']);
    expect(result.stderr).toMatch(NOTHING_BUT_NO_PROVENANCE); // --quiet: no progress, should the run pass 10 s
    expect(result.status).toBe(0);

    const model = await loadRiskModel(output);
    expect(model.metrics.roc_auc.mean).toBeGreaterThanOrEqual(0.9);
    expect(model.provenance.positives).toBe(336); // report.json: mem_count_student
    expect(model.provenance.final_sample).toEqual({ positives: 336, negatives: 1008 });

    const risk = predictRisk(model, [teacher_ppl, baseline_ppl, kl_teacher_baseline, zlib_entropy].map((c) => Float64Array.from(c)));
    const atFullRecall = thresholdForRecall(model, 1);
    const memorized = golden.map((r, i) => [Boolean(r.mem_student), risk[i]] as const).filter(([m]) => m);
    expect(memorized.length).toBe(336);
    for (const [, r] of memorized) expect(r).toBeGreaterThanOrEqual(atFullRecall);
    // the threshold is useful, not "remove everything": the bar is at most 25% of the corpus
    const removed = Array.from(risk).filter((r) => r >= atFullRecall).length;
    expect(removed / risk.length).toBeLessThanOrEqual(0.25);
  });
});
