import { describe, expect, it } from 'vitest';
import {
  type ChartSpec,
  escapeXml,
  LAYOUT,
  linearTicks,
  logTicks,
  placeBandLabels,
  renderSvg,
  scale,
} from '../../../demo/chart-svg.js';
import { findAll, parseXml, textOf, type XmlElement } from '../../helpers/xml.js';

const WIDTH = 960;
const PLOT_HEIGHT = 170;
const plotRight = WIDTH - LAYOUT.right;
/** Top and bottom of panel `p`'s plot area. */
const plot = (p: number) => {
  const top = LAYOUT.top + LAYOUT.bandRows + p * (LAYOUT.header + PLOT_HEIGHT + LAYOUT.axis) + LAYOUT.header;
  return { top, bottom: top + PLOT_HEIGHT };
};

function spec(overrides: Partial<ChartSpec> = {}): ChartSpec {
  return {
    title: 'a chart',
    xLabel: 'seconds',
    xMin: 0,
    xMax: 10,
    panels: [
      {
        title: 'ratio',
        min: 0,
        max: 100,
        series: [
          {
            name: 'line',
            color: '#123456',
            points: [
              [0, 0],
              [5, 50],
              [10, 100],
            ],
          },
        ],
      },
    ],
    ...overrides,
  };
}

const byClass = (root: XmlElement, cls: string) => findAll(root, (e) => e.attrs.class === cls);
const seriesNamed = (root: XmlElement, name: string) => {
  const [g] = findAll(root, (e) => e.attrs.class === 'series' && e.attrs['data-name'] === name);
  if (g === undefined) throw new Error(`no series ${name}`);
  return g;
};
/** The [x, y] pairs of a path's `d`, one array per `M` run. */
const runs = (d: string): number[][][] =>
  d
    .split('M')
    .filter((r) => r.trim() !== '')
    .map((r) => r.split('L').map((p) => p.trim().split(' ').map(Number)));

describe('chart-svg', () => {
  it('writes a well-formed, self-contained SVG document', () => {
    const svg = renderSvg(spec({ subtitle: 'sub' }));
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')).toBe(true);
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(root.attrs.viewBox).toBe(`0 0 ${root.attrs.width} ${root.attrs.height}`);
    expect(Number(root.attrs.width)).toBe(WIDTH);
    expect(Number(root.attrs.height)).toBe(plot(0).bottom + LAYOUT.axis + LAYOUT.bottom);
    // Self-contained: nothing to fetch or run.
    expect(svg).not.toMatch(/<script|<image|href=|url\(/);
    expect(findAll(root, (e) => e.name === 'title').map(textOf)).toEqual(['a chart']);
    expect(textOf(root)).toContain('sub');
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('draws every panel with its y ticks, the x axis and every series with its legend', () => {
    const root = parseXml(
      renderSvg(
        spec({
          panels: [
            { title: 'first', min: 0, max: 1, format: (v) => `${Math.round(v * 100)} %`, series: [] },
            {
              title: 'second',
              series: [
                {
                  name: 'a',
                  color: '#111111',
                  points: [
                    [0, 1],
                    [10, 2],
                  ],
                },
                {
                  name: 'b',
                  color: '#222222',
                  dashed: true,
                  points: [
                    [0, 3],
                    [10, 4],
                  ],
                },
              ],
            },
          ],
        }),
      ),
    );
    const panels = byClass(root, 'panel');
    expect(panels.map((p) => p.attrs['data-title'])).toEqual(['first', 'second']);
    const yTicks = (p: XmlElement) =>
      byClass(p, 'axis y').flatMap((g) => g.children.filter((c) => c.name === 'text').map(textOf));
    expect(yTicks(panels[0]!)).toEqual(['0 %', '20 %', '40 %', '60 %', '80 %', '100 %']);
    expect(yTicks(panels[1]!)).toEqual(['0', '1', '2', '3', '4']);
    const xTicks = byClass(panels[1]!, 'axis x')[0]!
      .children.filter((c) => c.name === 'text')
      .map(textOf);
    expect(xTicks).toEqual(['0', '2', '4', '6', '8', '10', 'seconds']);
    const texts = textOf(panels[1]!);
    expect(texts).toContain('a');
    expect(texts).toContain('b');
    const path = (name: string) => seriesNamed(panels[1]!, name).children.find((c) => c.name === 'path')!;
    expect(path('a').attrs.stroke).toBe('#111111');
    expect(path('a').attrs['stroke-dasharray']).toBeUndefined();
    expect(path('b').attrs['stroke-dasharray']).toBe('5 3');
  });

  it('maps values to coordinates on linear and log scales', () => {
    const root = parseXml(
      renderSvg(
        spec({
          panels: [
            {
              title: 'linear',
              min: 0,
              max: 100,
              series: [
                {
                  name: 'l',
                  color: '#000000',
                  points: [
                    [0, 0],
                    [5, 50],
                    [10, 100],
                  ],
                },
              ],
            },
            {
              title: 'log',
              scale: 'log',
              series: [
                {
                  name: 'g',
                  color: '#000000',
                  points: [
                    [0, 1],
                    [2.5, 10],
                    [10, 100],
                  ],
                },
              ],
            },
          ],
        }),
      ),
    );
    const d = (name: string) => seriesNamed(root, name).children.find((c) => c.name === 'path')!.attrs.d!;
    const mid = (LAYOUT.left + plotRight) / 2;
    const [p0, p1] = [plot(0), plot(1)];
    expect(runs(d('l'))).toEqual([
      [
        [LAYOUT.left, p0.bottom],
        [mid, (p0.top + p0.bottom) / 2],
        [plotRight, p0.top],
      ],
    ]);
    // 1 → 100 over two decades: 10 sits halfway up.
    expect(runs(d('g'))).toEqual([
      [
        [LAYOUT.left, p1.bottom],
        [LAYOUT.left + (plotRight - LAYOUT.left) / 4, (p1.top + p1.bottom) / 2],
        [plotRight, p1.top],
      ],
    ]);
    expect(scale('linear', [0, 10], [100, 0])(2.5)).toBe(75);
    expect(scale('log', [1, 1000], [0, 300])(100)).toBeCloseTo(200, 9);
  });

  it('handles empty series, one point, gaps and values a log scale cannot show', () => {
    const root = parseXml(
      renderSvg(
        spec({
          panels: [
            {
              title: 'odd',
              min: 0,
              max: 10,
              series: [
                { name: 'empty', color: '#000000', points: [] },
                { name: 'one', color: '#000000', points: [[5, 5]] },
                {
                  name: 'gap',
                  color: '#000000',
                  points: [
                    [0, 1],
                    [1, 2],
                    [2, Number.NaN],
                    [3, 3],
                    [4, 4],
                    [5, Number.POSITIVE_INFINITY],
                    [6, 6],
                  ],
                },
              ],
            },
            {
              title: 'log',
              scale: 'log',
              series: [
                {
                  name: 'nonpositive',
                  color: '#000000',
                  points: [
                    [0, 0],
                    [1, -3],
                    [2, 10],
                    [3, 100],
                  ],
                },
              ],
            },
          ],
        }),
      ),
    );
    expect(seriesNamed(root, 'empty').children).toEqual([]);
    const one = seriesNamed(root, 'one').children;
    expect(one.map((c) => c.name)).toEqual(['circle']);
    expect(Number(one[0]!.attrs.cx)).toBe((LAYOUT.left + plotRight) / 2);
    expect(Number(one[0]!.attrs.cy)).toBe((plot(0).top + plot(0).bottom) / 2);
    const gap = seriesNamed(root, 'gap').children;
    expect(gap.map((c) => c.name)).toEqual(['path', 'circle']);
    expect(runs(gap[0]!.attrs.d!).map((r) => r.length)).toEqual([2, 2]);
    const log = seriesNamed(root, 'nonpositive').children.find((c) => c.name === 'path')!;
    expect(runs(log.attrs.d!).map((r) => r.length)).toEqual([2]);

    // Nothing at all to draw still makes a valid picture with finite coordinates.
    const blank = renderSvg({
      title: 'blank',
      xLabel: 'x',
      panels: [
        { title: 'p', series: [] },
        { title: 'q', scale: 'log', series: [] },
      ],
    });
    expect(parseXml(blank).name).toBe('svg');
    expect(blank).not.toMatch(/NaN|Infinity/);
  });

  it('escapes every text and attribute, and drops characters XML forbids', () => {
    expect(escapeXml(`<a href="x">Tom & 'Jerry'</a>\u0000\u001b`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;',
    );
    const nasty = `<b> & "q" 'a' ]]> \u0007end`;
    const root = parseXml(
      renderSvg(
        spec({
          title: nasty,
          subtitle: nasty,
          xLabel: nasty,
          bands: [{ from: 0, to: 10, label: '<phase & "one">' }],
          markers: [{ x: 5, label: "it's <here>" }],
          panels: [
            {
              title: nasty,
              series: [
                {
                  name: nasty,
                  color: '#000000',
                  points: [
                    [0, 1],
                    [1, 2],
                  ],
                },
              ],
            },
          ],
        }),
      ),
    );
    const clean = nasty.replace('\u0007', '');
    expect(findAll(root, (e) => e.name === 'title').map(textOf)).toEqual([clean]);
    expect(byClass(root, 'panel')[0]!.attrs['data-title']).toBe(clean);
    expect(byClass(root, 'series')[0]!.attrs['data-name']).toBe(clean);
    const all = textOf(root);
    expect(all).toContain('<phase & "one">');
    expect(all).toContain("it's <here>");
  });

  it('shades bands clamped to the plot and places markers', () => {
    const root = parseXml(
      renderSvg(
        spec({
          bands: [
            { from: -5, to: 5, label: 'first' },
            { from: 5, to: 20, label: 'second' },
          ],
          markers: [
            { x: 2.5, label: 'seen' },
            { x: 50, label: 'outside' },
          ],
        }),
      ),
    );
    const rects = byClass(root, 'bands')[0]!.children.filter((c) => c.name === 'rect');
    const mid = (LAYOUT.left + plotRight) / 2;
    expect(rects.map((r) => [Number(r.attrs.x), Number(r.attrs.width)])).toEqual([
      [LAYOUT.left, mid - LAYOUT.left],
      [mid, plotRight - mid],
    ]);
    const markers = byClass(root, 'marker');
    expect(markers.map((m) => textOf(m).trim())).toEqual(['seen']);
    const line = markers[0]!.children.find((c) => c.name === 'line')!;
    expect(Number(line.attrs.x1)).toBe(LAYOUT.left + (plotRight - LAYOUT.left) / 4);
  });

  it('picks round ticks', () => {
    expect(linearTicks(0, 4170)).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
    expect(linearTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(linearTicks(0, 0.3, 3)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(linearTicks(-7, 7)).toEqual([-10, -5, 0, 5, 10]);
    expect(linearTicks(3, 3)).toEqual([3]);
    expect(logTicks(0.0042, 230)).toEqual([0.001, 0.01, 0.1, 1, 10, 100, 1000]);
    expect(logTicks(10, 10)).toEqual([10, 100]);
  });

  it('puts a band label on the second row when the first has no room, and cuts it when neither has', () => {
    const placed = placeBandLabels(
      [
        { left: 0, width: 100, label: 'a long first label' },
        { left: 100, width: 6, label: 'second' },
        { left: 106, width: 30, label: 'third label' },
        { left: 300, width: 100, label: 'fourth' },
      ],
      10,
      1000,
    );
    expect(placed.map((p) => [p.row, p.text])).toEqual([
      [0, 'a long first label'],
      [1, 'second'],
      [1, 'th…'],
      [0, 'fourth'],
    ]);
    // The last label is cut at the limit (the picture's right edge).
    expect(placeBandLabels([{ left: 0, width: 50, label: 'abcdefghij' }], 10, 40)[0]!.text).toBe('abcde…');
  });
});
