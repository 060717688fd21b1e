// The dashboard shell: a hash router over the pages, the live badge, the search box and the wallet chip.
import { api, devnet, follow, onSwitch, apiBase } from './lib/api.js';
import { fill, h, short, toast } from './lib/ui.js';
import * as wallet from './lib/wallet.js';
import * as overview from './pages/overview.js';
import * as blocks from './pages/blocks.js';
import * as explorer from './pages/explorer.js';
import * as network from './pages/network.js';
import * as consensus from './pages/consensus.js';
import * as contracts from './pages/contracts.js';
import * as files from './pages/files.js';
import * as adversary from './pages/adversary.js';
import * as learn from './pages/learn.js';
import * as walletPage from './pages/wallet.js';

const routes = {
  '': overview.render, blocks: blocks.render, block: explorer.block, tx: explorer.transaction, account: explorer.account,
  network: network.render, consensus: consensus.render, contracts: contracts.render, contract: contracts.render,
  files: files.render, file: files.render, adversary: adversary.render, learn: learn.render, wallet: walletPage.render, search: explorer.search,
};

const view = document.getElementById('view');
const live = document.getElementById('live');
const headListeners = new Set();
/**
 * What the shell gives each page: onHead subscribes to new heads (until the page changes), refresh draws the page
 * again (a pending transaction's page, once a new head may include it).
 */
const ctx = { onHead: f => { headListeners.add(f); }, refresh, devnet: null, devnetReady: null };
let cleanup = [];

async function route() {
  cleanup.forEach(f => f());
  cleanup = [];
  headListeners.clear();
  const [name, ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  const param = rest.map(decodeURIComponent).join('/');
  // The tab a page belongs to; an account and a search belong to none (the overview's tab is '#/').
  const sections = { block: 'blocks', tx: 'blocks', contract: 'contracts', file: 'files', account: null, search: null };
  const section = Object.hasOwn(sections, name) ? sections[name] : name;
  for (const a of document.querySelectorAll('nav a'))
    if (a.getAttribute('href') === `#/${section}`) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  const render = routes[name];
  fill(view, h('p', { class: 'muted' }, 'Loading…'));
  if (!render) { fill(view, h('h1', {}, 'Not found'), h('p', {}, `No page '${name}'.`)); return; }
  try {
    const page = h('div', { class: 'page', 'data-page': name || 'overview' });
    const done = await render(page, param, ctx, name);
    fill(view, page);
    if (typeof done === 'function') cleanup.push(done);
  } catch (e) {
    fill(view, h('h1', {}, 'Could not load this page'), h('p', { class: 'bad', role: 'alert' }, e.message));
  }
}

/** Draws the page the hash names, afresh, and moves focus to it without scrolling: on a new hash and on ctx.refresh(). */
function refresh() {
  route();
  view.focus({ preventScroll: true });
}

document.getElementById('search').addEventListener('submit', e => {
  e.preventDefault();
  const q = document.getElementById('q').value.trim();
  if (q) location.hash = `#/search/${encodeURIComponent(q)}`;
});

async function chip() {
  const c = document.getElementById('wallet-chip');
  const a = wallet.current();
  c.textContent = a ? `${short(a, 8)}${wallet.isUnlocked(a) ? '' : ' 🔒'}` : 'wallet';
  c.title = a ?? 'no key yet';
}
wallet.onChange(chip);

function setLive(up) {
  live.textContent = up ? `live · ${new URL(apiBase()).port ? 'node :' + new URL(apiBase()).port : 'node'}` : 'reconnecting…';
  live.className = `pill ${up ? 'up' : 'down'}`;
}

async function start() {
  // The devnet's members are asked for beside the first page, not before it (the pages that need them wait).
  ctx.devnetReady = devnet().then(d => { ctx.devnet = d; return d; }, e => { toast(e.message, 'error'); return null; });
  follow({ head: e => headListeners.forEach(f => f(e)) }, setLive);
  onSwitch(m => toast(`node ${apiBase()} answers now (${m.name}); the one that served this page is gone`));
  // A heartbeat: a read every few seconds finds out when the node is gone (and moves to a sibling).
  setInterval(() => api('/api/v1/status').catch(() => setLive(false)), 4000);
  window.addEventListener('hashchange', refresh);
  chip();
  await route();
}

start();
