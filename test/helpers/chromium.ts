// Loads a report page in headless Chromium (Debian's chromium, driven by playwright-core), offline,
// and describes what drew: console errors, requests, and each figure's size and marks.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface DrawnFigure {
  id: string;
  width: number;
  height: number;
  /** rects, polylines, circles and lines with a non-empty box */
  marks: number;
  bars: number;
  curves: number;
}

export interface LoadedPage {
  ok: boolean;
  url: string;
  problems: string[];
  requests: string[];
  figures: DrawnFigure[];
}

/** Opens `path` in a fresh profile; `inspect` runs on the loaded page before the browser closes. */
export async function loadInChromium(path: string, inspect?: (page: Page) => Promise<void>): Promise<LoadedPage> {
  // Debian's chromium is installed by .ci/run; without it a page test fails rather than skips
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install chromium (see .ci/run)`);
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
    const url = pathToFileURL(path).href;
    const response = await page.goto(url, { waitUntil: 'load' });
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
    await inspect?.(page);
    return { ok: response?.ok() ?? false, url, problems, requests, figures };
  } finally {
    await browser.close();
  }
}
