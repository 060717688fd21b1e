// Overview: the chain at a glance, a live block feed and charts of the last minutes, all from the event stream
// (new heads) and a status read every two seconds.
import { api } from '../lib/api.js';
import { h, fill, put, card, lineChart, hashLink, amount, ago, short } from '../lib/ui.js';

const WINDOW_MS = 5 * 60 * 1000;
// Kept across visits to the page, so the charts do not start empty each time.
const series = { tps: [], interval: [], mempool: [], peers: [] };
const feed = [];

function trim(list) { const cut = Date.now() - WINDOW_MS; while (list.length && list[0].x < cut) list.shift(); }

function addHead(hd) {
  if (feed.length && BigInt(feed[0].height) >= BigInt(hd.height)) return;
  const prev = feed[0];
  feed.unshift(hd);
  feed.length = Math.min(feed.length, 12);
  if (prev) {
    const dt = Math.max(1, Number(hd.timestampMs) - Number(prev.timestampMs));
    series.interval.push({ x: Number(hd.timestampMs), y: dt / 1000 });
    series.tps.push({ x: Number(hd.timestampMs), y: Number(hd.txCount) / (dt / 1000) });
  }
  trim(series.interval); trim(series.tps);
}

export async function render(page, _param, ctx) {
  const status = await api('/api/v1/status');
  // The recent blocks that seed the feed and charts come after the first draw, not before it.
  const seeded = feed.length > 0 ? Promise.resolve() : (async () => {
    const from = BigInt(status.headHeight) > 60n ? BigInt(status.headHeight) - 60n : 0n;
    const recent = await api(`/api/v1/blocks?from=${from}&limit=61`);
    for (const b of recent.blocks) addHead(b);
  })();
  const stats = h('div', { class: 'stats' });
  const blocksList = h('ol', { class: 'feed', reversed: true, id: 'block-feed' });
  const charts = h('div', { class: 'grid' });
  put(page, h('h1', {}, 'Overview'), stats,
    h('div', { class: 'grid' }, card('Latest blocks (live)', blocksList), card('Last five minutes', charts)));

  const draw = s => {
    fill(stats,
      stat('chain', s.chainId), stat('consensus', s.consensus.toUpperCase()), stat('head', amount(s.headHeight), 'head-height'),
      s.finalizedHeight !== null && s.finalizedHeight !== undefined ? stat('final', amount(s.finalizedHeight), 'finalized-height') : null,
      stat('peers', s.peers.length), stat('mempool', amount(s.mempoolSize)), stat('committed since start', amount(s.transactionsCommitted)),
      stat('sync', s.sync.syncing ? `${s.sync.percent.toFixed(1)} %` : 'in sync'), stat('reorganisations', amount(s.forks.reorgs)));
    fill(blocksList, feed.map(b => h('li', {}, hashLink('block', String(b.height), 12), ` ${short(b.hash, 12)} · ${b.txCount} tx · ${ago(b.timestampMs)}`)));
    fill(charts,
      lineChart('transactions per second', series.tps, { digits: 1 }),
      lineChart('block interval', series.interval, { unit: ' s', digits: 2 }),
      lineChart('mempool', series.mempool, { digits: 0 }),
      lineChart('peers', series.peers, { digits: 0 }));
  };
  const sample = s => {
    const now = Date.now();
    series.mempool.push({ x: now, y: s.mempoolSize }); series.peers.push({ x: now, y: s.peers.length });
    trim(series.mempool); trim(series.peers);
  };
  let last = status;
  sample(status);
  draw(status);
  seeded.then(() => draw(last)).catch(() => {});
  ctx.onHead(hd => { addHead(hd); last = { ...last, headHeight: hd.height }; draw(last); });
  const timer = setInterval(async () => {
    try { last = await api('/api/v1/status'); sample(last); draw(last); } catch { /* the shell shows the node is gone */ }
  }, 2000);
  return () => clearInterval(timer);
}

function stat(label, value, id) {
  return h('div', { class: 'stat' }, h('span', {}, label), h('b', id ? { id } : {}, String(value)));
}
