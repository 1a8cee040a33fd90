// evaluate's report.html, and filter's report.html with an evaluation and with a rule, in headless
// Chromium: offline, no console errors, no requests, every figure drawn. Built through the public API
// (src/index.ts), as an ETL job would call it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateRiskModel, filterCorpus, writeEvaluation, writeEvaluationReport, type Evaluation } from '../../src/index.js';
import { makeKitInputs, type KitInputs } from '../filter/kit-setup.js';
import { loadInChromium } from '../helpers/chromium.js';
import { kitGolden } from '../helpers/kit.js';

function expectClean(loaded: Awaited<ReturnType<typeof loadInChromium>>): void {
  expect(loaded.ok).toBe(true);
  expect(loaded.problems).toEqual([]);
  expect(loaded.requests).toEqual([loaded.url]);
  for (const f of loaded.figures) {
    expect(f.width).toBeGreaterThan(100);
    expect(f.height).toBeGreaterThan(100);
    expect(f.marks).toBeGreaterThan(5);
    expect(f.curves).toBeGreaterThanOrEqual(2);
  }
}

describe('evaluation pages in headless Chromium', () => {
  let kit: KitInputs;
  let evaluation: Evaluation;
  let evaluationFile: string;

  beforeAll(async () => {
    kit = await makeKitInputs();
    evaluation = await evaluateRiskModel({ model: kit.model, scores: kit.scores, labels: join(kit.dir, 'labels.parquet'), labelColumn: 'mem_student' });
    evaluationFile = join(kit.dir, 'eval.json');
    await writeEvaluation(evaluationFile, evaluation);
  });

  it("evaluate's page: the ROC with its threshold dot and the reliability diagram with one dot per non-empty bin", async () => {
    const page = await writeEvaluationReport(join(kit.dir, 'eval'), evaluation);
    const nonEmpty = evaluation.calibration.reliability.count.filter((c) => c > 0).length;
    const loaded = await loadInChromium(page, async (p) => {
      expect(await p.locator('#evaluation-roc circle').count()).toBe(1);
      expect(await p.locator('#reliability circle.bin').count()).toBe(nonEmpty);
      expect(await p.locator('text=not held out').first().isVisible()).toBe(true);
    });
    expect(loaded.figures.map((f) => f.id)).toEqual(['evaluation-roc', 'reliability']);
    expectClean(loaded);
  });

  it("filter's page with --evaluation shows the evaluation's figures; with --rule, the rule's columns", async () => {
    const withEvaluation = await filterCorpus({ input: kit.corpus, scores: kit.scores, model: kit.model, evaluation: evaluationFile, clean: join(kit.dir, 'c1.parquet'), removed: join(kit.dir, 'r1.parquet'), report: join(kit.dir, 'report1') });
    const loaded = await loadInChromium(withEvaluation.reportPath);
    expect(loaded.figures.map((f) => f.id)).toEqual(['risk-histogram', 'roc-curve', 'evaluation-roc', 'reliability', ...withEvaluation.manifest.model!.features.map((f) => `feature-${f}`)]);
    expectClean(loaded);

    const golden = await kitGolden();
    const scores = join(kit.dir, 'rule-scores.parquet');
    parquetWriteFile({ filename: scores, columnData: [{ name: 'id', data: kit.ids, type: 'STRING' }, { name: 'baseline_lead', data: golden.map((g) => Number(g.lead_baseline)), type: 'INT32' }] });
    const withRule = await filterCorpus({ input: kit.corpus, scores, rule: 'baseline_lead >= 20', clean: join(kit.dir, 'c2.parquet'), removed: join(kit.dir, 'r2.parquet'), report: join(kit.dir, 'report2') });
    const ruled = await loadInChromium(withRule.reportPath);
    expect(ruled.figures.map((f) => f.id)).toEqual(['feature-baseline_lead']);
    expectClean(ruled);
    expect(readFileSync(withRule.reportPath, 'utf8')).toContain('<td>baseline_lead &gt;= 20</td>');
  });
});
