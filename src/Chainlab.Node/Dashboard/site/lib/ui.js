// Small DOM helpers: elements are built with textContent, never from HTML strings, so nothing a node or a
// peer returns can inject markup.
const SVG = 'http://www.w3.org/2000/svg';

/** h('a', {href: '#/x', class: 'y'}, 'text', child…) */
export function h(tag, attrs = {}, ...children) {
  const el = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  return put(el, children);
}

/**
 * Appends children to el, arrays flattened: a part left out (null, undefined or false, as in `cond ? x : null`) is
 * skipped, where the DOM's own append would write "null"; anything else not a node becomes text. Returns el.
 */
export function put(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const link = (href, label, attrs = {}) => h('a', { href, ...attrs }, label);
export const short = (s, n = 10) => (s && s.length > n + 3 ? s.slice(0, n) + '…' : s ?? '');
export const hashLink = (kind, value, n = 12) => link(`#/${kind}/${value}`, short(value, n), { title: value, class: 'mono' });
export const mono = v => h('span', { class: 'mono' }, v);

/** 1234567 → "1,234,567" (BigInt-safe). */
export function amount(v) {
  if (v === null || v === undefined) return '';
  return String(v).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function ago(ms) {
  const s = Math.max(0, Math.round((Date.now() - Number(ms)) / 1000));
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.floor(s / 60)} min ago` : `${Math.floor(s / 3600)} h ago`;
}

export const time = ms => new Date(Number(ms)).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

/** A definition list of [label, value] pairs. */
export function fields(pairs) {
  return h('dl', { class: 'fields' }, pairs.filter(p => p).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]));
}

export function table(headers, rows, attrs = {}) {
  return h('div', { class: 'scroll' }, h('table', attrs,
    h('thead', {}, h('tr', {}, headers.map(x => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.length ? rows.map(r => h('tr', {}, r.map(c => h('td', {}, c))))
      : h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, 'nothing yet')))));
}

export const card = (title, ...body) => h('section', { class: 'card' }, title ? h('h2', {}, title) : null, ...body);

/** A card across the whole grid row (for wide tables and charts). */
export const wideCard = (title, ...body) => h('section', { class: 'card wide' }, title ? h('h2', {}, title) : null, ...body);

/** A verdict badge: ok true/false, with the reason as text. */
export const verdict = (ok, label) => h('span', { class: ok ? 'ok' : 'bad', role: 'status' }, (ok ? '✔ ' : '✘ ') + label);

let toastArea;
export function toast(message, kind = 'info') {
  toastArea ??= document.getElementById('toasts');
  const t = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  toastArea.append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
}

/**
 * A line chart of one series [{x, y}] in SVG: axes labels at the ends, the last value written out.
 * Values are numbers; an empty series draws an empty frame.
 */
export function lineChart(title, points, { unit = '', width = 360, height = 90, digits = 1 } = {}) {
  const svg = h('svg:svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title });
  const pad = 4, top = 18, bottom = height - 4;
  const ys = points.map(p => p.y), xs = points.map(p => p.x);
  const maxY = Math.max(1e-9, ...ys), minX = Math.min(...xs), maxX = Math.max(...xs);
  const px = x => pad + (maxX === minX ? width - 2 * pad : (x - minX) / (maxX - minX) * (width - 2 * pad));
  const py = y => bottom - (y / maxY) * (bottom - top);
  svg.append(h('svg:text', { x: pad, y: 12, class: 'chart-title' }, title));
  const last = ys.length ? ys[ys.length - 1] : null;
  svg.append(h('svg:text', { x: width - pad, y: 12, class: 'chart-value', 'text-anchor': 'end' },
    last === null ? '—' : `${last.toFixed(digits)}${unit}  (max ${maxY.toFixed(digits)})`));
  svg.append(h('svg:line', { x1: pad, y1: bottom, x2: width - pad, y2: bottom, class: 'axis' }));
  if (points.length > 1)
    svg.append(h('svg:polyline', { points: points.map(p => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' '), class: 'line' }));
  else if (points.length === 1) svg.append(h('svg:circle', { cx: px(points[0].x), cy: py(points[0].y), r: 2, class: 'dot' }));
  return svg;
}

/** Replaces the children of el. */
export function fill(el, ...children) { el.replaceChildren(); return put(el, children); }

/** A labelled form control. */
export function field(label, control, hint) {
  const id = control.id || (control.id = 'f' + Math.random().toString(36).slice(2, 9));
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('small', { class: 'muted' }, hint) : null);
}

/** Runs an async action from a button, disabling it meanwhile and showing failures as a toast. */
export async function busy(button, action) {
  button.disabled = true;
  try { return await action(); }
  catch (e) { toast(e.message, 'error'); }
  finally { button.disabled = false; }
}

export function download(name, textValue, type = 'application/json') {
  const url = URL.createObjectURL(new Blob([textValue], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
