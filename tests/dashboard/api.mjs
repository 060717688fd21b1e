// Where the dashboard's API module sends each call, on a stubbed fetch: plain reads move to a live sibling when the
// page's node stops answering; writes and token-carrying calls stay on the page's own node whatever happens
// (siblings let other pages read them, nothing else). Run: node --test tests/dashboard/api.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register } from 'node:module';

// The dashboard imports the client's modules where the node serves them (../client/); on disk they are in clients/js.
register('./served-paths.mjs', import.meta.url);

const home = 'http://127.0.0.1:7700', sibling = 'http://127.0.0.1:7701', third = 'http://127.0.0.1:7702';
globalThis.location = { origin: home };
const json = (status, body) => ({ ok: status < 400, status, headers: { get: () => 'application/json' }, text: async () => JSON.stringify(body) });
const notFound = detail => json(404, { type: 'urn:chainlab:problem:not-found', title: 'Not found', detail });
const members = [{ name: 'node1', api: home }, { name: 'node2', api: sibling }, { name: 'node3', api: third }];

let copies = 0;
/**
 * A fresh copy of the module (which node it reads from, and the devnet's members, are module state) over a stubbed
 * fetch: every node answers {from: its origin}, except those in `down`, which do not answer at all. `sent()` returns
 * the calls made since the last look, as "METHOD url". With inDevnet false the node says it is in no devnet (404).
 */
async function dashboard({ inDevnet = true } = {}) {
  const down = new Set(), calls = [];
  globalThis.fetch = async (url, options = {}) => {
    calls.push(`${options.method ?? 'GET'} ${url}`);
    const { origin, pathname } = new URL(url);
    if (down.has(origin)) throw new TypeError('Failed to fetch');
    if (pathname === '/api/v1/devnet')
      return inDevnet ? json(200, { self: 'node1', nodes: members, control: true, misbehaviours: [] }) : notFound('not a devnet node');
    if (pathname === '/api/v1/missing') return notFound('no such block');
    return json(200, { from: origin });
  };
  const api = await import(`../../src/Chainlab.Node/Dashboard/site/lib/api.js?copy=${++copies}`);
  const switches = [];
  api.onSwitch(m => switches.push(m.name));
  const devnet = await api.devnet();
  calls.length = 0;
  return { ...api, devnetSeen: devnet, down, switches, sent: () => calls.splice(0) };
}

/** The error a call fails with (the test fails if it does not). */
async function failure(call) {
  try { await call; } catch (e) { return e; }
  assert.fail('the call succeeded');
}

/** A dashboard whose page's node has gone, after one plain read moved it to node2. */
async function movedToSibling() {
  const d = await dashboard();
  d.down.add(home);
  await d.api('/api/v1/status');
  d.sent();
  return d;
}

test('a plain read goes to the node that served the page while it answers', async () => {
  const d = await dashboard();
  assert.equal((await d.api('/api/v1/status')).from, home);
  assert.deepEqual(d.sent(), [`GET ${home}/api/v1/status`]);
  assert.equal(d.apiBase(), home);
});

test('a problem from a live node is an ApiError with its status, type and detail, and is not asked of a sibling', async () => {
  const d = await dashboard();
  const e = await failure(d.api('/api/v1/missing'));
  assert.ok(e instanceof d.ApiError, `${e}`);
  assert.equal(e.status, 404);
  assert.equal(e.type, 'not-found');
  assert.equal(e.message, 'no such block');
  assert.deepEqual(d.sent(), [`GET ${home}/api/v1/missing`]);
  assert.deepEqual(d.switches, []);
});

test('a read carrying the devnet token stays on the page\'s node when it is down, and says so', async () => {
  const d = await dashboard();
  d.down.add(home);
  const e = await failure(d.api('/api/v1/devnet/scenarios', { headers: { authorization: 'Bearer t' } }));
  assert.deepEqual(d.sent(), [`GET ${home}/api/v1/devnet/scenarios`]);
  assert.match(e.message, /the node that served this page does not answer/);
  assert.equal(d.apiBase(), home);
  assert.deepEqual(d.switches, []);
});

test('a plain read moves to the first live sibling when the page\'s node is down, announces it and stays there', async () => {
  const d = await dashboard();
  d.down.add(home);
  assert.equal((await d.api('/api/v1/status')).from, sibling);
  assert.deepEqual(d.sent(), [`GET ${home}/api/v1/status`, `GET ${sibling}/api/v1/status`]);
  assert.deepEqual(d.switches, ['node2']);
  assert.equal(d.apiBase(), sibling);
  // The next read goes straight to the sibling, and is no new switch.
  assert.equal((await d.api('/api/v1/blocks/0')).from, sibling);
  assert.deepEqual(d.sent(), [`GET ${sibling}/api/v1/blocks/0`]);
  assert.deepEqual(d.switches, ['node2']);
});

test('a plain read passes over a sibling that does not answer either', async () => {
  const d = await dashboard();
  d.down.add(home);
  d.down.add(sibling);
  assert.equal((await d.api('/api/v1/status')).from, third);
  assert.deepEqual(d.sent(), [`GET ${home}/api/v1/status`, `GET ${sibling}/api/v1/status`, `GET ${third}/api/v1/status`]);
  assert.deepEqual(d.switches, ['node3']);
  assert.equal(d.apiBase(), third);
});

test('a plain read fails saying no node of the devnet answers when none does, and stays on the page\'s node', async () => {
  const d = await dashboard();
  for (const m of members) d.down.add(m.api);
  const e = await failure(d.api('/api/v1/status'));
  assert.match(e.message, /no node of this devnet answers/);
  assert.equal(d.sent().length, members.length);
  assert.equal(d.apiBase(), home);
  assert.deepEqual(d.switches, []);
});

test('outside a devnet there are no siblings: a read of a node that does not answer fails there', async () => {
  const d = await dashboard({ inDevnet: false });
  assert.equal(d.devnetSeen, null);
  d.down.add(home);
  const e = await failure(d.api('/api/v1/status'));
  assert.equal(e.message, 'Failed to fetch'); // the node's own failure, passed on
  assert.deepEqual(d.sent(), [`GET ${home}/api/v1/status`]);
  assert.equal(d.apiBase(), home);
});

test('a write goes only to the page\'s node, even after reads moved to a sibling, and fails while it is down', async () => {
  const d = await movedToSibling();
  const e = await failure(d.post('/api/v1/transactions', { raw: '00' }));
  assert.deepEqual(d.sent(), [`POST ${home}/api/v1/transactions`]);
  assert.match(e.message, /the node that served this page does not answer/);
  assert.equal(d.apiBase(), sibling);
});

test('a write reaches the page\'s node once it answers again, while reads stay on the sibling', async () => {
  const d = await movedToSibling();
  d.down.delete(home);
  assert.equal((await d.post('/api/v1/transactions', { raw: '00' })).from, home);
  assert.deepEqual(d.sent(), [`POST ${home}/api/v1/transactions`]);
  assert.equal((await d.api('/api/v1/status')).from, sibling);
});
