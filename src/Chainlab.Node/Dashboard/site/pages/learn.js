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
  'content-addressing': 'files',
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
