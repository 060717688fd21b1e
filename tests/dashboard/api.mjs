// Where the dashboard's API module sends each call, on a stubbed fetch: plain reads move to a live sibling when the
// page's node stops answering; writes and token-carrying calls stay on the page's own node whatever happens
// (siblings let other pages read them, nothing else). Run: node tests/dashboard/api.mjs
const home = 'http://127.0.0.1:7700', sibling = 'http://127.0.0.1:7701';
globalThis.location = { origin: home };
const calls = [];
let homeUp = true;
const json = (status, body) => ({ ok: status < 400, status, headers: { get: () => 'application/json' }, text: async () => JSON.stringify(body) });
globalThis.fetch = async (url, options = {}) => {
  calls.push({ url, method: options.method ?? 'GET', headers: options.headers ?? null });
  const { origin, pathname } = new URL(url);
  if (origin === home && !homeUp) throw new TypeError('Failed to fetch');
  if (pathname === '/api/v1/devnet') return json(200, { self: 'node1', nodes: [{ name: 'node1', api: home }, { name: 'node2', api: sibling }], control: true, misbehaviours: [] });
  if (pathname === '/api/v1/missing') return json(404, { type: 'urn:chainlab:problem:not-found', title: 'Not found', detail: 'no such block' });
  return json(200, { from: origin });
};
const { api, post, apiBase, onSwitch, ApiError, devnet } = await import('../../src/Chainlab.Node/Dashboard/site/lib/api.js');

let failures = 0;
const check = (what, got, want) => { if (got !== want) { failures++; console.error(`WRONG ${what}: got ${got}, want ${want}`); } };
const sent = () => calls.splice(0).map(c => `${c.method} ${c.url}`).join(' | ');
const error = async f => { try { await f(); return null; } catch (e) { return e; } };

await devnet();
sent();
check('a read goes to the page\'s node', (await api('/api/v1/status')).from, home);
sent();
const notFound = await error(() => api('/api/v1/missing'));
check('a problem from a live node is an ApiError', notFound instanceof ApiError && notFound.type, 'not-found');
check('a problem is not retried elsewhere', sent(), `GET ${home}/api/v1/missing`);

homeUp = false;
const denied = await error(() => api('/api/v1/devnet/scenarios', { headers: { authorization: 'Bearer t' } }));
check('a token-carrying read never leaves the page\'s node', sent(), `GET ${home}/api/v1/devnet/scenarios`);
check('and says the page\'s node does not answer', denied?.message.includes('the node that served this page does not answer'), true);
check('no switch of node for it', apiBase(), home);

let switched = null;
onSwitch(m => { switched = m.name; });
check('a plain read moves to a live sibling', (await api('/api/v1/status')).from, sibling);
check('which is announced', switched, 'node2');
check('and kept', apiBase(), sibling);
sent();
await error(() => post('/api/v1/transactions', { raw: '00' }));
check('a write after the switch still goes only to the page\'s node', sent(), `POST ${home}/api/v1/transactions`);
homeUp = true;
check('a write reaches the page\'s node when it is back', (await post('/api/v1/transactions', { raw: '00' })).from, home);

if (failures) { console.error(`${failures} wrong`); process.exit(1); }
console.log('api routing: all checks hold');
