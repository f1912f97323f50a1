/**
 * Line charts on logarithmic axes as SVG, rendered to PNG with @resvg/resvg-js: enough for the benchmark
 * plots (no chart library). Each panel has its own y axis; the x axis is log2 (group sizes 2^k).
 */
import { Resvg } from "@resvg/resvg-js";

export interface Series {
  label: string;
  color: string;
  dashed?: boolean;
  points: ReadonlyArray<readonly [number, number]>;
}

export interface Panel {
  title: string;
  yLabel: string;
  /** Formats a y tick value (a power of ten). */
  yTick: (value: number) => string;
  series: Series[];
}

export interface Figure {
  xLabel: string;
  panels: Panel[];
  /** Legend entries shown once under the panels (panels share their series styles). */
  legend: Series[];
}

const FONT = "DejaVu Sans";
const PANEL_WIDTH = 460;
const PANEL_HEIGHT = 340;
const MARGIN = { left: 70, right: 20, top: 40, bottom: 50 };
const LEGEND_HEIGHT = 60;

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function text(x: number, y: number, content: string, attrs = "", size = 12): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="${FONT}" font-size="${size}" ${attrs}>${escapeXml(content)}</text>`;
}

function renderPanel(panel: Panel, xLabel: string, offsetX: number): string {
  const points = panel.series.flatMap((s) => s.points);
  const xs = points.map(([x]) => Math.log2(x));
  const ys = points.map(([, y]) => Math.log10(y));
  const xMin = Math.floor(Math.min(...xs));
  const xMax = Math.ceil(Math.max(...xs));
  const yMin = Math.floor(Math.min(...ys));
  const yMax = Math.ceil(Math.max(...ys));
  const plotW = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => offsetX + MARGIN.left + ((Math.log2(x) - xMin) / Math.max(1, xMax - xMin)) * plotW;
  const py = (y: number) => MARGIN.top + plotH - ((Math.log10(y) - yMin) / Math.max(1, yMax - yMin)) * plotH;
  const out: string[] = [];
  out.push(text(offsetX + PANEL_WIDTH / 2, 22, panel.title, 'text-anchor="middle" font-weight="bold"', 14));
  for (let k = xMin; k <= xMax; k++) {
    const x = px(2 ** k);
    out.push(`<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${MARGIN.top + plotH}" stroke="#e4e4e4"/>`);
    out.push(text(x, MARGIN.top + plotH + 16, `2^${k}`, 'text-anchor="middle"'));
  }
  for (let e = yMin; e <= yMax; e++) {
    const y = py(10 ** e);
    out.push(`<line x1="${offsetX + MARGIN.left}" y1="${y}" x2="${offsetX + MARGIN.left + plotW}" y2="${y}" stroke="#e4e4e4"/>`);
    out.push(text(offsetX + MARGIN.left - 6, y + 4, panel.yTick(10 ** e), 'text-anchor="end"'));
  }
  out.push(
    `<rect x="${offsetX + MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`,
  );
  out.push(text(offsetX + MARGIN.left + plotW / 2, PANEL_HEIGHT - 12, xLabel, 'text-anchor="middle"'));
  const yMid = MARGIN.top + plotH / 2;
  out.push(text(offsetX + 16, yMid, panel.yLabel, `text-anchor="middle" transform="rotate(-90 ${offsetX + 16} ${yMid})"`));
  for (const s of panel.series) {
    if (s.points.length === 0) continue;
    const path = s.points.map(([x, y], i) => `${i === 0 ? "M" : "L"}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" ");
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : "";
    out.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    for (const [x, y] of s.points) {
      out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${s.color}"/>`);
    }
  }
  return out.join("\n");
}

function renderLegend(legend: Series[], width: number): string {
  const out: string[] = [];
  const itemWidth = width / Math.max(1, legend.length);
  legend.forEach((s, i) => {
    const x = i * itemWidth + 20;
    const y = PANEL_HEIGHT + LEGEND_HEIGHT / 2;
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : "";
    out.push(`<line x1="${x}" y1="${y}" x2="${x + 30}" y2="${y}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(text(x + 36, y + 4, s.label));
  });
  return out.join("\n");
}

/** The figure as an SVG document: panels side by side, the legend underneath. */
export function figureSvg(figure: Figure): string {
  const width = PANEL_WIDTH * figure.panels.length;
  const height = PANEL_HEIGHT + LEGEND_HEIGHT;
  const body = figure.panels.map((p, i) => renderPanel(p, figure.xLabel, i * PANEL_WIDTH)).join("\n");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    body,
    renderLegend(figure.legend, width),
    `</svg>`,
  ].join("\n");
}

export function svgToPng(svg: string): Buffer {
  return new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: FONT } }).render().asPng();
}
