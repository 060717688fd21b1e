// Adversary lab (devnets only): put faults into the running devnet and give nodes misbehaviours through the
// devnet's control route (token-guarded, reached through this node), then watch every node's height on a timeline
// and live verdicts of the lab's invariants as far as the page can see them.
import { api, apiAt } from '../lib/api.js';
import { h, fill, put, card, table, field, busy, toast, verdict, amount } from '../lib/ui.js';

const TOKEN = 'chainlab.devnet.token', LOG = 'chainlab.devnet.timeline';
const heights = new Map(); // node name → [{x: ms, y: height}]
const timeline = JSON.parse(sessionStorage.getItem(LOG) ?? '[]');

function note(line, ok = true) {
  timeline.push({ at: Date.now(), line, ok });
  sessionStorage.setItem(LOG, JSON.stringify(timeline.slice(-200)));
}

export async function render(page, _param, ctx) {
  await ctx.devnetReady;
  put(page, h('h1', {}, 'Adversary lab'));
  const d = ctx.devnet;
  if (!d) {
    put(page, h('p', {}, 'Faults and malicious nodes are for devnets started with `chainlab devnet up`; this node is not part of one.'));
    return;
  }
  const token = h('input', { type: 'password', id: 'devnet-token', autocomplete: 'off', value: sessionStorage.getItem(TOKEN) ?? '', placeholder: 'contents of keys/control-token' });
  token.addEventListener('change', () => sessionStorage.setItem(TOKEN, token.value.trim()));
  // The devnet routes take the token, so every call goes to this page's own node (lib/api.js), never a sibling.
  const devnetCall = (path, body) => api(`/api/v1/devnet/${path}`, body === undefined
    ? { headers: { authorization: `Bearer ${token.value.trim()}` } }
    : { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token.value.trim()}` }, body: JSON.stringify(body) });
  const control = async command => {
    let body;
    try { body = await devnetCall('control', command); }
    catch (e) { note(`${command.action}: ${e.message}`, false); throw e; }
    note(body.applied);
    toast(`applied: ${body.applied}`, 'ok');
    draw();
  };
  const names = d.nodes.map(n => n.name);
  const nodeList = text => text.split(',').map(x => x.trim()).filter(Boolean).map(x => {
    const n = Number(x.replace(/^node/, ''));
    if (!Number.isInteger(n) || n < 1 || n > names.length) throw new Error(`'${x}' is not a node of this devnet (1..${names.length})`);
    return n;
  });
  const nodesIn = h('input', { type: 'text', id: 'fault-nodes', placeholder: 'e.g. 3 or 2,3' });
  const groupsIn = h('input', { type: 'text', id: 'fault-groups', placeholder: 'e.g. 1,2/3,4' });
  const bridgeIn = h('input', { type: 'text', id: 'fault-bridge', placeholder: 'e.g. 3' });
  const delayIn = h('input', { type: 'number', min: 0, value: 200, id: 'fault-delay' });
  const jitterIn = h('input', { type: 'number', min: 0, value: 50, id: 'fault-jitter' });
  const lossIn = h('input', { type: 'number', min: 0, max: 1, step: 0.05, value: 0, id: 'fault-loss' });
  const skewIn = h('input', { type: 'number', value: 30000, id: 'fault-skew' });
  const act = (action, build) => h('button', { type: 'button', 'data-action': action, onclick: ev => busy(ev.currentTarget, () => control({ action, ...build() })) }, action);
  const misbehaveNode = h('select', { id: 'misbehave-node' }, names.map((n, i) => h('option', { value: i + 1 }, n)));
  const misbehaviours = h('select', { id: 'misbehave-names', multiple: true, size: 5 }, d.misbehaviours.map(m => h('option', { value: m.name, title: m.what }, `${m.name}${m.engines ? ` (${m.engines.join(', ')})` : ''}`)));
  const timelineBox = h('div', { id: 'timeline' });
  const scenarioPick = h('select', { id: 'scenario-name' }, h('option', { value: '' }, 'enter the token, then load the library'));
  const scenarioBox = h('div', { id: 'scenario-run' });
  const loadScenarios = async () => {
    const state = await devnetCall('scenarios');
    const chosen = scenarioPick.value;
    fill(scenarioPick, state.library.map(x => h('option', { value: x.name, title: x.about, selected: x.name === chosen }, `${x.name} (${x.nodes} ${x.consensus} nodes)`)));
    drawRun(scenarioBox, state.run);
    return state;
  };
  const verdicts = h('div', { id: 'verdicts' });
  const chart = h('div');

  put(page,
    h('p', { class: 'muted' }, 'Every change goes to the devnet\'s supervisor (the `devnet up` process) through this node\'s devnet control route, with the devnet\'s token from keys/control-token. Scenario files run from the CLI: chainlab scenario run scenarios/NAME.yaml (docs/ATTACKS.md).'),
    d.control ? null : h('p', { class: 'bad' }, 'This node was not told its supervisor\'s address: faults can be put in with `chainlab devnet fault` only.'),
    card('Control', field('devnet token', token),
      h('div', { class: 'row' }, field('nodes', nodesIn), field('partition groups', groupsIn), field('bridge', bridgeIn)),
      h('div', { class: 'actions' },
        ...['kill', 'restart', 'pause', 'resume'].map(a => act(a, () => ({ nodes: nodeList(nodesIn.value) }))),
        act('partition', () => ({ groups: groupsIn.value.split('/').map(nodeList), bridge: bridgeIn.value.trim() ? nodeList(bridgeIn.value) : null })),
        act('heal', () => ({}))),
      h('div', { class: 'row' }, field('delay (ms)', delayIn), field('jitter (ms)', jitterIn), field('loss (0..1)', lossIn), field('clock skew (ms)', skewIn)),
      h('div', { class: 'actions' },
        act('latency', () => ({ latencyMs: Number(delayIn.value), jitterMs: Number(jitterIn.value), loss: Number(lossIn.value), groups: groupsIn.value.trim() ? groupsIn.value.split('/').map(nodeList) : null })),
        act('skew', () => ({ nodes: nodeList(nodesIn.value), skewMs: Number(skewIn.value) })))),
    card('Malicious nodes', h('p', { class: 'muted' }, 'The node restarts with the chosen misbehaviours (none chosen: honest again). Hover a name for what it does.'),
      h('div', { class: 'row' }, field('node', misbehaveNode), field('misbehaviours', misbehaviours)),
      act('misbehave', () => ({ nodes: [Number(misbehaveNode.value)], misbehave: [...misbehaviours.selectedOptions].map(o => o.value) }))),
    card('Scenarios', h('p', { class: 'muted' }, 'A scenario of the library (scenarios/, docs/ATTACKS.md) runs on its own devnet beside this one, with its own faults, load and malicious nodes; its verdicts appear when it ends.'),
      h('div', { class: 'row' }, field('scenario', scenarioPick)),
      h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'scenario-load', onclick: ev => busy(ev.currentTarget, loadScenarios) }, 'Load library'),
        h('button', { type: 'button', id: 'scenario-start', onclick: ev => busy(ev.currentTarget, async () => {
          const r = await devnetCall('scenarios', { name: scenarioPick.value });
          note(r.applied); toast(r.applied, 'ok');
          scenarioBox.dataset.running = 'true'; // polled from now on, even if this first read fails
          await loadScenarios();
        }) }, 'Run scenario')),
      scenarioBox),
    h('div', { class: 'grid' }, card('Verdicts (live)', verdicts), card('Heights', chart)),
    card('Timeline', timelineBox));

  const draw = async () => {
    const seen = await Promise.all(d.nodes.map(async m => {
      try { return { ...m, up: true, status: await apiAt(m.api, '/api/v1/status', 1500), peers: await apiAt(m.api, '/api/v1/peers', 1500) }; }
      catch { return { ...m, up: false }; }
    }));
    const now = Date.now();
    for (const n of seen) {
      const list = heights.get(n.name) ?? []; heights.set(n.name, list);
      if (n.up) list.push({ x: now, y: Number(n.status.headHeight) });
      while (list.length && list[0].x < now - 5 * 60 * 1000) list.shift();
    }
    fill(chart, table(['node', 'state', 'height', 'head', 'misbehaving'], seen.map(n => [n.name, n.up ? h('span', { class: 'ok' }, 'up') : h('span', { class: 'bad' }, 'down'),
      n.up ? amount(n.status.headHeight) : '—', n.up ? h('span', { class: 'mono' }, n.status.headHash.slice(0, 12)) : '—', n.up && n.status.misbehaving.length ? n.status.misbehaving.join(', ') : '—'])),
      sparkRows(seen));
    fill(verdicts, await checks(seen));
    fill(timelineBox, table(['time', 'what'], timeline.slice().reverse().map(t => [new Date(t.at).toLocaleTimeString(), t.ok ? t.line : h('span', { class: 'bad' }, t.line)])));
  };
  await draw();
  if (token.value) await loadScenarios().catch(() => {});
  const timer = setInterval(() => {
    draw().catch(() => {});
    if (scenarioBox.dataset.running === 'true') loadScenarios().catch(() => {});
  }, 2000);
  return () => clearInterval(timer);
}

/** The last scenario run: its progress lines while it runs, its verdicts once it has written its report. */
function drawRun(box, run) {
  box.dataset.running = String(Boolean(run?.running));
  if (!run) { fill(box, h('p', { class: 'muted' }, 'No scenario run yet.')); return; }
  const report = run.report;
  fill(box,
    h('p', {}, h('b', {}, run.name), run.running ? ' running…' : report ? [' ', h('span', { class: report.passed ? 'ok' : 'bad', id: 'scenario-outcome' }, report.passed ? 'PASSED' : 'FAILED'), ` in ${report.seconds} s`] : ` ended (exit ${run.exitCode}) without a report`),
    report ? table(['invariant', 'verdict', 'evidence'], report.verdicts.map(v => [v.check, verdict(v.passes ?? v.holds, v.outcome ?? (v.holds ? 'holds' : 'BROKEN')), v.evidence]), { id: 'scenario-verdicts' }) : null,
    report?.figures ? h('pre', {}, Object.entries(report.figures).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join('\n')) : null,
    h('pre', { class: 'bytes' }, run.lines.slice(-15).join('\n')));
}

function sparkRows(seen) {
  return h('ul', { class: 'feed' }, seen.map(n => {
    const list = heights.get(n.name) ?? [];
    const first = list[0], last = list[list.length - 1];
    return h('li', {}, `${n.name}: ${first && last && last.x > first.x ? `${((last.y - first.y) / ((last.x - first.x) / 60000)).toFixed(1)} blocks/min over ${Math.round((last.x - first.x) / 1000)} s` : 'no samples yet'}`);
  }));
}

/** The lab's invariants, as far as one page can see them now. */
async function checks(seen) {
  const up = seen.filter(n => n.up && !n.status.misbehaving.length);
  const out = [];
  if (up.length === 0) return h('p', { class: 'bad' }, 'no honest node answers');
  const low = Math.min(...up.map(n => Number(n.status.headHeight)));
  const atLow = await Promise.all(up.map(n => apiAt(n.api, `/api/v1/blocks/${low}`, 1500).then(b => b.header.hash).catch(() => null)));
  const agree = atLow.every(x => x && x === atLow[0]);
  out.push(h('li', { 'data-check': 'identical-below' }, verdict(agree, agree ? `honest nodes hold the same block at height ${low}` : `honest nodes differ at height ${low} (partitioned or reorganising)`)));
  const heads = new Set(up.map(n => n.status.headHash));
  out.push(h('li', { 'data-check': 'one-head' }, verdict(heads.size === 1, heads.size === 1 ? 'one head' : `${heads.size} different heads`)));
  const supply = await api('/api/v1/supply').catch(() => null);
  if (supply) {
    const expected = BigInt(supply.genesis) + BigInt(supply.minted) - BigInt(supply.burned);
    const conserved = BigInt(supply.total) === expected;
    const burnt = BigInt(supply.burned) > 0n ? ` − burnt ${amount(supply.burned)}` : '';
    out.push(h('li', { 'data-check': 'supply-conserved' }, verdict(conserved, `supply ${amount(supply.total)} ${conserved ? '=' : '≠'} genesis + minted${burnt}` + (conserved ? '' : ` = ${amount(expected)}`))));
  }
  for (const bad of seen.filter(n => n.up && n.status.misbehaving.length)) {
    const banners = up.filter(n => n.peers.banned.some(b => b.nodeId === bad.peers.nodeId)).map(n => n.name);
    out.push(h('li', { 'data-check': 'malicious-banned' }, verdict(banners.length > 0, `${bad.name} (${bad.status.misbehaving.join(', ')}) banned by ${banners.length ? banners.join(', ') : 'no honest node yet'}`)));
  }
  const down = seen.filter(n => !n.up).map(n => n.name);
  if (down.length) out.push(h('li', {}, h('span', { class: 'warn' }, `not answering: ${down.join(', ')}`)));
  return h('ul', { class: 'feed' }, out);
}
