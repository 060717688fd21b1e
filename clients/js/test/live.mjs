// The client library against a live node: node --test clients/js/test/live.mjs NODE_URL KEY_FILE PASSWORD
// (the C# suite runs it against a devnet it starts, with dev1's key file and the password "devnet"). Sends a
// transfer, follows it on the event stream until it is in a block, checks its Merkle proof and the recipient's
// state proof offline against the block headers, and gets the node's refusals as typed errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  Client, ChainlabProblem, decryptKey, generateKey, transfer, decodeTransaction, verifyTransactionProof,
  verifyAccountProof, unhex, hex,
} from '../index.js';

const [url, keyFile, password] = process.argv.slice(2);
const skip = url ? false : 'no node given (node live.mjs NODE_URL KEY_FILE PASSWORD)';
const client = new Client(url ?? 'http://127.0.0.1:1');

/** The error a call fails with (the test fails if it does not). */
async function failure(call) {
  try { await call; } catch (e) { return e; }
  assert.fail('the call succeeded');
}

// One transfer shared by the tests below: sent once, followed on the event stream.
let sent;
const sending = (async () => {
  if (skip) return;
  const key = await decryptKey(readFileSync(keyFile, 'utf8'), password);
  const recipient = await generateKey();
  const events = [];
  const stream = await client.events();
  const reading = (async () => { for await (const e of stream) events.push(e); })();
  const { hash, signed } = await client.send(key, transfer(recipient.address, 1234));
  const result = await client.waitForTransaction(hash, { timeoutMs: 60000 });
  // The head that announced the block may come a moment after the answer says it is included.
  for (let i = 0; i < 50 && !events.some(e => e.type === 'head' && BigInt(e.data.height) >= BigInt(result.blockHeight)); i++)
    await new Promise(r => setTimeout(r, 100));
  stream.close();
  await reading;
  sent = { key, recipient, hash, signed, result, events };
})();
sending.catch(() => {}); // each test awaits it and fails with its error

test('a transfer signed by the client is accepted, and included in a block', { skip }, async () => {
  await sending;
  assert.equal(sent.result.status, 'included', JSON.stringify(sent.result));
  assert.equal(sent.result.hash, sent.signed.hash);
  assert.equal(sent.result.receipt.success, true);
  const tx = await decodeTransaction(sent.result.transaction.raw);
  assert.deepEqual([tx.kind, tx.from, tx.to, tx.amount], ['transfer', sent.key.address, sent.recipient.address, 1234n]);
});

test('the event stream announced the transaction and the head of the block that holds it', { skip }, async () => {
  await sending;
  assert.ok(sent.events.some(e => e.type === 'transactions' && e.data.hashes.includes(sent.hash)), JSON.stringify(sent.events));
  const head = sent.events.find(e => e.type === 'head' && String(e.data.height) === String(sent.result.blockHeight));
  assert.ok(head, `no head event at height ${sent.result.blockHeight}: ${JSON.stringify(sent.events)}`);
  assert.equal(head.data.hash, sent.result.blockHash);
});

test('the transaction\'s Merkle proof checks offline against its block\'s header, and fails for another transaction', { skip }, async () => {
  await sending;
  const { header } = await client.block(sent.result.blockHash);
  const ok = await verifyTransactionProof(sent.result, header);
  assert.equal(ok.ok, true, ok.why);
  const other = hex(unhex(sent.hash).map((b, i) => (i === 0 ? b ^ 1 : b)));
  assert.equal((await verifyTransactionProof({ ...sent.result, hash: other, transaction: null }, header)).ok, false);
  const elsewhere = (await client.block(BigInt(sent.result.blockHeight) - 1n)).header;
  assert.equal((await verifyTransactionProof(sent.result, elsewhere)).ok, false);
});

test('the recipient\'s state proof checks offline against the header at its height, and fails for another balance', { skip }, async () => {
  await sending;
  const account = await client.account(sent.recipient.address, { proof: true });
  assert.equal(BigInt(account.balance), 1234n);
  const { header } = await client.block(account.proof.height);
  const ok = await verifyAccountProof(account, header);
  assert.equal(ok.ok, true, ok.why);
  assert.equal((await verifyAccountProof({ ...account, balance: 1235 }, header)).ok, false);
  assert.equal((await verifyAccountProof({ ...account, proof: { ...account.proof, stateRoot: header.txRoot } })).ok, false);
});

test('an account nobody has is proved absent, and a proof of absence does not pass for a funded account', { skip }, async () => {
  const nobody = await generateKey();
  const account = await client.account(nobody.address, { proof: true });
  const { header } = await client.block(account.proof.height);
  const ok = await verifyAccountProof(account, header);
  assert.equal(ok.ok, true, ok.why);
  assert.equal((await verifyAccountProof({ ...account, balance: 5 }, header)).ok, false);
});

test('the node\'s refusals come as ChainlabProblem errors with status, type, title and detail', { skip }, async () => {
  await sending;
  const replay = await failure(client.submit(sent.signed));
  assert.ok(replay instanceof ChainlabProblem, `${replay}`);
  assert.deepEqual([replay.status, replay.type], [422, 'nonce-too-low']);
  assert.equal(replay.typeUri, 'urn:chainlab:problem:nonce-too-low');
  assert.ok(replay.title && replay.detail, JSON.stringify(replay.problem));
  assert.equal(replay.message, replay.detail);

  const address = await failure(client.account('clNotAnAddress'));
  assert.ok(address instanceof ChainlabProblem, `${address}`);
  assert.deepEqual([address.status, address.type], [400, 'bad-address']);

  const missing = await failure(client.block('18446744073709551615'));
  assert.deepEqual([missing.status, missing.type], [404, 'not-found']);

  const garbage = await failure(client.submit('0102'));
  assert.deepEqual([garbage.status, garbage.type], [400, 'malformed']);
});
