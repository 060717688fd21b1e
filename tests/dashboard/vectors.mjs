// The dashboard's own modules (the code the browser runs, on Node.js's WebCrypto) against the published
// protocol vectors: addresses, transactions and their signatures, Merkle roots and proofs, state proofs,
// contract payloads, file refs, and a key file round trip. Run: node --test tests/dashboard/vectors.mjs
// With arguments (node tests/dashboard/vectors.mjs CLI_KEY_FILE PASSWORD OUT_FILE, as the C# suite runs it), it also
// opens a key file the CLI wrote and writes one for the CLI to open; without them those two tests are skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hex, unhex, sha256, parseJson, readU64 } from '../../src/Chainlab.Node/Dashboard/site/lib/bytes.js';
import { keyFromSeed, encryptKey, decryptKey, verify, parseAddress } from '../../src/Chainlab.Node/Dashboard/site/lib/keys.js';
import { signTransaction, contractValue, deployPayload, invokePayload, contractAddress, cidBytes, fileRef, anchorPayload } from '../../src/Chainlab.Node/Dashboard/site/lib/codec.js';
import { merkleRoot, verifyInclusion, verifyState, accountValueHash } from '../../src/Chainlab.Node/Dashboard/site/lib/proofs.js';

const here = dirname(fileURLToPath(import.meta.url));
const load = name => parseJson(readFileSync(join(here, '../../docs/vectors', `${name}.json`), 'utf8')).vectors;
const keys = load('keys'), transactions = load('transactions'), merkle = load('merkle'), state = load('state');
const contracts = load('contracts'), files = load('files');
const refs = files.filter(v => v.cid), anchors = files.filter(v => v.refs);
const proofs = state.flatMap(v => v.proofs.map(p => ({ ...p, root: v.root })));
const [cliKeyFile, password, browserKeyFile] = process.argv.slice(2);

test('every kind of vector is published, so none of the tests below passes for want of vectors', () => {
  for (const [name, list] of Object.entries({ keys, transactions, merkle, proofs, refs, anchors })) assert.ok(list.length > 0, `no ${name} vectors`);
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
}

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

// Key files: what the browser writes, the same code reads back; a wrong password is refused as the CLI says it.
const key = await keyFromSeed(unhex(keys[0].seed));
const file = await encryptKey(key, 'correct horse', 'browser');

test('a key file the browser writes names its address and opens again with its password', async () => {
  assert.equal(file.address, key.address);
  assert.equal(hex((await decryptKey(JSON.stringify(file), 'correct horse')).seed), hex(key.seed));
});

test('a key file refuses a wrong password in the CLI\'s words', async () => {
  await assert.rejects(decryptKey(file, 'wrong'), { message: 'wrong password (or the key file was altered)' });
});

// The C# suite checks the addresses these two report: the CLI's key file's, and the one it then opens.
test('a key file the CLI wrote opens in the browser code', { skip: cliKeyFile ? false : 'no CLI key file given' }, async t => {
  const cli = await decryptKey(readFileSync(cliKeyFile, 'utf8'), password);
  assert.match(cli.address, /^cl/);
  t.diagnostic(`cli key file: ${cli.address}`);
});

test('the browser code writes a key file for the CLI to open', { skip: browserKeyFile ? false : 'no file to write given' }, async t => {
  writeFileSync(browserKeyFile, JSON.stringify(await encryptKey(key, password, 'from the browser code'), null, 2));
  assert.equal((await decryptKey(readFileSync(browserKeyFile, 'utf8'), password)).address, key.address);
  t.diagnostic(`browser key file: ${key.address}`);
});
