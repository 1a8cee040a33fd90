// Small SVG chart helpers: scales, axes, bars, lines, circles, legends, all returned as strings.
// Written by hand because no maintained, dependency-free server-side SVG chart library exists on npm
// (node-chartist/svg-chartist need jsdom, chart.js needs a canvas, isomorphic-svg-charts is an alpha):
// the report must render offline from one HTML file, and these figures need only a few primitives.

/** Maps a data interval onto a pixel interval. */
export interface Scale {
  (value: number): number;
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
  /** tick values inside the domain */
  ticks(count?: number): number[];
  readonly log: boolean;
}

export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const span = d1 - d0 || 1;
  const scale = ((value: number) => range[0] + ((value - d0) / span) * (range[1] - range[0])) as Scale;
  return Object.assign(scale, { domain, range, ticks: (count = 5) => niceTicks(d0, d1, count), log: false });
}

/** Base-10 logarithmic scale; the domain must be positive. Ticks at powers of ten. */
export function logScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const l0 = Math.log10(domain[0]);
  const l1 = Math.log10(domain[1]);
  const span = l1 - l0 || 1;
  const scale = ((value: number) => range[0] + ((Math.log10(value) - l0) / span) * (range[1] - range[0])) as Scale;
  const ticks = () => {
    const out: number[] = [];
    for (let e = Math.ceil(l0 - 1e-9); e <= Math.floor(l1 + 1e-9); e++) out.push(10 ** e);
    return out;
  };
  return Object.assign(scale, { domain, range, ticks, log: true });
}

/** About `count` round tick values (1, 2 or 5 × 10^k steps) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const out: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Short tick label: integers plainly, others with up to 3 significant digits, large/small in exponent form. */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const a = Math.abs(value);
  if (a >= 1e5 || a < 1e-3) return value.toExponential(0).replace('e+', 'e');
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(3)));
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Round to 2 decimals: keeps the markup short without visible loss. */
const n = (x: number) => String(Math.round(x * 100) / 100);

export interface Style {
  fill?: string;
  stroke?: string;
  strokeWidth?: number;
  opacity?: number;
  dash?: string;
  className?: string;
}

function attrs(style: Style = {}): string {
  let out = '';
  if (style.className) out += ` class="${escapeXml(style.className)}"`;
  out += ` fill="${style.fill ?? 'none'}"`;
  if (style.stroke) out += ` stroke="${style.stroke}" stroke-width="${style.strokeWidth ?? 1}"`;
  if (style.opacity !== undefined) out += ` opacity="${style.opacity}"`;
  if (style.dash) out += ` stroke-dasharray="${style.dash}"`;
  return out;
}

export function rect(x: number, y: number, width: number, height: number, style?: Style, title?: string): string {
  const tip = title ? `<title>${escapeXml(title)}</title>` : '';
  return `<rect x="${n(x)}" y="${n(y)}" width="${n(Math.max(0, width))}" height="${n(Math.max(0, height))}"${attrs(style)}>${tip}</rect>`;
}

export function line(x1: number, y1: number, x2: number, y2: number, style: Style = { stroke: '#000' }): string {
  return `<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}"${attrs(style)}/>`;
}

export function polyline(points: ReadonlyArray<readonly [number, number]>, style: Style = { stroke: '#000' }): string {
  return `<polyline points="${points.map(([x, y]) => `${n(x)},${n(y)}`).join(' ')}"${attrs(style)}/>`;
}

export function circle(cx: number, cy: number, r: number, style?: Style, title?: string): string {
  const tip = title ? `<title>${escapeXml(title)}</title>` : '';
  return `<circle cx="${n(cx)}" cy="${n(cy)}" r="${n(r)}"${attrs(style)}>${tip}</circle>`;
}

export function text(x: number, y: number, content: string, options: { anchor?: 'start' | 'middle' | 'end'; size?: number; rotate?: number; weight?: string; fill?: string } = {}): string {
  const rotate = options.rotate ? ` transform="rotate(${options.rotate} ${n(x)} ${n(y)})"` : '';
  const weight = options.weight ? ` font-weight="${options.weight}"` : '';
  return `<text x="${n(x)}" y="${n(y)}" text-anchor="${options.anchor ?? 'start'}" font-size="${options.size ?? 11}" fill="${options.fill ?? '#222'}"${weight}${rotate}>${escapeXml(content)}</text>`;
}

/** A complete <svg> element; `label` becomes its accessible name and <title>. */
export function svg(width: number, height: number, label: string, body: string[]): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(label)}" font-family="system-ui, sans-serif">` +
    `<title>${escapeXml(label)}</title>${body.join('')}</svg>`
  );
}

export interface Margin {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

/** The plotting rectangle of a chart and its two scales. */
export interface Frame {
  width: number;
  height: number;
  margin: Margin;
  x: Scale;
  y: Scale;
}

export function frame(options: {
  width: number;
  height: number;
  margin?: Partial<Margin>;
  x: readonly [number, number];
  y: readonly [number, number];
  logY?: boolean;
}): Frame {
  const margin = { top: 28, right: 16, bottom: 42, left: 56, ...options.margin };
  const xRange = [margin.left, options.width - margin.right] as const;
  const yRange = [options.height - margin.bottom, margin.top] as const;
  return {
    width: options.width,
    height: options.height,
    margin,
    x: linearScale(options.x, xRange),
    y: options.logY ? logScale(options.y, yRange) : linearScale(options.y, yRange),
  };
}

/** Both axes with ticks, grid lines and labels, plus the chart title. */
export function axes(f: Frame, labels: { title?: string; x?: string; y?: string }, tickCount = { x: 5, y: 4 }): string[] {
  const { x, y, margin } = f;
  const left = margin.left;
  const bottom = f.height - margin.bottom;
  const right = f.width - margin.right;
  const out: string[] = [];
  for (const t of y.ticks(tickCount.y)) {
    const py = y(t);
    out.push(line(left, py, right, py, { stroke: '#e3e3e3' }));
    out.push(text(left - 6, py + 4, formatTick(t), { anchor: 'end', size: 10 }));
  }
  for (const t of x.ticks(tickCount.x)) {
    const px = x(t);
    out.push(line(px, bottom, px, bottom + 4, { stroke: '#555' }));
    out.push(text(px, bottom + 16, formatTick(t), { anchor: 'middle', size: 10 }));
  }
  out.push(line(left, bottom, right, bottom, { stroke: '#555' }));
  out.push(line(left, bottom, left, margin.top, { stroke: '#555' }));
  if (labels.x) out.push(text((left + right) / 2, f.height - 8, labels.x, { anchor: 'middle' }));
  if (labels.y) out.push(text(14, (bottom + margin.top) / 2, labels.y, { anchor: 'middle', rotate: -90 }));
  if (labels.title) out.push(text(left, 16, labels.title, { size: 13, weight: '600' }));
  return out;
}

export interface LegendItem {
  label: string;
  color: string;
  dash?: string;
}

/** A legend in the top-right corner of the plotting rectangle. */
export function legend(f: Frame, items: LegendItem[]): string[] {
  const width = 12 + Math.max(...items.map((i) => i.label.length)) * 6.2 + 24;
  const x0 = f.width - f.margin.right - width;
  const out = [rect(x0, f.margin.top + 2, width, items.length * 16 + 6, { fill: '#fff', stroke: '#ccc', opacity: 0.9 })];
  items.forEach((item, k) => {
    const y = f.margin.top + 14 + k * 16;
    out.push(line(x0 + 6, y - 4, x0 + 22, y - 4, { stroke: item.color, strokeWidth: 3, dash: item.dash }));
    out.push(text(x0 + 28, y, item.label, { size: 10 }));
  });
  return out;
}

export interface HistogramSeries {
  label: string;
  color: string;
  /** one count (or density) per bin */
  values: ArrayLike<number>;
}

export interface HistogramChart {
  title: string;
  xLabel: string;
  yLabel: string;
  /** bin edges, one more than values per series */
  edges: ArrayLike<number>;
  series: HistogramSeries[];
  /** counts on a log axis (zero bins are left empty) */
  logY?: boolean;
  /** a vertical marker, e.g. the threshold */
  marker?: { x: number; label: string; color?: string };
  width?: number;
  height?: number;
}

/**
 * Overlaid histograms as step outlines with translucent fills, so two distributions (kept vs removed)
 * stay readable where they overlap.
 */
export function histogramChart(spec: HistogramChart): string {
  const width = spec.width ?? 460;
  const height = spec.height ?? 260;
  const edges = Array.from(spec.edges);
  let top = 0;
  let low = Infinity;
  for (const s of spec.series) {
    for (let i = 0; i < s.values.length; i++) {
      top = Math.max(top, s.values[i]);
      if (s.values[i] > 0) low = Math.min(low, s.values[i]);
    }
  }
  const logY = spec.logY === true && top > 0;
  const yDomain: [number, number] = logY ? [Math.min(1, low), 10 ** Math.ceil(Math.log10(top * 1.05))] : [0, top > 0 ? top * 1.05 : 1];
  const f = frame({ width, height, x: [edges[0], edges[edges.length - 1]], y: yDomain, logY });
  const base = f.height - f.margin.bottom;
  const body = axes(f, { title: spec.title, x: spec.xLabel, y: spec.yLabel });
  for (const s of spec.series) {
    const points: [number, number][] = [[f.x(edges[0]), base]];
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i];
      const py = v > 0 ? f.y(v) : base;
      if (v > 0) body.push(rect(f.x(edges[i]), py, f.x(edges[i + 1]) - f.x(edges[i]), base - py, { fill: s.color, opacity: 0.35 }, `${s.label}: ${v} in [${formatTick(edges[i])}, ${formatTick(edges[i + 1])})`));
      points.push([f.x(edges[i]), py], [f.x(edges[i + 1]), py]);
    }
    points.push([f.x(edges[edges.length - 1]), base]);
    body.push(polyline(points, { stroke: s.color, strokeWidth: 1.5 }));
  }
  if (spec.marker) {
    const px = f.x(spec.marker.x);
    const color = spec.marker.color ?? '#d00';
    body.push(line(px, f.margin.top, px, base, { stroke: color, strokeWidth: 2, dash: '5 3' }));
    // label on the side away from the legend (top right)
    const right = px < (f.margin.left + f.width - f.margin.right) / 2;
    body.push(text(right ? px + 4 : px - 4, f.margin.top + 10, spec.marker.label, { size: 10, fill: color, anchor: right ? 'start' : 'end' }));
  }
  body.push(...legend(f, spec.series.map((s) => ({ label: s.label, color: s.color }))));
  return svg(width, height, spec.title, body);
}

export interface LineSeries {
  label: string;
  color: string;
  points: ReadonlyArray<readonly [number, number]>;
  dash?: string;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  x: readonly [number, number];
  y: readonly [number, number];
  series: LineSeries[];
  /** marked points, e.g. the operating point on a ROC curve */
  dots?: { x: number; y: number; label: string; color?: string }[];
  width?: number;
  height?: number;
}

export function lineChart(spec: LineChart): string {
  const width = spec.width ?? 360;
  const height = spec.height ?? 320;
  const f = frame({ width, height, x: spec.x, y: spec.y });
  const body = axes(f, { title: spec.title, x: spec.xLabel, y: spec.yLabel });
  for (const s of spec.series) {
    body.push(polyline(s.points.map(([px, py]) => [f.x(px), f.y(py)] as const), { stroke: s.color, strokeWidth: 2, dash: s.dash }));
  }
  for (const d of spec.dots ?? []) {
    body.push(circle(f.x(d.x), f.y(d.y), 4, { fill: d.color ?? '#d00' }, d.label));
    body.push(text(f.x(d.x) + 6, f.y(d.y) + 12, d.label, { size: 10, fill: d.color ?? '#d00' }));
  }
  body.push(...legend(f, spec.series.map((s) => ({ label: s.label, color: s.color, dash: s.dash }))));
  return svg(width, height, spec.title, body);
}

/** A ROC curve with the chance diagonal and, when given, the operating point at the threshold. */
export function rocChart(spec: { title: string; roc: { fpr: number[]; tpr: number[] }; auc: number; color: string; point?: { fpr: number; tpr: number; color: string } }): string {
  return lineChart({
    title: spec.title,
    xLabel: 'false positive rate',
    yLabel: 'true positive rate',
    x: [0, 1],
    y: [0, 1],
    series: [
      { label: `AUC ${spec.auc.toFixed(3)}`, color: spec.color, points: spec.roc.fpr.map((f, i) => [f, spec.roc.tpr[i]] as const) },
      { label: 'chance', color: '#999', dash: '4 4', points: [[0, 0], [1, 1]] },
    ],
    dots: spec.point ? [{ x: spec.point.fpr, y: spec.point.tpr, label: 'threshold', color: spec.point.color }] : [],
  });
}
