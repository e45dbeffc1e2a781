/**
 * A small, dependency-free SVG renderer for the demo's picture: line series in stacked panels that share
 * one x axis, with named bands (the demo's phases) shaded across every panel and vertical markers. The
 * output is a self-contained SVG document (no script, no external reference), valid XML with every text
 * escaped.
 */

/** A line; a point whose y is not finite (or not positive on a log panel) breaks it into segments. */
export interface ChartSeries {
  name: string;
  color: string;
  dashed?: boolean;
  points: ReadonlyArray<readonly [x: number, y: number]>;
}

export interface ChartPanel {
  title: string;
  /** @default 'linear' */
  scale?: 'linear' | 'log';
  /** Fixed y bounds; by default 0 (linear) and the data's extent, rounded out to ticks. */
  min?: number;
  max?: number;
  /** Label of a y tick. @default String */
  format?: (value: number) => string;
  series: readonly ChartSeries[];
}

/** A shaded stretch of the x axis across all panels, labelled above the first one (on one of two rows). */
export interface ChartBand {
  from: number;
  to: number;
  label: string;
}

/** A dashed vertical line across all panels, labelled at its top. */
export interface ChartMarker {
  x: number;
  label: string;
}

export interface ChartSpec {
  title: string;
  subtitle?: string;
  xLabel: string;
  /** Fixed x bounds; by default the extent of the data and bands. */
  xMin?: number;
  xMax?: number;
  bands?: readonly ChartBand[];
  markers?: readonly ChartMarker[];
  panels: readonly ChartPanel[];
  /** @default 960 */
  width?: number;
  /** Height of each panel's plot area. @default 170 */
  plotHeight?: number;
}

/** The plot area's edges in pixels, shared by the panels. */
export const LAYOUT = { left: 72, right: 24, top: 62, bandRows: 34, header: 26, axis: 34, bottom: 16 };
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
const BAND_FILLS = ['#f3f5f8', '#e6eaf0'];

// XML 1.0 forbids these control characters even escaped.
// biome-ignore lint/suspicious/noControlCharactersInRegex: they are what this removes
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** `text` safe inside an XML text node or a double- or single-quoted attribute. */
export function escapeXml(text: string): string {
  return text
    .replace(INVALID_XML, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/** A map from `domain` to `range` (either may be reversed); a log scale maps log10 of the value. */
export function scale(
  kind: 'linear' | 'log',
  [d0, d1]: readonly [number, number],
  [r0, r1]: readonly [number, number],
): (value: number) => number {
  const f = kind === 'log' ? Math.log10 : (v: number) => v;
  const a = f(d0);
  const span = f(d1) - a || 1;
  return (value) => r0 + ((f(value) - a) / span) * (r1 - r0);
}

/** Round ticks (1, 2 or 5 × 10^k apart) covering [min, max], about `count` of them, from the first at or below min. */
export function linearTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * pow >= raw) ?? 10) * pow;
  const ticks: number[] = [];
  for (let k = Math.floor(min / step + 1e-9); ; k++) {
    const v = Number((k * step).toPrecision(12));
    ticks.push(v);
    if (v >= max - step * 1e-9) return ticks;
  }
}

/** Powers of ten covering [min, max] (both > 0). */
export function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let k = Math.floor(Math.log10(min) + 1e-9); k <= Math.ceil(Math.log10(max) - 1e-9); k++) {
    ticks.push(Number((10 ** k).toPrecision(12)));
  }
  return ticks.length > 1 ? ticks : [ticks[0]!, ticks[0]! * 10];
}

/** The y ticks of a panel; the first and last are its domain. */
function panelTicks(panel: ChartPanel): number[] {
  const log = panel.scale === 'log';
  const ys = panel.series.flatMap((s) => s.points.map(([, y]) => y)).filter((y) => usable(y, log));
  if (log) {
    const lo = panel.min ?? (ys.length === 0 ? 1 : Math.min(...ys));
    const hi = panel.max ?? (ys.length === 0 ? 10 : Math.max(...ys));
    return logTicks(lo, Math.max(lo, hi));
  }
  const lo = panel.min ?? Math.min(0, ...ys);
  const hi = panel.max ?? Math.max(lo + 1, ...ys);
  return linearTicks(lo, hi);
}

function usable(y: number, log: boolean): boolean {
  return Number.isFinite(y) && (!log || y > 0);
}

/** A coordinate with at most one decimal, as SVG text. */
function n(v: number): string {
  return String(Math.round(v * 10) / 10);
}

/** About how wide `label` is at `size` px (an average glyph is ~0.6 em). */
function textWidth(label: string, size: number): number {
  return label.length * size * 0.6;
}

/** `label` cut with an ellipsis to fit about `width` px at `size` px. */
export function fitText(label: string, width: number, size: number): string {
  const max = Math.floor(width / (size * 0.6));
  if (label.length <= max) return label;
  return max <= 1 ? '' : `${label.slice(0, max - 1)}…`;
}

/**
 * Band labels at the bands' left edges on two rows: a label goes on the first row where it does not run
 * into the label before it, and is cut to its band's width when neither row has room.
 */
export function placeBandLabels(
  bands: ReadonlyArray<{ left: number; width: number; label: string }>,
  size: number,
  limit: number,
): Array<{ x: number; row: 0 | 1; text: string }> {
  const ends = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
  return bands.map((b) => {
    const x = b.left + 4;
    const full = Math.min(textWidth(b.label, size), limit - x);
    const row = ([0, 1] as const).find((r) => ends[r]! + 6 <= x) ?? 1;
    const text = ends[row]! + 6 <= x ? fitText(b.label, full, size) : fitText(b.label, b.width - 8, size);
    ends[row] = x + textWidth(text, size);
    return { x, row, text };
  });
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${n(x)}" y="${n(y)}"${attrs === '' ? '' : ` ${attrs}`}>${escapeXml(content)}</text>`;
}

/** The x domain: the spec's bounds, else the extent of every point, band and marker. */
function xDomain(spec: ChartSpec): [number, number] {
  const xs = [
    ...spec.panels.flatMap((p) => p.series.flatMap((s) => s.points.map(([x]) => x))),
    ...(spec.bands ?? []).flatMap((b) => [b.from, b.to]),
    ...(spec.markers ?? []).map((m) => m.x),
  ].filter(Number.isFinite);
  const lo = spec.xMin ?? (xs.length === 0 ? 0 : Math.min(...xs));
  const hi = spec.xMax ?? (xs.length === 0 ? 1 : Math.max(...xs));
  return hi > lo ? [lo, hi] : [lo - 0.5, lo + 0.5];
}

/** Path data of a series: one `M…L…` run per segment; points of a one-point segment are returned apart. */
function seriesPath(
  points: ChartSeries['points'],
  x: (v: number) => number,
  y: (v: number) => number,
  log: boolean,
): { d: string; dots: Array<[number, number]> } {
  const runs: Array<Array<[number, number]>> = [[]];
  for (const [px, py] of points) {
    if (Number.isFinite(px) && usable(py, log)) runs.at(-1)!.push([x(px), y(py)]);
    else if (runs.at(-1)!.length > 0) runs.push([]);
  }
  const dots: Array<[number, number]> = [];
  const parts: string[] = [];
  for (const run of runs) {
    if (run.length === 1) dots.push(run[0]!);
    else if (run.length > 1)
      parts.push(run.map(([a, b], i) => `${i === 0 ? 'M' : 'L'}${n(a)} ${n(b)}`).join(' '));
  }
  return { d: parts.join(' '), dots };
}

/** Renders `spec` as a complete SVG document. */
export function renderSvg(spec: ChartSpec): string {
  const width = spec.width ?? 960;
  const plotHeight = spec.plotHeight ?? 170;
  const { left, right, top, bandRows, header, axis, bottom } = LAYOUT;
  const plotRight = width - right;
  const [x0, x1] = xDomain(spec);
  const x = scale('linear', [x0, x1], [left, plotRight]);
  const clampX = (v: number): number => Math.min(plotRight, Math.max(left, x(v)));
  const panelsTop = top + bandRows;
  const panelStride = header + plotHeight + axis;
  const height = panelsTop + spec.panels.length * panelStride + bottom;
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    text(left, 28, spec.title, 'font-size="18" font-weight="600" fill="#1b1f24"'),
  ];
  if (spec.subtitle !== undefined) out.push(text(left, 48, spec.subtitle, 'fill="#57606a"'));

  const bands = spec.bands ?? [];
  const plotsBottom = panelsTop + (spec.panels.length - 1) * panelStride + header + plotHeight;
  const shown = bands
    .map((b) => ({ left: clampX(b.from), width: clampX(b.to) - clampX(b.from), label: b.label }))
    .filter((b) => b.width > 0);
  // The last label may run into the right margin; labels come after every band so none is painted over.
  const labels = placeBandLabels(shown, 11, width - 4);
  out.push('<g class="bands">');
  shown.forEach((b, i) => {
    out.push(
      `<rect x="${n(b.left)}" y="${top}" width="${n(b.width)}" height="${n(plotsBottom - top)}" fill="${BAND_FILLS[i % 2]}"/>`,
    );
  });
  for (const label of labels) {
    out.push(text(label.x, top + 13 + label.row * 15, label.text, 'font-size="11" fill="#424a53"'));
  }
  out.push('</g>');

  spec.panels.forEach((panel, p) => {
    const ptop = panelsTop + p * panelStride + header;
    const pbottom = ptop + plotHeight;
    const log = panel.scale === 'log';
    const ticks = panelTicks(panel);
    const y = scale(log ? 'log' : 'linear', [ticks[0]!, ticks.at(-1)!], [pbottom, ptop]);
    const format = panel.format ?? String;
    out.push(`<g class="panel" data-title="${escapeXml(panel.title)}">`);
    out.push(text(left, ptop - 8, panel.title, 'font-size="13" font-weight="600" fill="#1b1f24"'));
    // Legend, right-aligned on the title's line (a single series is named by the title).
    let lx = plotRight;
    for (const s of panel.series.length > 1 ? [...panel.series].reverse() : []) {
      lx -= 24 + s.name.length * 6.6;
      const dash = s.dashed === true ? ' stroke-dasharray="5 3"' : '';
      out.push(
        `<line x1="${n(lx)}" y1="${n(ptop - 12)}" x2="${n(lx + 16)}" y2="${n(ptop - 12)}" stroke="${s.color}" stroke-width="2.5"${dash}/>`,
        text(lx + 20, ptop - 8, s.name, 'font-size="11" fill="#424a53"'),
      );
    }
    out.push(`<g class="axis y">`);
    for (const t of ticks) {
      const ty = y(t);
      out.push(
        `<line x1="${left}" y1="${n(ty)}" x2="${plotRight}" y2="${n(ty)}" stroke="#d0d7de" stroke-width="1"/>`,
        text(left - 6, ty + 4, format(t), 'text-anchor="end" font-size="11" fill="#57606a"'),
      );
    }
    out.push('</g>', `<g class="axis x">`);
    out.push(`<line x1="${left}" y1="${pbottom}" x2="${plotRight}" y2="${pbottom}" stroke="#8c959f"/>`);
    for (const t of linearTicks(x0, x1, 8)) {
      if (t < x0 || t > x1) continue;
      const tx = x(t);
      out.push(
        `<line x1="${n(tx)}" y1="${pbottom}" x2="${n(tx)}" y2="${pbottom + 4}" stroke="#8c959f"/>`,
        text(tx, pbottom + 16, String(t), 'text-anchor="middle" font-size="11" fill="#57606a"'),
      );
    }
    if (p === spec.panels.length - 1) {
      out.push(
        text((left + plotRight) / 2, pbottom + 31, spec.xLabel, 'text-anchor="middle" fill="#424a53"'),
      );
    }
    out.push('</g>');
    for (const s of panel.series) {
      const { d, dots } = seriesPath(s.points, x, y, log);
      const dash = s.dashed === true ? ' stroke-dasharray="5 3"' : '';
      out.push(`<g class="series" data-name="${escapeXml(s.name)}" fill="${s.color}">`);
      if (d !== '') {
        out.push(
          `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"${dash}/>`,
        );
      }
      for (const [cx, cy] of dots) out.push(`<circle cx="${n(cx)}" cy="${n(cy)}" r="3"/>`);
      out.push('</g>');
    }
    out.push('</g>');
  });

  for (const m of spec.markers ?? []) {
    const mx = x(m.x);
    if (!(mx >= left && mx <= plotRight)) continue;
    out.push(
      '<g class="marker">',
      `<line x1="${n(mx)}" y1="${n(panelsTop + header)}" x2="${n(mx)}" y2="${n(plotsBottom)}" stroke="#6e40c9" stroke-width="1.5" stroke-dasharray="3 3"/>`,
      text(mx + 4, panelsTop + header + 12, m.label, 'font-size="11" fill="#6e40c9" font-weight="600"'),
      '</g>',
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
