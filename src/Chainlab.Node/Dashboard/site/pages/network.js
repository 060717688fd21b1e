// Network: every node of the devnet (read from each node's own API) drawn as a graph of its peer links, with
// heights, sync, latencies and bans. Outside a devnet: this node and its peers.
import { apiAt, apiBase } from '../lib/api.js';
import { h, fill, put, card, table, amount, short } from '../lib/ui.js';

export async function render(page, _param, ctx) {
  await ctx.devnetReady;
  const graph = h('div', { id: 'network-graph' });
  const nodes = h('div');
  const bans = h('div');
  put(page, h('h1', {}, 'Network'),
    ctx.devnet ? null : h('p', { class: 'muted' }, 'This node is not part of a devnet started by `chainlab devnet up`: only its own links are shown.'),
    card('Links', graph), card('Nodes', nodes), card('Bans', bans));
  const draw = async () => {
    const members = ctx.devnet?.nodes ?? [{ name: 'this node', api: apiBase() }];
    const seen = await Promise.all(members.map(async m => {
      try {
        const [status, peers] = await Promise.all([apiAt(m.api, '/api/v1/status'), apiAt(m.api, '/api/v1/peers')]);
        return { ...m, up: true, status, peers };
      } catch (e) { return { ...m, up: false, error: e.message }; }
    }));
    // Peers outside the devnet's list (a single node's view) still appear, by id.
    const byId = new Map(seen.filter(n => n.up).map(n => [n.peers.nodeId, n]));
    const extra = [];
    for (const n of seen.filter(x => x.up)) for (const p of n.peers.peers)
      if (!byId.has(p.nodeId) && !extra.some(x => x.peers?.nodeId === p.nodeId)) extra.push({ name: short(p.nodeId, 8), up: true, peer: true, peers: { nodeId: p.nodeId, peers: [] } });
    const all = [...seen, ...extra];
    fill(graph, drawGraph(all));
    const best = Math.max(0, ...seen.filter(n => n.up).map(n => Number(n.status.headHeight)));
    fill(nodes, table(['node', 'state', 'id', 'height', 'sync', 'peers', 'latency (avg)', 'mempool', 'misbehaving', 'API'],
      seen.map(n => n.up ? [n.name, h('span', { class: 'ok' }, 'up'), h('span', { class: 'mono' }, n.peers.nodeId), amount(n.status.headHeight),
        n.status.sync.syncing ? `${n.status.sync.percent.toFixed(0)} %` : Number(n.status.headHeight) + 2 < best ? 'behind' : 'in sync',
        String(n.peers.peers.length), n.peers.peers.length ? `${(n.peers.peers.reduce((a, p) => a + p.latencyMs, 0) / n.peers.peers.length).toFixed(2)} ms` : '—',
        amount(n.status.mempoolSize), n.status.misbehaving.length ? h('span', { class: 'warn' }, n.status.misbehaving.join(', ')) : '—', h('a', { href: n.api + '/' }, n.api)]
        : [n.name, h('span', { class: 'bad' }, 'down'), '—', '—', '—', '—', '—', '—', '—', h('span', { class: 'muted', title: n.error }, n.api)]),
      { id: 'network-table' }));
    const banRows = seen.filter(n => n.up).flatMap(n => n.peers.banned.map(b => [n.name, byId.get(b.nodeId)?.name ?? h('span', { class: 'mono' }, b.nodeId), b.reason, new Date(b.until).toLocaleTimeString()]));
    fill(bans, table(['by', 'banned', 'why', 'until'], banRows));
  };
  await draw();
  const timer = setInterval(() => draw().catch(() => {}), 2000);
  return () => clearInterval(timer);
}

/** Nodes on a circle; a line for each link either end reports; red for a node that does not answer. */
function drawGraph(all) {
  const size = 360, c = size / 2, r = size / 2 - 50;
  const pos = new Map();
  all.forEach((n, i) => {
    const a = -Math.PI / 2 + 2 * Math.PI * i / all.length;
    pos.set(n, { x: c + r * Math.cos(a), y: c + r * Math.sin(a) });
  });
  const byId = new Map(all.filter(n => n.up).map(n => [n.peers.nodeId, n]));
  const svg = h('svg:svg', { viewBox: `0 0 ${size} ${size}`, class: 'graph', role: 'img', 'aria-label': `${all.length} nodes and their links` });
  const drawn = new Set();
  for (const n of all.filter(x => x.up)) for (const p of n.peers.peers) {
    const other = byId.get(p.nodeId);
    if (!other) continue;
    const key = [n.name, other.name].sort().join('|');
    if (drawn.has(key)) continue;
    drawn.add(key);
    const a = pos.get(n), b = pos.get(other);
    svg.append(h('svg:line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: 'edge' }, h('svg:title', {}, `${n.name} ↔ ${other.name}: ${p.latencyMs} ms`)));
  }
  for (const n of all) {
    const { x, y } = pos.get(n);
    const bad = n.up && n.status?.misbehaving?.length;
    svg.append(h('svg:g', { class: 'graph-node', 'data-name': n.name, 'data-up': String(n.up) },
      h('svg:circle', { cx: x, cy: y, r: 16, class: `node ${n.up ? (bad ? 'bad' : '') : 'down'}` }, h('svg:title', {}, n.up ? `${n.name}${n.status ? ' height ' + n.status.headHeight : ''}` : `${n.name} does not answer`)),
      h('svg:text', { x, y: y + 32, 'text-anchor': 'middle' }, n.name + (n.up ? (n.status ? ` · ${n.status.headHeight}` : '') : ' · down'))));
  }
  return svg;
}
