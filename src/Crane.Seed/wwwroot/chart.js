// An inline SVG line chart over time with a left axis (replicas) and an optional right axis (the scaling metric).
const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, text) {
  const el = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  if (text != null) el.textContent = text;
  return el;
}

function niceMax(value) {
  if (!(value > 0)) return 1;
  const step = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map(m => m * step).find(m => m >= value);
}

const label = v => (Math.abs(v) >= 100 || Number.isInteger(v) ? Math.round(v) : +v.toFixed(1)).toString();

/**
 * series: [{name, color, axis: 'left'|'right', dashed, step, points: [{t, v}]}]; t in ms, v may be null (a gap).
 * Returns an <svg> element sized by its viewBox.
 */
export function lineChart(series, { width = 900, height = 180, leftTitle = '', rightTitle = '' } = {}) {
  const pad = { top: 22, right: 48, bottom: 22, left: 40 };
  const plotW = width - pad.left - pad.right, plotH = height - pad.top - pad.bottom;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img' });
  const all = series.flatMap(s => s.points);
  const times = all.map(p => p.t);
  // At least the last minute, with "now" at the right edge.
  const t1 = Math.max(...times), t0 = Math.min(...times, t1 - 60_000);
  const highest = axis => Math.max(0, ...series.filter(s => s.axis === axis).flatMap(s => s.points.map(p => p.v ?? 0)));
  // Replicas are whole numbers: a multiple of the four grid steps keeps the ticks whole.
  const max = { left: 4 * Math.max(1, Math.ceil((highest('left') * 1.1) / 4)), right: niceMax(highest('right') * 1.1) };
  const x = t => pad.left + ((t - t0) / (t1 - t0)) * plotW;
  const y = (v, axis) => pad.top + plotH - (v / max[axis]) * plotH;
  const hasRight = series.some(s => s.axis === 'right' && s.points.some(p => p.v != null));

  for (let i = 0; i <= 4; i++) {
    const gy = pad.top + (plotH * i) / 4;
    root.append(svg('line', { x1: pad.left, x2: pad.left + plotW, y1: gy, y2: gy, class: 'grid' }));
    root.append(svg('text', { x: pad.left - 6, y: gy + 4, 'text-anchor': 'end', class: 'tick' }, label(max.left * (1 - i / 4))));
    if (hasRight)
      root.append(svg('text', { x: pad.left + plotW + 6, y: gy + 4, class: 'tick' }, label(max.right * (1 - i / 4))));
  }
  const minutes = Math.round((t1 - t0) / 60_000);
  root.append(svg('text', { x: pad.left, y: height - 4, class: 'tick' }, minutes > 0 ? `-${minutes} min` : 'now'));
  root.append(svg('text', { x: pad.left + plotW, y: height - 4, 'text-anchor': 'end', class: 'tick' }, 'now'));
  if (leftTitle) root.append(svg('text', { x: pad.left, y: 10, class: 'tick title' }, leftTitle));
  if (hasRight && rightTitle) root.append(svg('text', { x: pad.left + plotW, y: 10, 'text-anchor': 'end', class: 'tick title' }, rightTitle));

  for (const s of series) {
    // A gap (null) starts a new segment; step series hold their value until the next sample.
    let d = '', open = false, prev = null;
    for (const p of s.points) {
      if (p.v == null) { open = false; prev = null; continue; }
      const px = x(p.t).toFixed(1), py = y(p.v, s.axis).toFixed(1);
      if (open && s.step && prev) d += ` L${px},${prev}`;
      d += `${open ? ' L' : ' M'}${px},${py}`;
      open = true; prev = py;
    }
    if (!d) continue;
    const attrs = { d: d.trim(), class: 'series', stroke: s.color };
    if (s.dashed) attrs['stroke-dasharray'] = '5 4';
    const path = svg('path', attrs);
    path.append(svg('title', {}, s.name));
    root.append(path);
  }
  return root;
}
