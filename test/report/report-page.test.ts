// The filter's report.html in headless Chromium (Debian's chromium, driven by playwright-core): it loads
// offline with no console errors and no requests, and every figure renders with a size and drawn marks.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { filterCorpus } from '../../src/filter/filter.js';
import { makeKitInputs } from '../filter/kit-setup.js';
import { loadInChromium } from '../helpers/chromium.js';

describe('report.html in headless Chromium', () => {
  let reportPath: string;
  let features: string[];

  beforeAll(async () => {
    const kit = await makeKitInputs();
    const result = await filterCorpus({
      input: kit.corpus,
      scores: kit.scores,
      model: kit.model,
      clean: join(kit.dir, 'clean.parquet'),
      removed: join(kit.dir, 'removed.parquet'),
      report: join(kit.dir, 'report'),
      targetRecall: 1,
    });
    reportPath = result.reportPath;
    features = result.manifest.model!.features;
  });

  it('is self-contained: no script, no external reference', () => {
    const html = readFileSync(reportPath, 'utf8');
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
  });

  it('loads without errors or requests and renders every figure', async () => {
    const loaded = await loadInChromium(reportPath, async (page) => {
      // the ROC has its curve and the threshold dot
      expect(await page.locator('#roc-curve circle').count()).toBe(1);
      expect(await page.locator('text=memsieve removal report').first().isVisible()).toBe(true);
      const shot = join(mkdtempSync(join(tmpdir(), 'memsieve-shot-')), 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      const png = readFileSync(shot);
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(png.readUInt32BE(16)).toBe(1100); // IHDR width
      expect(png.readUInt32BE(20)).toBeGreaterThan(900); // full page is taller than the viewport
      expect(statSync(shot).size).toBeGreaterThan(50_000); // figures, not a blank page
    });
    expect(loaded.ok).toBe(true);
    expect(loaded.problems).toEqual([]);
    expect(loaded.requests).toEqual([loaded.url]); // the page itself, nothing else
    const figures = loaded.figures;
    expect(figures.map((f) => f.id)).toEqual(['risk-histogram', 'roc-curve', ...features.map((f) => `feature-${f}`)]);
    for (const f of figures) {
      expect(f.width).toBeGreaterThan(100);
      expect(f.height).toBeGreaterThan(100);
      expect(f.marks).toBeGreaterThan(10);
      expect(f.curves).toBeGreaterThanOrEqual(2);
    }
    // histograms draw bars for both groups
    for (const f of figures.filter((g) => g.id !== 'roc-curve')) expect(f.bars).toBeGreaterThan(10);
  });
});
