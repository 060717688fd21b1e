// The client library (index.js, the code the dashboard runs too) against the published protocol vectors:
// addresses, transactions and their signatures, Merkle roots and proofs, state proofs, contract payloads, file
// refs, headers, and a key file round trip. Run: node --test clients/js/test/vectors.mjs
// As the C# suite runs it, with --cli-key FILE --password P --write-key FILE it also opens a key file the CLI
// wrote and writes one for the CLI to open, and with --write-kinds FILE it writes a signed transaction of every
// kind with its inputs, for the C# codec to rebuild; without them those tests are skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as client from '../index.js';
import {
  hex, unhex, sha256, parseJson, readU64, keyFromSeed, encryptKey, decryptKey, verify, parseAddress, signTransaction,
  contractValue, deployPayload, invokePayload, contractAddress, cidBytes, fileRef, anchorPayload, merkleRoot,
  verifyInclusion, verifyState, verifyAccountProof, accountValueHash, decodeTransaction, headerBytes, evidencePayload, KIND_NAMES,
  transfer, stake, unstake, authorityChange, evidence, deploy, invoke, fileAnchor, vote, voteEvidence, verifyFinality, decodeVote,
} from '../index.js';

const here = dirname(fileURLToPath(import.meta.url));
const load = name => parseJson(readFileSync(join(here, '../../../docs/vectors', `${name}.json`), 'utf8')).vectors;
const keys = load('keys'), transactions = load('transactions'), merkle = load('merkle'), state = load('state');
const contracts = load('contracts'), files = load('files'), headers = load('headers');
const refs = files.filter(v => v.cid), anchors = files.filter(v => v.refs);
const proofs = state.flatMap(v => v.proofs.map(p => ({ ...p, root: v.root })));
const { values: options } = parseArgs({ options: { 'cli-key': { type: 'string' }, password: { type: 'string' }, 'write-key': { type: 'string' }, 'write-kinds': { type: 'string' } } });
const { 'cli-key': cliKeyFile, password, 'write-key': clientKeyFile, 'write-kinds': kindsFile } = options;

test('every kind of vector is published, so none of the tests below passes for want of vectors', () => {
  for (const [name, list] of Object.entries({ keys, transactions, merkle, proofs, refs, anchors, headers })) assert.ok(list.length > 0, `no ${name} vectors`);
  assert.ok(merkle.some(v => v.proof?.path.length > 0), 'no Merkle proof with a path');
  assert.ok(proofs.some(p => p.present) && proofs.some(p => !p.present), 'state proofs of present and absent accounts');
  assert.ok(['value', 'deploy', 'invoke', 'address'].every(kind => contracts.some(v => contractKind(v) === kind)), 'every kind of contract vector');
});

for (const [i, v] of keys.entries())
  test(`key ${i + 1} gives its public key, address and address bytes from its seed (${v.address})`, async () => {
    const k = await keyFromSeed(unhex(v.seed));
    assert.equal(hex(k.publicKey), v.publicKey);
    assert.equal(k.address, v.address);
    assert.equal(hex(await parseAddress(v.address)), v.addressBytes);
  });

test('a mistyped address is refused', async () => {
  await assert.rejects(parseAddress(keys[0].address.slice(0, -1) + 'z'), /checksum|20 bytes/);
});

for (const v of transactions)
  test(`the '${v.name}' transaction signs to the published unsigned bytes, signing bytes, signature, raw bytes and hash`, async () => {
    const k = await keyFromSeed(unhex(v.seed));
    const t = await signTransaction(k, { kind: v.kind, chainId: v.chainId, nonce: v.nonce, fee: v.fee, to: v.to || null, amount: v.amount, payload: unhex(v.payload) });
    assert.equal(hex(t.unsigned), v.unsignedBytes);
    assert.equal(hex(t.signing), v.signingBytes);
    assert.equal(hex(t.signature), v.signature);
    assert.equal(t.rawHex, v.raw);
    assert.equal(t.hash, v.hash);
    assert.equal(await verify(k.publicKey, t.signing, t.signature), true);
  });

for (const v of transactions)
  test(`the '${v.name}' transaction decodes back to its fields`, async () => {
    const d = await decodeTransaction(v.raw);
    assert.deepEqual([d.kindNumber, d.chainId, d.nonce, d.fee, d.to, d.amount, d.payload, d.signature, d.hash],
      [v.kind, v.chainId, BigInt(v.nonce), BigInt(v.fee), v.to || null, BigInt(v.amount), v.payload, v.signature, v.hash]);
    assert.equal(d.kind, KIND_NAMES[v.kind]);
    assert.equal(d.from, (await keyFromSeed(unhex(v.seed))).address);
  });

test('a transaction with a byte too many, a byte too few or an unknown kind does not decode', async () => {
  const raw = unhex(transactions[0].raw);
  await assert.rejects(decodeTransaction(Uint8Array.of(...raw, 0)), /1 bytes follow/);
  await assert.rejects(decodeTransaction(raw.subarray(0, raw.length - 1)), /ends inside its signature/);
  const unknown = raw.slice(); unknown[1] = 11;
  await assert.rejects(decodeTransaction(unknown), /unknown transaction kind 11/);
});

for (const v of headers)
  test(`the ${v.engine} header's JSON encodes to the published header bytes and hash`, async () => {
    const b = headerBytes(v);
    assert.equal(hex(b), v.encoded);
    assert.equal(hex(await sha256(b)), v.hash);
  });

test('an evidence payload is the two headers, each length-prefixed, whether given as JSON or as bytes', () => {
  const [a, b] = headers, len = n => (n / 2).toString(16).padStart(8, '0');
  const expected = len(a.encoded.length) + a.encoded + len(b.encoded.length) + b.encoded;
  assert.equal(hex(evidencePayload(a, b)), expected);
  assert.equal(hex(evidencePayload(unhex(a.encoded), unhex(b.encoded))), expected);
  assert.equal(hex(evidence(a, b).payload), expected);
});

test('the kind builders put each kind\'s fields where the published vectors have them', async () => {
  for (const v of transactions) {
    const body = v.kind === 1 ? transfer(v.to, v.amount) : v.kind === 2 ? stake(v.amount) : v.kind === 6 ? authorityChange(v.payload.startsWith('01') ? 'add' : 'remove', v.payload.slice(2)) : null;
    assert.ok(body, `no builder checked for kind ${v.kind}`);
    const t = await signTransaction(await keyFromSeed(unhex(v.seed)), { ...body, chainId: v.chainId, nonce: v.nonce, fee: v.fee });
    assert.equal(t.rawHex, v.raw, v.name);
  }
});

for (const v of merkle) {
  test(`the Merkle root of ${v.items.length} item(s) is the published one`, async () => {
    assert.equal(hex(await merkleRoot(v.items.map(unhex))), v.root);
  });
  if (!v.proof) continue;
  const { index, leafCount } = v.proof, item = v.items[index];
  test(`the inclusion proof of item ${index} of ${leafCount} leads to the root`, async () => {
    assert.equal(await verifyInclusion(item, v.proof, v.root), true);
  });
  if (v.proof.path.length > 0)
    test(`the inclusion proof of item ${index} of ${leafCount} fails with a changed hash or an extra one`, async () => {
      const flipped = { ...v.proof, path: v.proof.path.map((p, i) => i === 0 ? p.replace(/^./, c => c === '0' ? '1' : '0') : p) };
      assert.equal(await verifyInclusion(item, flipped, v.root), false);
      assert.equal(await verifyInclusion(item, { ...v.proof, path: [...v.proof.path, v.root] }, v.root), false);
    });
}

for (const p of proofs) {
  const proof = { key: p.key, siblings: p.siblings, leafKey: p.leafKey, leafValue: p.leafValue, stateRoot: p.root };
  const kind = p.present ? 'a present account' : p.leafKey ? 'an absent account (another leaf on its path)' : 'an absent account (an empty branch)';
  test(`the state proof of ${kind} leads to the state root (${p.address})`, async () => {
    const r = await verifyState(p.address, proof, p.present ? unhex(p.valueHash) : null);
    assert.equal(r.ok, true, r.why);
  });
  if (!p.present) continue;
  test(`the value hash of an account comes from its fields and data, as the account page computes it (${p.address})`, async () => {
    const b = unhex(p.accountBytes);
    const data = b.length > 24 ? b.subarray(28) : null;
    assert.equal(hex(await accountValueHash(readU64(b, 0), readU64(b, 8), readU64(b, 16), data)), p.valueHash);
  });
  test(`the state proof of an account fails for a different value (${p.address})`, async () => {
    assert.equal((await verifyState(p.address, proof, await sha256(unhex('00')))).ok, false);
  });
  test(`an account's own leaf is no proof of its absence (${p.address})`, async () => {
    const r = await verifyState(p.address, proof, null);
    assert.equal(r.ok, false);
    assert.match(r.why, /own leaf/);
    // Nor does verifyAccountProof take the account for an empty one when the answer shows zeros.
    const zeros = { address: p.address, balance: '0', nonce: '0', stake: '0', data: '', proof: { ...proof, height: 1 } };
    assert.equal((await verifyAccountProof(zeros)).ok, false);
  });
  test(`verifyAccountProof checks the account's data as well as its balance, nonce and stake (${p.address})`, async () => {
    const b = unhex(p.accountBytes);
    const account = { address: p.address, balance: readU64(b, 0), nonce: readU64(b, 8), stake: readU64(b, 16), data: b.length > 24 ? hex(b.subarray(28)) : '', proof: { ...proof, height: 1 } };
    const r = await verifyAccountProof(account, { stateRoot: p.root, height: 1 });
    assert.equal(r.ok, true, r.why);
    assert.equal((await verifyAccountProof({ ...account, data: account.data ? '' : '43' + '00'.repeat(32) })).ok, false);
  });
}

test('a proof of absence that ends at another leaf without its value is refused', async () => {
  const p = proofs.find(q => !q.present && q.leafKey);
  for (const leafValue of [undefined, null, '']) {
    const r = await verifyState(p.address, { key: p.key, siblings: p.siblings, leafKey: p.leafKey, leafValue, stateRoot: p.root }, null);
    assert.equal(r.ok, false);
    assert.match(r.why, /no 32-byte value/);
  }
});

/** Which layout a contract vector holds: a value, a deploy or invoke payload, or a contract address. */
function contractKind(v) { return 'value' in v ? 'value' : v.kind === 'deploy' || v.kind === 'invoke' ? v.kind : 'address'; }

for (const v of contracts)
  test(`the contract vector '${v.name}' comes out as published`, async () => {
    switch (contractKind(v)) {
      case 'value': assert.equal(hex(contractValue(v.value)), v.encoded); break;
      case 'deploy': assert.equal(hex(deployPayload(v.gasLimit, v.code, v.args)), v.payload); break;
      case 'invoke': assert.equal(hex(invokePayload(v.gasLimit, v.function, v.args)), v.payload); break;
      default: assert.equal(await contractAddress(v.deployer, v.nonce), v.contract);
    }
  });

const refOf = r => ({ cid: r.cid, size: r.size, name: r.fileName, mediaType: r.mediaType });
for (const v of refs)
  test(`the file ref '${v.name}' has the published CID bytes and encoding`, () => {
    assert.equal(hex(cidBytes(v.cid)), v.cidBytes);
    assert.equal(hex(fileRef(refOf(v))), v.ref);
  });

for (const v of anchors)
  test(`the anchor '${v.name}' has the published payload and files root`, async () => {
    const picked = v.refs.map(i => refOf(refs[i]));
    assert.equal(hex(anchorPayload(picked)), v.payload);
    assert.equal(hex(await merkleRoot(await Promise.all(picked.map(r => sha256(fileRef(r)))))), v.filesRoot);
  });

const finality = load('finality');
for (const v of finality.filter(v => v.kind === 'finality-proof'))
  test(`the finality proof '${v.name}' is ${v.valid ? 'accepted' : 'refused'} by verifyFinality, and with a flipped signature bit refused`, async () => {
    const trusted = { chainId: v.chainId, interval: v.interval, anchor: v.anchor };
    const verdict = await verifyFinality(v.proof, trusted);
    assert.equal(verdict.ok, v.valid, verdict.why);
    const tampered = unhex(v.proof); tampered[tampered.length - 1] ^= 1;
    assert.equal((await verifyFinality(tampered, trusted)).ok, false);
    if (v.valid) assert.equal((await verifyFinality({ proof: v.proof }, { ...trusted, chainId: 'another' })).ok, false);
  });
for (const v of finality.filter(v => v.kind === 'evidence'))
  test(`the vote evidence '${v.name}' is the payload of a voteEvidence transaction and its votes decode with valid signatures`, async () => {
    assert.equal(hex(voteEvidence(v.first, v.second).payload), v.payload);
    for (const raw of [v.first, v.second]) assert.equal((await decodeVote(unhex(raw))).signatureValid, true);
  });

test('the type declarations name every export of the package and nothing more', () => {
  const declared = new Set([...readFileSync(join(here, '../index.d.ts'), 'utf8').matchAll(/^export (?:function|const|class|interface|type) (\w+)/gm)].map(m => m[1]));
  const runtime = Object.keys(client);
  assert.ok(runtime.length > 40, `only ${runtime.length} exports`);
  for (const name of runtime) assert.ok(declared.has(name), `index.d.ts does not declare ${name}`);
  const types = new Set(['U64', 'Hex', 'Address', 'Key', 'KeyFile', 'KindName', 'TransactionBody', 'TransactionFields', 'SignedTransaction',
    'DecodedTransaction', 'FileRef', 'HeaderJson', 'ContractValue', 'Verdict', 'MerkleProof', 'StateProof', 'RequestOptions', 'Account',
    'TransactionStatus', 'ChainEvent', 'ClientOptions', 'CheckpointJson']);
  for (const name of declared) assert.ok(runtime.includes(name) || types.has(name), `index.d.ts declares ${name}, which index.js does not export`);
});

// Key files: what the client writes, the same code reads back; a wrong password is refused as the CLI says it.
const key = await keyFromSeed(unhex(keys[0].seed));
const file = await encryptKey(key, 'correct horse', 'browser');

test('a key file the client writes names its address and opens again with its password', async () => {
  assert.equal(file.address, key.address);
  assert.equal(hex((await decryptKey(JSON.stringify(file), 'correct horse')).seed), hex(key.seed));
});

test('a key file refuses a wrong password in the CLI\'s words', async () => {
  await assert.rejects(decryptKey(file, 'wrong'), { message: 'wrong password (or the key file was altered)' });
});

// The C# suite checks the addresses these two report: the CLI's key file's, and the one it then opens.
test('a key file the CLI wrote opens in the client', { skip: cliKeyFile ? false : 'no CLI key file given' }, async t => {
  const cli = await decryptKey(readFileSync(cliKeyFile, 'utf8'), password);
  assert.match(cli.address, /^cl/);
  t.diagnostic(`cli key file: ${cli.address}`);
});

test('the client writes a key file for the CLI to open', { skip: clientKeyFile ? false : 'no file to write given' }, async t => {
  writeFileSync(clientKeyFile, JSON.stringify(await encryptKey(key, password, 'from the JavaScript client'), null, 2));
  assert.equal((await decryptKey(readFileSync(clientKeyFile, 'utf8'), password)).address, key.address);
  t.diagnostic(`client key file: ${key.address}`);
});

// One signed transaction of every kind, with the inputs it was built from: the C# suite rebuilds each with the C#
// encoders and Transaction.Create from the same seed and compares the bytes (Ed25519 signatures are deterministic).
test('the client signs a transaction of every kind for the C# codec to rebuild', { skip: kindsFile ? false : 'no file to write given' }, async t => {
  const k = await keyFromSeed(unhex(keys[0].seed));
  const to = keys[1].address, [a, b] = headers;
  const fileRefs = refs.slice(0, 2).map(refOf);
  const cases = [
    { inputs: { to, amount: 250 }, body: transfer(to, 250) },
    { inputs: { amount: 5000 }, body: stake(5000) },
    { inputs: { amount: '18446744073709551615' }, body: unstake(18446744073709551615n) },
    { inputs: { gasLimit: 200000, code: 'function init(n) storage.n = n end', args: '[7, "seven", {"a": true}]', amount: 3 },
      body: deploy(200000, 'function init(n) storage.n = n end', [7, 'seven', { a: true }], 3) },
    { inputs: { to, gasLimit: 50000, function: 'add', args: '[1, [2, 3]]', amount: 0 }, body: invoke(to, 50000, 'add', [1, [2, 3]]) },
    { inputs: { op: 'remove', key: keys[1].publicKey }, body: authorityChange('remove', keys[1].publicKey) },
    { inputs: { first: a.encoded, second: b.encoded }, body: evidence(a, b) },
    { inputs: { files: fileRefs }, body: fileAnchor(fileRefs) },
    { inputs: { votes: load('finality').filter(v => v.kind === 'vote').slice(0, 2).map(v => v.raw) },
      body: vote(load('finality').filter(v => v.kind === 'vote').slice(0, 2).map(v => v.raw)) },
    { inputs: { first: load('finality').find(v => v.kind === 'evidence').first, second: load('finality').find(v => v.kind === 'evidence').second },
      body: voteEvidence(load('finality').find(v => v.kind === 'evidence').first, load('finality').find(v => v.kind === 'evidence').second) },
  ];
  const out = [];
  for (const [i, c] of cases.entries()) {
    const signed = await signTransaction(k, { ...c.body, chainId: 'chainlab-kinds', nonce: i, fee: 10 + i });
    const back = await decodeTransaction(signed.raw);
    assert.equal(back.kind, KIND_NAMES[i + 1], 'the kinds come in their numbers\' order');
    out.push({ kind: back.kind, nonce: i, fee: 10 + i, ...c.inputs, raw: signed.rawHex, hash: signed.hash });
  }
  writeFileSync(kindsFile, JSON.stringify({ seed: keys[0].seed, chainId: 'chainlab-kinds', transactions: out }, null, 2));
  t.diagnostic(`kinds written: ${out.map(x => x.kind).join(' ')}`);
});
