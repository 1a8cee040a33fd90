// The reliability diagram of a risk model: observed share of memorized rows against mean predicted
// risk in equal-width bins, with the diagonal of perfect calibration.
import type { Calibration } from '../evaluate/calibration.js';
import { axes, circle, frame, legend, polyline, rect, svg } from './svg.js';

export function reliabilityDiagram(c: Calibration, options: { width?: number; height?: number; color?: string } = {}): string {
  const width = options.width ?? 360;
  const height = options.height ?? 340;
  const color = options.color ?? '#2b6cb0';
  const f = frame({ width, height, x: [0, 1], y: [0, 1] });
  const title = `Reliability (${c.bins} bins)`;
  const body = axes(f, { title, x: 'mean predicted risk', y: 'observed share memorized' });
  // rows per bin as faint bars along the bottom (a tenth of the height at most), so sparse bins read as such
  const r = c.reliability;
  const most = Math.max(...r.count);
  const base = f.y(0);
  for (let k = 0; k < c.bins; k++) {
    if (r.count[k] === 0) continue;
    const h = (0.1 * (base - f.y(1)) * r.count[k]) / most;
    body.push(rect(f.x(r.edges[k]), base - h, f.x(r.edges[k + 1]) - f.x(r.edges[k]), h, { fill: '#999', opacity: 0.35 }, `${r.count[k]} rows in (${r.edges[k]}, ${r.edges[k + 1]}]`));
  }
  body.push(polyline([[f.x(0), f.y(0)], [f.x(1), f.y(1)]], { stroke: '#999', dash: '4 4' }));
  const points: [number, number][] = [];
  for (let k = 0; k < c.bins; k++) {
    const x = r.mean_predicted[k];
    const y = r.observed[k];
    if (x === null || y === null) continue;
    points.push([f.x(x), f.y(y)]);
  }
  body.push(polyline(points, { stroke: color, strokeWidth: 2 }));
  for (let k = 0; k < c.bins; k++) {
    const x = r.mean_predicted[k];
    const y = r.observed[k];
    if (x === null || y === null) continue;
    body.push(circle(f.x(x), f.y(y), 3.5, { fill: color, className: 'bin' }, `bin ${k + 1}: ${r.count[k]} rows, predicted ${x.toFixed(4)}, observed ${y.toFixed(4)}`));
  }
  body.push(...legend(f, [{ label: `ECE ${c.ece.toFixed(3)}`, color }, { label: 'perfectly calibrated', color: '#999', dash: '4 4' }]));
  return svg(width, height, title, body);
}
