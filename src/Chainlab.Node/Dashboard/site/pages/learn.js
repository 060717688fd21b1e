// Learn (devnets only): the lessons and challenges of the checkout (docs/LEARN.md), each run on a devnet of its
// own beside this one by the devnet's supervisor, through this node's devnet control route (token-guarded, as on
// the adversary page). A lesson's narration sits beside the progress of its steps and checks; a challenge's goal is
// checked from the chain state of its devnet, its hints come one at a time, its solution only when asked.
import { api } from '../lib/api.js';
import { h, fill, put, card, wideCard, field, busy, toast, link } from '../lib/ui.js';

const TOKEN = 'chainlab.devnet.token';
// Where each lesson's subject shows on a dashboard (the lesson's own devnet serves one).
const PAGES = {
  'transaction-life': 'blocks', 'forks-and-reorgs': 'network', 'poa-hand-over': 'consensus', 'eclipse-attempt': 'network',
  'slashing-double-signer': 'consensus', 'pos-lottery': 'consensus', 'selfish-mining': 'blocks', 'contract-gas-and-sandbox': 'contracts',
  'content-addressing': 'files', 'majority-attack': 'blocks', 'finality-under-partition': 'overview',
};

export async function render(page, _param, ctx) {
  await ctx.devnetReady;
  put(page, h('h1', {}, 'Learn'));
  if (!ctx.devnet) {
    put(page, h('p', {}, 'Lessons and challenges run beside a devnet started with `chainlab devnet up`; this node is not part of one. In a terminal: chainlab lab list.'));
    return;
  }
  const token = h('input', { type: 'password', id: 'learn-token', autocomplete: 'off', value: sessionStorage.getItem(TOKEN) ?? '', placeholder: 'contents of keys/control-token' });
  token.addEventListener('change', () => sessionStorage.setItem(TOKEN, token.value.trim()));
  const call = body => api('/api/v1/devnet/lab', body === undefined
    ? { headers: { authorization: `Bearer ${token.value.trim()}` } }
    : { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token.value.trim()}` }, body: JSON.stringify(body) });

  let state = null;
  const hintsShown = new Map(); // challenge → hints revealed
  let checked = null, solution = null; // the last check's answer and a solution asked for, of the challenge played
  const lessonPick = h('select', { id: 'lesson-name' }, h('option', { value: '' }, 'enter the token, then load the lessons'));
  const challengePick = h('select', { id: 'challenge-name' }, h('option', { value: '' }, '—'));
  const lessonBox = h('div', { id: 'lesson-run' });
  const challengeBox = h('div', { id: 'challenge-run' });

  const draw = () => {
    const run = state?.run;
    drawLesson(lessonBox, state, run?.kind === 'lesson' ? run : null);
    drawChallenge(challengeBox, state, run?.kind === 'challenge' ? run : null, hintsShown, checked, solution);
  };
  const load = async () => {
    state = await call();
    const keep = (pick, list, label) => {
      const chosen = pick.value;
      fill(pick, list.map(x => h('option', { value: x.name, title: x.about, selected: x.name === chosen }, label(x))));
    };
    keep(lessonPick, state.library.lessons, l => `${l.title} (${l.engine}, ${l.nodes} nodes, ${l.duration})`);
    keep(challengePick, state.library.challenges, c => `${c.title} (${c.name})`);
    draw();
  };
  const act = async (action, name) => {
    const r = await call({ action, name });
    if (r.applied) toast(r.applied, 'ok');
    return r;
  };

  put(page,
    h('p', { class: 'muted' }, 'Each lesson and each challenge starts a devnet of its own beside this one (the same as `chainlab lab run NAME --auto` or `chainlab lab play NAME` in a terminal), one at a time. The supervisor of this devnet runs it, so the page needs the devnet\'s token from keys/control-token.'),
    h('div', { class: 'row' }, field('devnet token', token),
      h('button', { type: 'button', id: 'lab-load', onclick: ev => busy(ev.currentTarget, load) }, 'Load lessons and challenges'),
      h('button', { type: 'button', id: 'lab-stop', onclick: ev => busy(ev.currentTarget, async () => { await act('stop', ''); await load(); }) }, 'Stop the run')),
    h('div', { class: 'grid' },
      wideCard('Lessons', h('div', { class: 'row' }, field('lesson', lessonPick),
        h('button', { type: 'button', class: 'primary', id: 'lesson-start', onclick: ev => busy(ev.currentTarget, async () => {
          if (!lessonPick.value) throw new Error('load the lessons and choose one');
          await act('run', lessonPick.value);
          await load();
        }) }, 'Run lesson')), lessonBox),
      wideCard('Challenges', h('div', { class: 'row' }, field('challenge', challengePick),
        h('button', { type: 'button', class: 'primary', id: 'challenge-start', onclick: ev => busy(ev.currentTarget, async () => {
          if (!challengePick.value) throw new Error('load the challenges and choose one');
          checked = null; solution = null;
          await act('play', challengePick.value);
          await load();
        }) }, 'Play challenge'),
        h('button', { type: 'button', id: 'challenge-check', onclick: ev => busy(ev.currentTarget, async () => {
          checked = await act('check', state?.run?.name ?? challengePick.value);
          draw();
        }) }, 'Check the goal'),
        h('button', { type: 'button', id: 'challenge-hint', onclick: () => {
          const name = state?.run?.kind === 'challenge' ? state.run.name : challengePick.value;
          const c = state?.library.challenges.find(x => x.name === name);
          if (!c) { toast('load the challenges and choose one', 'error'); return; }
          hintsShown.set(name, Math.min((hintsShown.get(name) ?? 0) + 1, c.hints.length));
          draw();
        } }, 'A hint'),
        h('button', { type: 'button', id: 'challenge-solution', onclick: ev => busy(ev.currentTarget, async () => {
          const name = state?.run?.kind === 'challenge' ? state.run.name : challengePick.value;
          if (!name) throw new Error('load the challenges and choose one');
          if (!confirm('Show the solution? Try the hints first.')) return;
          solution = await act('solution', name);
          draw();
        }) }, 'Show the solution')), challengeBox)));

  if (token.value) await load().catch(() => {});
  else draw();
  const timer = setInterval(() => { if (state?.run?.running) load().catch(() => {}); }, 2000);
  return () => clearInterval(timer);
}

/** The devnet a run started, from its output: node 1's API. */
function devnetOf(lines) {
  for (const l of lines) {
    const m = /node 1's API(?: at)?:? (http:\/\/127\.0\.0\.1:\d+)/i.exec(l);
    if (m) return m[1];
  }
  return null;
}

/** A lesson's steps with their narration, each check ticked as the run passes it, and the run's outcome. */
function drawLesson(box, state, run) {
  if (!state) { fill(box, h('p', { class: 'muted' }, 'Not loaded yet.')); return; }
  const lesson = run && state.library.lessons.find(l => l.name === run.name);
  if (!lesson) { fill(box, h('p', { class: 'muted' }, 'No lesson run yet: choose one and run it.')); return; }
  const lines = run.lines;
  let current = 0;
  for (const l of lines) { const m = /^Step (\d+) of \d+: /.exec(l); if (m) current = Number(m[1]); }
  const passed = lines.filter(l => /^\s+\[\s*[\d.]+s\] ✓ /.test(l)).length;
  const total = lesson.steps.reduce((n, s) => n + s.checks.length, 0);
  const error = lines.filter(l => l.startsWith('error: ')).pop();
  const outcome = run.running ? h('span', { id: 'lesson-outcome', 'data-state': 'running' }, 'running…')
    : run.exitCode === 0 ? h('span', { class: 'ok', id: 'lesson-outcome' }, 'PASSED') : h('span', { class: 'bad', id: 'lesson-outcome' }, `FAILED (exit ${run.exitCode})`);
  const api = devnetOf(lines);
  let k = 0;
  fill(box,
    h('p', {}, h('b', {}, lesson.title), ' · ', outcome, ' · ', h('progress', { id: 'lesson-progress', max: total, value: passed }), ` ${passed} of ${total} checks`),
    error ? h('p', { class: 'bad', role: 'alert' }, error) : null,
    api && run.running ? h('p', {}, 'Its devnet: ', link(`${api}/#/${PAGES[lesson.name] ?? ''}`, `node 1's dashboard (${PAGES[lesson.name] ?? 'overview'})`, { target: '_blank', id: 'lesson-devnet' })) : null,
    run.plot ? h('figure', { id: 'lesson-plot', 'data-kind': run.plot.kind }, drawPlot(run.plot), h('figcaption', { class: 'muted' }, run.plot.title)) : null,
    h('ol', { class: 'steps', id: 'lesson-steps' }, lesson.steps.map((s, i) => {
      const state = i + 1 < current || (i + 1 === current && !run.running) ? 'done' : i + 1 === current ? 'current' : 'pending';
      return h('li', { 'data-state': state },
        h('b', {}, s.title), state === 'current' ? ' ← now' : '',
        state !== 'pending' && s.narration ? h('p', {}, s.narration) : null,
        h('ul', {}, s.checks.map(c => { const ok = k++ < passed; return h('li', { class: ok ? 'ok' : 'muted' }, `${ok ? '✔' : '…'} ${c}`); })),
        state === 'done' && s.afterword ? h('p', { class: 'muted' }, s.afterword) : null);
    })),
    !run.running && lesson.next?.length ? h('p', {}, 'Try this next: ', lesson.next.join(', ')) : null,
    h('details', {}, h('summary', {}, 'What the lab printed'), h('pre', { class: 'bytes' }, lines.slice(-40).join('\n'))));
}

/** A challenge: its goal, where its devnet is and what the setup made, the last check, hints asked for and the solution if asked. */
function drawChallenge(box, state, run, hintsShown, checked, solution) {
  if (!state) { fill(box, h('p', { class: 'muted' }, 'Not loaded yet.')); return; }
  const c = run && state.library.challenges.find(x => x.name === run.name);
  if (!c) { fill(box, h('p', { class: 'muted' }, 'No challenge being played: choose one and play it.')); return; }
  const lines = run.lines;
  const ready = lines.some(l => l.startsWith('The devnet runs until Ctrl+C.'));
  const api = devnetOf(lines);
  const made = lines.map(l => /^\s+contract (\S+): (\S+)/.exec(l)).filter(Boolean);
  const player = lines.find(l => l.startsWith('You play '));
  const shown = hintsShown.get(c.name) ?? 0;
  fill(box,
    h('p', {}, h('b', {}, c.title), ' · ', run.running ? (ready ? h('span', { id: 'challenge-state' }, 'ready: your move') : h('span', { id: 'challenge-state' }, 'setting up…'))
      : h('span', { class: 'bad', id: 'challenge-state' }, `stopped (exit ${run.exitCode})`)),
    c.intro ? h('p', {}, c.intro) : null,
    h('p', {}, h('b', {}, 'Goal: '), c.goal), h('ul', {}, c.goalChecks.map(g => h('li', {}, g))),
    ready ? h('div', { id: 'challenge-setup' },
      player ? h('p', {}, player) : null,
      made.length ? h('ul', {}, made.map(m => h('li', {}, `contract ${m[1]}: `, h('span', { class: 'mono', 'data-contract': m[1] }, m[2])))) : null,
      api ? h('p', {}, 'Its devnet: ', link(`${api}/#/contracts`, 'node 1\'s dashboard', { target: '_blank', id: 'challenge-devnet' }), ` (API ${api}); or from a terminal: chainlab lab check ${c.name} --dir …`) : null) : null,
    checked ? h('div', { id: 'challenge-checked' },
      h('p', {}, checked.solved ? h('span', { class: 'ok', id: 'challenge-outcome' }, 'Solved.') : h('span', { class: 'bad', id: 'challenge-outcome' }, 'Not yet.')),
      h('pre', { class: 'bytes' }, checked.lines.join('\n'))) : null,
    shown ? h('ol', { id: 'challenge-hints' }, c.hints.slice(0, shown).map(x => h('li', {}, x))) : null,
    solution ? h('div', { id: 'challenge-solution-text' }, h('p', {}, h('b', {}, 'Solution: '), solution.narration),
      h('pre', { class: 'bytes' }, solution.actions.join('\n')), solution.afterword ? h('p', { class: 'muted' }, solution.afterword) : null) : null,
    h('details', {}, h('summary', {}, 'What the lab printed'), h('pre', { class: 'bytes' }, lines.slice(-40).join('\n'))));
}

const COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7'];

/** An SVG frame with axes from (0, 0) to (maxX, maxY): answers the element and the two scales. */
function frame(label, maxX, maxY, unitX = '', width = 520, height = 200) {
  const left = 34, right = width - 8, top = 8, bottom = height - 20;
  const svg = h('svg:svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': label });
  const px = x => left + (maxX > 0 ? x / maxX : 0) * (right - left);
  const py = y => bottom - (maxY > 0 ? y / maxY : 0) * (bottom - top);
  svg.append(h('svg:line', { x1: left, y1: bottom, x2: right, y2: bottom, class: 'axis' }),
    h('svg:line', { x1: left, y1: top, x2: left, y2: bottom, class: 'axis' }),
    h('svg:text', { x: left - 4, y: top + 8, 'text-anchor': 'end' }, fmt(maxY)),
    h('svg:text', { x: left - 4, y: bottom, 'text-anchor': 'end' }, '0'),
    h('svg:text', { x: right, y: height - 6, 'text-anchor': 'end' }, fmt(maxX) + unitX));
  return { svg, px, py };
}
const fmt = v => (Number.isInteger(v) ? String(v) : v.toFixed(v < 1 ? 2 : 1));
const line = (points, px, py, attrs) => h('svg:polyline', { points: points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' '), fill: 'none', 'stroke-width': 1.5, ...attrs });
// A swatch is a small SVG square (its fill an attribute: the page's policy allows no inline style).
const legend = items => h('p', { class: 'legend' }, items.map(([name, colour]) => h('span', { class: 'legend-item' },
  h('svg:svg', { width: 10, height: 10, viewBox: '0 0 10 10', 'aria-hidden': 'true' }, h('svg:rect', { width: 10, height: 10, fill: colour })), ` ${name}  `)));

/** The lesson's figure (LessonPlot): heights over time, shares against what they should be, or the selfish miner against its curve. */
function drawPlot(plot) {
  if (plot.kind === 'heights') {
    const all = plot.series.flatMap(s => s.points);
    const { svg, px, py } = frame('head heights over time', Math.max(1, ...all.map(p => p[0])), Math.max(1, ...all.map(p => p[1])), ' s');
    plot.series.forEach((s, i) => svg.append(line(s.points, px, py, { stroke: COLOURS[i % COLOURS.length], 'data-node': s.name, 'stroke-dasharray': s.honest ? null : '4 2' })));
    const heads = plot.heads.length ? plot.heads[plot.heads.length - 1][1] : 0;
    const most = Math.max(0, ...plot.heads.map(p => p[1]));
    return h('div', {}, svg, legend(plot.series.map((s, i) => [s.name + (s.honest ? '' : ' (misbehaving)'), COLOURS[i % COLOURS.length]])),
      h('p', { class: 'muted', id: 'plot-heads' }, `different heads now: ${heads}; at most: ${most}`));
  }
  if (plot.kind === 'selfish') {
    const { svg, px, py } = frame('selfish miner against the curve', 0.5, 1);
    svg.append(line(plot.curve, px, py, { stroke: COLOURS[3] }), line([[0, 0], [0.5, 0.5]], px, py, { stroke: COLOURS[0], 'stroke-dasharray': '4 2' }),
      h('svg:circle', { cx: px(plot.alpha), cy: py(plot.observed), r: 4, fill: COLOURS[1], id: 'plot-observed' }));
    return h('div', {}, svg, legend([['Eyal and Sirer: selfish revenue (γ = 0)', COLOURS[3]], ['honest mining: share = hash power', COLOURS[0]],
      [`${plot.attacker}: ${(plot.observed * 100).toFixed(1)} % of ${plot.blocks} blocks with ${(plot.alpha * 100).toFixed(0)} % of the hash power (curve: ${(plot.predicted * 100).toFixed(1)} %)`, COLOURS[1]]]));
  }
  const width = 520, rowH = 26;
  const svg = h('svg:svg', { viewBox: `0 0 ${width} ${plot.bars.length * rowH + 6}`, class: 'chart', role: 'img', 'aria-label': 'shares of the blocks' });
  const px = v => 70 + v * (width - 150);
  plot.bars.forEach((b, i) => {
    const y = 4 + i * rowH;
    svg.append(h('svg:text', { x: 4, y: y + 15 }, b.name),
      h('svg:rect', { x: px(0), y, width: Math.max(0, px(b.share) - px(0)), height: rowH - 8, fill: COLOURS[i % COLOURS.length], 'data-node': b.name }),
      h('svg:line', { x1: px(b.expected), y1: y - 2, x2: px(b.expected), y2: y + rowH - 6, stroke: 'currentColor', 'stroke-width': 2 }),
      h('svg:text', { x: width - 4, y: y + 15, 'text-anchor': 'end' }, `${b.blocks} · ${(b.share * 100).toFixed(0)} % (${(b.expected * 100).toFixed(0)} %)`));
  });
  return h('div', {}, svg, h('p', { class: 'muted' }, `bar: share of the ${plot.blocks} blocks; mark and (…): its share of the ${plot.expectedIs}`));
}
