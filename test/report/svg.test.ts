// The SVG helpers: scales map exactly, ticks are round and cover the domain, text is escaped.
import { describe, expect, it } from 'vitest';
import { escapeXml, formatTick, histogramChart, linearScale, logScale, niceTicks } from '../../src/report/svg.js';

describe('svg helpers', () => {
  it('scales map domain ends onto range ends (y flipped), log scale by decades', () => {
    const x = linearScale([0, 10], [50, 450]);
    expect([x(0), x(5), x(10)]).toEqual([50, 250, 450]);
    const y = logScale([1, 1000], [300, 0]);
    expect([y(1), y(10), y(1000)]).toEqual([300, 200, 0]);
    expect(y.ticks()).toEqual([1, 10, 100, 1000]);
  });

  it('ticks are 1/2/5 multiples inside the domain', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(3.2, 17.9, 4)).toEqual([5, 10, 15]);
    expect(niceTicks(-0.013, 0.021, 4)).toEqual([-0.01, 0, 0.01, 0.02]);
    expect(formatTick(0.30000000000000004)).toBe('0.3');
    expect(formatTick(250000)).toBe('3e5');
  });

  it('escapes labels and draws one bar per non-empty bin per series', () => {
    expect(escapeXml(`<a & "b">`)).toBe('&lt;a &amp; &quot;b&quot;&gt;');
    const chart = histogramChart({
      title: 'a <b>',
      xLabel: 'x',
      yLabel: 'n',
      edges: [0, 1, 2, 3],
      series: [
        { label: 'kept', color: '#00f', values: [1, 0, 3] },
        { label: 'removed', color: '#f00', values: [0, 2, 0] },
      ],
    });
    expect(chart).toContain('aria-label="a &lt;b&gt;"');
    expect(chart.match(/<rect [^>]*opacity="0.35"/g)?.length).toBe(3);
  });
});
