// The overlap figure: an UpSet-style chart (Lex et al. 2014) of who memorized what. With four or more
// models a Venn diagram cannot show every intersection; bars over a membership matrix can.
import { escapeXml } from '../report/svg.js';
import type { OverlapGroups, OverlapReport } from './overlap.js';

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

/**
 * compare --by: one cluster of bars per group, one bar per model, its height the group's memorization
 * rate; the count above each bar, the group's rows under it.
 */
export function renderGroupsSvg(by: OverlapGroups, names: string[], title = `Memorization rate by ${by.column}`): string {
  const groups = by.groups;
  const bar = 16;
  const gap = 18;
  const cluster = names.length * bar + gap;
  const left = 56;
  const top = 64;
  const plot = 200;
  const width = Math.max(left + groups.length * cluster + 160, 560);
  const height = top + plot + 56;
  const maxRate = Math.max(1e-9, ...groups.flatMap((g) => names.map((n) => g.memorized[n]?.rate ?? 0)));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<title>${escapeXml(title)}</title>`);
  out.push(`<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`);
  out.push(`<text x="${width / 2}" y="36" text-anchor="middle" fill="#555">${escapeXml(`memorized rows / compared rows in each group (${by.binning.kind}); count above each bar`)}</text>`);
  out.push(`<line x1="${left}" y1="${top + plot}" x2="${width - 150}" y2="${top + plot}" stroke="#333"/>`);
  out.push(`<text x="${left - 6}" y="${top + 4}" text-anchor="end">${(100 * maxRate).toFixed(1)}%</text>`);
  out.push(`<text x="${left - 6}" y="${top + plot + 4}" text-anchor="end">0%</text>`);
  groups.forEach((g, i) => {
    const x0 = left + gap / 2 + i * cluster;
    names.forEach((name, a) => {
      const set = g.memorized[name] ?? { count: 0, rate: 0 };
      const h = (set.rate / maxRate) * plot;
      const x = x0 + a * bar;
      out.push(`<rect x="${x}" y="${top + plot - h}" width="${bar - 2}" height="${h}" fill="${COLORS[a % COLORS.length]}"><title>${escapeXml(`${by.column} ${g.group}, ${name}: ${set.count} of ${g.rows_compared}`)}</title></rect>`);
      out.push(`<text x="${x + bar / 2 - 1}" y="${top + plot - h - 3}" text-anchor="middle" font-size="9">${set.count}</text>`);
    });
    const cx = x0 + (names.length * bar) / 2;
    out.push(`<text x="${cx}" y="${top + plot + 16}" text-anchor="middle">${escapeXml(g.group)}</text>`);
    out.push(`<text x="${cx}" y="${top + plot + 30}" text-anchor="middle" fill="#555">${g.rows_compared} rows</text>`);
  });
  names.forEach((name, a) => {
    const y = top + a * 18;
    out.push(`<rect x="${width - 140}" y="${y}" width="12" height="12" fill="${COLORS[a % COLORS.length]}"/>`);
    out.push(`<text x="${width - 122}" y="${y + 10}">${escapeXml(name)}</text>`);
  });
  out.push(`<text x="${left}" y="${height - 6}" fill="#555">${escapeXml(by.column)}</text>`);
  return [...out, '</svg>', ''].join('\n');
}

/** Standalone SVGs one above the other in one SVG (compare's figure with --by). */
export function stackSvgs(svgs: string[]): string {
  const sizes = svgs.map((svg) => {
    const m = /<svg [^>]*width="(\d+(?:\.\d+)?)" height="(\d+(?:\.\d+)?)"/.exec(svg);
    if (!m) throw new Error('stackSvgs: an SVG without width and height');
    return [Number(m[1]), Number(m[2])];
  });
  const width = Math.max(...sizes.map(([w]) => w));
  const height = sizes.reduce((sum, [, h]) => sum + h, 0);
  let y = 0;
  const inner = svgs.map((svg, i) => {
    const placed = svg.replace(/^<svg /, `<svg y="${y}" `);
    y += sizes[i][1];
    return placed.trimEnd();
  });
  return [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`, ...inner, '</svg>', ''].join('\n');
}
