/**
 * Two-axis line charts as hand-written SVG (no chart library for two line charts). Log or linear axes;
 * measured points are filled circles, computed ones (from unit costs) hollow.
 */
export interface ChartPoint {
  readonly x: number;
  readonly y: number;
  readonly measured: boolean;
}

export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  readonly dashed?: boolean;
  readonly points: readonly ChartPoint[];
}

export interface ChartSpec {
  readonly title: string;
  readonly subtitle: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xLog: boolean;
  readonly yLog: boolean;
  readonly series: readonly ChartSeries[];
}

const width = 880;
const height = 560;
const margin = { left: 90, right: 250, top: 70, bottom: 70 };

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function niceLinearTicks(max: number): number[] {
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? rough;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step / 2; v += step) ticks.push(v);
  return ticks;
}

function formatTick(value: number): string {
  if (value === 0) return "0";
  if (Math.abs(value) >= 1e4 || Math.abs(value) < 1e-2) return value.toExponential(0).replace("e+", "e");
  return String(Number(value.toPrecision(3)));
}

export function renderLineChart(spec: ChartSpec): string {
  const all = spec.series.flatMap((s) => s.points);
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y).filter((y) => !spec.yLog || y > 0);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const yMaxRaw = Math.max(...ys);
  const yMinRaw = spec.yLog ? Math.min(...ys) : 0;
  const xDomain = spec.xLog ? [Math.floor(Math.log10(xMin)), Math.ceil(Math.log10(xMax))] : [xMin, xMax];
  const yDomain = spec.yLog ? [Math.floor(Math.log10(yMinRaw)), Math.ceil(Math.log10(yMaxRaw))] : [0, niceLinearTicks(yMaxRaw).at(-1) ?? yMaxRaw];
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const sx = (x: number) => {
    const v = spec.xLog ? Math.log10(x) : x;
    return margin.left + ((v - (xDomain[0] as number)) / ((xDomain[1] as number) - (xDomain[0] as number))) * plotW;
  };
  const sy = (y: number) => {
    const v = spec.yLog ? Math.log10(Math.max(y, 10 ** (yDomain[0] as number))) : y;
    return margin.top + plotH - ((v - (yDomain[0] as number)) / ((yDomain[1] as number) - (yDomain[0] as number))) * plotH;
  };
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${margin.left}" y="28" font-size="16" font-weight="bold">${escapeXml(spec.title)}</text>`);
  out.push(`<text x="${margin.left}" y="48" fill="#555">${escapeXml(spec.subtitle)}</text>`);
  // grid and ticks
  const xTicks = spec.xLog
    ? Array.from({ length: (xDomain[1] as number) - (xDomain[0] as number) + 1 }, (_, i) => 10 ** ((xDomain[0] as number) + i))
    : niceLinearTicks(xMax);
  const yTicks = spec.yLog
    ? Array.from({ length: (yDomain[1] as number) - (yDomain[0] as number) + 1 }, (_, i) => 10 ** ((yDomain[0] as number) + i))
    : niceLinearTicks(yMaxRaw);
  for (const t of xTicks) {
    out.push(`<line x1="${sx(t)}" y1="${margin.top}" x2="${sx(t)}" y2="${margin.top + plotH}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${sx(t)}" y="${margin.top + plotH + 18}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  for (const t of yTicks) {
    out.push(`<line x1="${margin.left}" y1="${sy(t)}" x2="${margin.left + plotW}" y2="${sy(t)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${margin.left - 8}" y="${sy(t) + 4}" text-anchor="end">${formatTick(t)}</text>`);
  }
  out.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${margin.left + plotW / 2}" y="${height - 22}" text-anchor="middle">${escapeXml(spec.xLabel)}${spec.xLog ? " (log scale)" : ""}</text>`);
  out.push(`<text transform="translate(24 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}${spec.yLog ? " (log scale)" : ""}</text>`);
  // series
  spec.series.forEach((series, index) => {
    const path = series.points.map((p, i) => `${i === 0 ? "M" : "L"}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ");
    out.push(`<path d="${path}" fill="none" stroke="${series.color}" stroke-width="2"${series.dashed === true ? ' stroke-dasharray="6 4"' : ""}/>`);
    for (const p of series.points) {
      const fill = p.measured ? series.color : "white";
      out.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3.5" fill="${fill}" stroke="${series.color}" stroke-width="1.5"/>`);
    }
    const ly = margin.top + 10 + index * 22;
    const lx = margin.left + plotW + 16;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 26}" y2="${ly}" stroke="${series.color}" stroke-width="2"${series.dashed === true ? ' stroke-dasharray="6 4"' : ""}/>`);
    out.push(`<text x="${lx + 32}" y="${ly + 4}">${escapeXml(series.name)}</text>`);
  });
  const noteY = margin.top + 10 + spec.series.length * 22 + 10;
  const lx = margin.left + plotW + 16;
  out.push(`<circle cx="${lx + 6}" cy="${noteY}" r="3.5" fill="#333"/><text x="${lx + 16}" y="${noteY + 4}">measured on this host</text>`);
  out.push(`<circle cx="${lx + 6}" cy="${noteY + 18}" r="3.5" fill="white" stroke="#333"/><text x="${lx + 16}" y="${noteY + 22}">computed from unit costs</text>`);
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
