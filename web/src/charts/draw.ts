// Shapes drawn on the canvas behind the series (uPlot's drawAxes hook runs after the grid and before
// the bars): the employee's usual band as a shaded strip, the alert window as a shaded span.
import type uPlot from 'uplot';

/** A horizontal strip from `low` to `high` with the median as a dashed line. */
export function drawBand(band: { low: number; high: number; median: number }, fill: string, line: string) {
  return (u: uPlot) => {
    const { ctx, bbox } = u;
    const y1 = u.valToPos(band.high, 'y', true);
    const y0 = u.valToPos(Math.max(band.low, u.scales.y.min ?? 0), 'y', true);
    const ym = u.valToPos(band.median, 'y', true);
    ctx.save();
    ctx.beginPath();
    ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
    ctx.clip();
    ctx.fillStyle = fill;
    ctx.fillRect(bbox.left, y1, bbox.width, y0 - y1);
    ctx.strokeStyle = line;
    ctx.lineWidth = Math.max(1, devicePixelRatio);
    ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
    ctx.beginPath();
    ctx.moveTo(bbox.left, ym);
    ctx.lineTo(bbox.left + bbox.width, ym);
    ctx.stroke();
    ctx.restore();
  };
}

/** A vertical span between two x values (seconds), clamped to the plot. */
export function drawSpan(from: number, to: number, fill: string) {
  return (u: uPlot) => {
    const { ctx, bbox } = u;
    let x0 = Math.max(bbox.left, u.valToPos(from, 'x', true));
    let x1 = Math.min(bbox.left + bbox.width, u.valToPos(to, 'x', true));
    if (!(x1 >= x0)) return;
    // A window of a few minutes would be invisible at this scale: keep it at least 3 px wide.
    const min = 3 * devicePixelRatio;
    if (x1 - x0 < min) [x0, x1] = [x0 - (min - (x1 - x0)) / 2, x1 + (min - (x1 - x0)) / 2];
    ctx.save();
    ctx.fillStyle = fill;
    ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
    ctx.restore();
  };
}

/** A vertical line at x (seconds): the moment the alert fired. */
export function drawMarker(x: number, stroke: string) {
  return (u: uPlot) => {
    const { ctx, bbox } = u;
    const px = u.valToPos(x, 'x', true);
    if (px < bbox.left || px > bbox.left + bbox.width) return;
    ctx.save();
    ctx.strokeStyle = stroke;
    ctx.setLineDash([]);
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.beginPath();
    ctx.moveTo(px, bbox.top);
    ctx.lineTo(px, bbox.top + bbox.height);
    ctx.stroke();
    ctx.restore();
  };
}

/** A horizontal dashed line at y (a budget), clamped to the plot. */
export function drawLevel(y: number, stroke: string, scale = 'y') {
  return (u: uPlot) => {
    const { ctx, bbox } = u;
    const py = u.valToPos(y, scale, true);
    if (!(py >= bbox.top && py <= bbox.top + bbox.height)) return;
    ctx.save();
    ctx.strokeStyle = stroke;
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
    ctx.beginPath();
    ctx.moveTo(bbox.left, py);
    ctx.lineTo(bbox.left + bbox.width, py);
    ctx.stroke();
    ctx.restore();
  };
}
