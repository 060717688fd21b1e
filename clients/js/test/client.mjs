// The client's side of HTTP, without a node: a stand-in fetch answers as a node would (or would not), and the
// tests look at what the client sent and what it made of the answers. Run: node --test clients/js/test/client.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Client, ChainlabProblem, parseJson, stringifyJson, contractValue, decodeTransaction, keyFromSeed, unhex, hex,
  transfer, stake, evidence, deploy, invoke, fileAnchor,
} from '../index.js';

const here = dirname(fileURLToPath(import.meta.url));
const load = name => parseJson(readFileSync(join(here, '../../../docs/vectors', `${name}.json`), 'utf8')).vectors;
const keys = load('keys'), headers = load('headers'), refs = load('files').filter(v => v.cid);
const json = (value, status = 200) => new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });
const STATUS = { chainId: 'test', minFee: 3, contracts: { gasPrice: 2 } };

/** A stand-in node: routes maps "METHOD /path" to a function of the request giving a Response; calls records each. */
function fakeNode(routes) {
  const calls = [];
  const fetch = async (url, init = {}) => {
    const path = new URL(url).pathname, method = init.method ?? 'GET';
    calls.push({ method, path, body: init.body });
    const route = routes[`${method} ${path}`] ?? routes[path];
    if (!route) return json({ type: 'urn:chainlab:problem:not-found', title: 'Not found' }, 404);
    return route({ method, path, body: init.body, signal: init.signal });
  };
  return { client: new Client('http://node.test', { fetch }), calls };
}

test('parseJson turns only bare numbers of 16 digits or more into strings, never digits inside a string', () => {
  const text = '{"name":"a,1234567890123456,b","quoted":"x\\"1234567890123456\\"","big":12345678901234567890,"list":[1,-1234567890123456789],"f":1.12345678901234567}';
  const v = parseJson(text);
  assert.equal(v.name, 'a,1234567890123456,b');
  assert.equal(v.quoted, 'x"1234567890123456"');
  assert.equal(v.big, '12345678901234567890');
  assert.deepEqual(v.list, [1, '-1234567890123456789']);
  assert.equal(typeof v.f, 'number');
  assert.equal(parseJson('12345678901234567890'), '12345678901234567890');
});

test('stringifyJson writes BigInts as JSON numbers and leaves strings that look like them alone', () => {
  assert.equal(stringifyJson({ a: [5n, -12345678901234567890n, '5'], b: { c: 1n } }), '{"a":[5,-12345678901234567890,"5"],"b":{"c":1}}');
  assert.equal(stringifyJson(7n), '7');
});

test('a contract call sends BigInt arguments as JSON numbers, so the contract receives 5 and not "5"', async () => {
  let sent = null;
  const { client } = fakeNode({ 'POST /api/v1/contracts/cl1/call': ({ body }) => { sent = body; return json({ value: 5, gasUsed: 1, height: 1 }); } });
  await client.call('cl1', 'echo', [5n, 'five', 12345678901234567890n]);
  assert.match(sent, /"args":\[5,"five",12345678901234567890\]/);
  assert.deepEqual(parseJson(sent).args, [5, 'five', '12345678901234567890']);
});

test('a contract value outside the signed 64-bit range, or a number past 2^53 - 1, is refused rather than wrapped', () => {
  assert.equal(hex(contractValue(2n ** 63n - 1n)), '037fffffffffffffff');
  assert.equal(hex(contractValue(-(2n ** 63n))), '038000000000000000');
  assert.equal(hex(contractValue(Number.MAX_SAFE_INTEGER)), '03001fffffffffffff');
  assert.throws(() => contractValue(2n ** 63n), /signed 64-bit/);
  assert.throws(() => contractValue(-(2n ** 63n) - 1n), /signed 64-bit/);
  assert.throws(() => contractValue(2n ** 64n + 5n), /signed 64-bit/);
  assert.throws(() => contractValue(2 ** 53), /BigInt/);
  assert.throws(() => contractValue([1, -(2 ** 60)]), /BigInt/);
});

test('send pays by default what each kind is due: gas × price for contracts, the minimum fee per file for an anchor, nothing for evidence', async () => {
  const submitted = [];
  const { client } = fakeNode({
    '/api/v1/status': () => json(STATUS),
    [`/api/v1/accounts/${(await keyFromSeed(unhex(keys[0].seed))).address}`]: () => json({ nextNonce: 4 }),
    'POST /api/v1/transactions': ({ body }) => { submitted.push(JSON.parse(body).raw); return json({ hash: '00', status: 'pending' }); },
  });
  const key = await keyFromSeed(unhex(keys[0].seed));
  const cases = [
    [transfer(key.address, 1), 3n], [stake(1), 3n], [fileAnchor(refs.slice(0, 3).map(r => ({ ...r, name: r.fileName }))), 9n],
    [fileAnchor([{ ...refs[0], name: refs[0].fileName }]), 3n], [evidence(headers[0], headers[1]), 0n],
    [deploy(100, 'return {}'), 200n], [invoke(key.address, 7, 'f'), 14n],
  ];
  for (const [fields] of cases) await client.send(key, fields);
  const fees = await Promise.all(submitted.map(async raw => (await decodeTransaction(raw)).fee));
  assert.deepEqual(fees, cases.map(([, fee]) => fee));
  assert.equal((await decodeTransaction(submitted[0])).nonce, 4n);
  await client.send(key, { ...transfer(key.address, 1), fee: 11 });
  assert.equal((await decodeTransaction(submitted.at(-1))).fee, 11n);
});

test('a successful answer that is not JSON is a bad-answer problem, not a string', async () => {
  const { client } = fakeNode({
    '/api/v1/status': () => new Response('<html>a proxy</html>', { status: 200, headers: { 'content-type': 'text/html' } }),
    '/api/v1/supply': () => new Response('{"total": ', { status: 200, headers: { 'content-type': 'application/json' } }),
    '/api/v1/peers': () => new Response(new TextEncoder().encode('[]'), { status: 200 }), // no content type
    '/metrics': () => new Response('chainlab_height 5\n', { status: 200, headers: { 'content-type': 'text/plain' } }),
  });
  for (const [call, why] of [[() => client.status(), /'text\/html'.*<html>a proxy/], [() => client.supply(), /does not parse/], [() => client.peers(), /missing/]])
    await assert.rejects(call(), e => e instanceof ChainlabProblem && e.type === 'bad-answer' && e.status === 200 && e.problem === null && why.test(e.message));
  assert.equal(await client.request('/metrics', { text: true }), 'chainlab_height 5\n');
});

/** An event stream that sends what it is given, then ends (a node going away) or stays open until aborted. */
function stream(lines, { end }) {
  return ({ signal }) => new Response(new ReadableStream({
    start(c) {
      for (const l of lines) c.enqueue(new TextEncoder().encode(l));
      if (end) c.close();
      else signal?.addEventListener('abort', () => { try { c.close(); } catch { /* closed */ } });
    },
  }), { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

test('when the event stream ends early, waitForTransaction keeps asking until the transaction settles', async () => {
  let asked = 0;
  const { client } = fakeNode({
    '/api/v1/events': stream([': hello\n\n'], { end: true }),
    '/api/v1/transactions/ab': () => (++asked < 4 ? json({ hash: 'ab', status: 'pending' }) : json({ hash: 'ab', status: 'included' })),
  });
  const r = await client.waitForTransaction('ab', { timeoutMs: 5000, pollMs: 20 });
  assert.equal(r.status, 'included');
  assert.equal(asked, 4);
});

test('when the event stream ends early, waitForTransaction reports a timeout only once the time has passed', async () => {
  const { client } = fakeNode({
    '/api/v1/events': stream([], { end: true }),
    '/api/v1/transactions/ab': () => json({ hash: 'ab', status: 'pending' }),
  });
  const started = performance.now();
  await assert.rejects(client.waitForTransaction('ab', { timeoutMs: 400, pollMs: 50 }), /within 400 ms/);
  assert.ok(performance.now() - started >= 390, `gave up after ${Math.round(performance.now() - started)} ms`);
});

test('waitForTransaction still wakes on heads while the stream is open', async () => {
  let asked = 0;
  const { client } = fakeNode({
    '/api/v1/events': stream(['event: head\ndata: {"height":1}\n\n'], { end: false }),
    '/api/v1/transactions/ab': () => (++asked < 2 ? json({ hash: 'ab', status: 'pending' }) : json({ hash: 'ab', status: 'rejected', reason: 'x' })),
  });
  const r = await client.waitForTransaction('ab', { timeoutMs: 5000, pollMs: 60000 });
  assert.equal(r.status, 'rejected');
});
