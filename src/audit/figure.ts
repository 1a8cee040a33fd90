// The overlap figure: an UpSet-style chart (Lex et al. 2014) of who memorized what. With four or more
// models a Venn diagram cannot show every intersection; bars over a membership matrix can.
import { escapeXml } from '../report/svg.js';
import type { OverlapReport } from './overlap.js';

const COLORS = ['#4c72b0', '#dd8452', '#55a868', '#c44e52', '#8172b3', '#937860', '#da8bc3', '#8c8c8c'];

/** Standalone SVG: one column per membership pattern (memorized by exactly these models), tallest first. */
export function renderOverlapSvg(report: OverlapReport, title = 'Memorized examples by model'): string {
  const names = Object.keys(report.memorized);
  const patterns = Object.entries(report.patterns)
    .filter(([key, count]) => key !== '' && count > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const none = report.patterns[''] ?? 0;

  const labelWidth = 110;
  const totalsWidth = 180;
  const totalsBar = 80; // the count text sits left of the bar
  const column = 34;
  const row = 22;
  const top = 64;
  const barHeight = 180;
  const matrixTop = top + barHeight + 24;
  const left = labelWidth + totalsWidth + 16;
  const width = Math.max(left + patterns.length * column + 20, 560);
  const height = matrixTop + names.length * row + 48;
  const maxCount = Math.max(1, ...patterns.map(([, c]) => c));
  const maxTotal = Math.max(1, ...names.map((name) => report.memorized[name].count));
  const out: string[] = [];
  const stripes: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<title>${escapeXml(title)}</title>`);
  out.push(`<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`);
  out.push(`<text x="${width / 2}" y="36" text-anchor="middle" fill="#555">examples memorized by exactly these models (of ${report.rows_compared} compared; ${none} by none)</text>`);

  patterns.forEach(([key, count], p) => {
    const x = left + p * column + column / 2;
    const h = (count / maxCount) * barHeight;
    out.push(`<rect x="${x - 11}" y="${top + barHeight - h}" width="22" height="${h}" fill="#333"><title>${escapeXml(key)}: ${count}</title></rect>`);
    out.push(`<text x="${x}" y="${top + barHeight - h - 3}" text-anchor="middle">${count}</text>`);
    const members = new Set(key.split('+'));
    const ys: number[] = [];
    names.forEach((name, r) => {
      const y = matrixTop + r * row + row / 2;
      const on = members.has(name);
      if (on) ys.push(y);
      out.push(`<circle cx="${x}" cy="${y}" r="6" fill="${on ? '#333' : '#ddd'}"/>`);
    });
    if (ys.length > 1) out.push(`<line x1="${x}" y1="${ys[0]}" x2="${x}" y2="${ys[ys.length - 1]}" stroke="#333" stroke-width="2"/>`);
  });

  names.forEach((name, r) => {
    const y = matrixTop + r * row + row / 2;
    const set = report.memorized[name];
    const w = (set.count / maxTotal) * totalsBar;
    if (r % 2 === 0) stripes.push(`<rect x="0" y="${y - row / 2}" width="${width}" height="${row}" fill="#f4f4f4"/>`);
    out.push(`<text x="${labelWidth - 6}" y="${y + 4}" text-anchor="end">${escapeXml(name)}</text>`);
    out.push(`<rect x="${labelWidth + totalsWidth - w}" y="${y - 7}" width="${w}" height="14" fill="${COLORS[r % COLORS.length]}"><title>${escapeXml(name)}: ${set.count}</title></rect>`);
    out.push(`<text x="${labelWidth + 4}" y="${y + 4}" fill="#222">${set.count} (${(100 * set.rate).toFixed(1)}%)</text>`);
  });
  // row stripes go right after the header so that dots and bars paint over them
  return [...out.slice(0, 2), ...stripes, ...out.slice(2), '</svg>', ''].join('\n');
}
