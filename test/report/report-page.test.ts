// The filter's report.html in headless Chromium (Debian's chromium, driven by playwright-core): it loads
// offline with no console errors and no requests, and every figure renders with a size and drawn marks.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { filterCorpus } from '../../src/filter/filter.js';
import { makeKitInputs } from '../filter/kit-setup.js';
import { CHROMIUM, lacks } from '../helpers/system.js';

// Debian's chromium: skipped without it (npm test); CI and test:all refuse to skip
describe.skipIf(lacks('chromium'))('report.html in headless Chromium', () => {
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
    features = result.manifest.model.features;
  });

  it('is self-contained: no script, no external reference', () => {
    const html = readFileSync(reportPath, 'utf8');
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
  });

  it('loads without errors or requests and renders every figure', async () => {
    // a fresh profile per run: nothing cached or synced from an earlier session
    const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'memsieve-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1100, height: 900 },
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
      page.on('request', (r) => requests.push(r.url()));
      const url = pathToFileURL(reportPath).href;
      const response = await page.goto(url, { waitUntil: 'load' });
      expect(response?.ok()).toBe(true);
      expect(problems).toEqual([]);
      expect(requests).toEqual([url]); // the page itself, nothing else

      const figures = await page.$$eval('figure', (nodes) =>
        nodes.map((f) => {
          const svg = f.querySelector('svg')!;
          const box = svg.getBoundingClientRect();
          const marks = [...svg.querySelectorAll('rect, polyline, circle, line')].filter((e) => {
            const b = (e as SVGGraphicsElement).getBBox();
            return b.width > 0 || b.height > 0;
          });
          return { id: f.id, width: box.width, height: box.height, marks: marks.length, bars: svg.querySelectorAll('rect').length, curves: svg.querySelectorAll('polyline').length };
        }),
      );
      expect(figures.map((f) => f.id)).toEqual(['risk-histogram', 'roc-curve', ...features.map((f) => `feature-${f}`)]);
      for (const f of figures) {
        expect(f.width).toBeGreaterThan(100);
        expect(f.height).toBeGreaterThan(100);
        expect(f.marks).toBeGreaterThan(10);
        expect(f.curves).toBeGreaterThanOrEqual(2);
      }
      // histograms draw bars for both groups; the ROC has its curve and the threshold dot
      for (const f of figures.filter((g) => g.id !== 'roc-curve')) expect(f.bars).toBeGreaterThan(10);
      expect(await page.locator('#roc-curve circle').count()).toBe(1);
      expect(await page.locator('text=memsieve removal report').first().isVisible()).toBe(true);

      const shot = join(mkdtempSync(join(tmpdir(), 'memsieve-shot-')), 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      const png = readFileSync(shot);
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(png.readUInt32BE(16)).toBe(1100); // IHDR width
      expect(png.readUInt32BE(20)).toBeGreaterThan(900); // full page is taller than the viewport
      expect(statSync(shot).size).toBeGreaterThan(50_000); // figures, not a blank page
    } finally {
      await browser.close();
    }
  });
});
