// The dashboard's own modules (the code the browser runs, on Node.js's WebCrypto) against the published
// protocol vectors: addresses, transactions and their signatures, Merkle roots and proofs, state proofs,
// contract payloads, file refs, and a key file round trip. Run: node tests/dashboard/vectors.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hex, unhex, sha256, parseJson, readU64 } from '../../src/Chainlab.Node/Dashboard/site/lib/bytes.js';
import { keyFromSeed, encryptKey, decryptKey, verify, parseAddress } from '../../src/Chainlab.Node/Dashboard/site/lib/keys.js';
import { signTransaction, contractValue, deployPayload, invokePayload, contractAddress, cidBytes, fileRef, anchorPayload } from '../../src/Chainlab.Node/Dashboard/site/lib/codec.js';
import { merkleRoot, verifyInclusion, verifyState, accountValueHash } from '../../src/Chainlab.Node/Dashboard/site/lib/proofs.js';

const here = dirname(fileURLToPath(import.meta.url));
const load = name => parseJson(readFileSync(join(here, '../../docs/vectors', `${name}.json`), 'utf8')).vectors;
let failures = 0;
const check = (what, got, want) => { if (got !== want) { failures++; console.error(`MISMATCH ${what}: got ${got}, want ${want}`); } };

for (const v of load('keys')) {
  const k = await keyFromSeed(unhex(v.seed));
  check('public key', hex(k.publicKey), v.publicKey);
  check('address', k.address, v.address);
  check('address bytes', hex(await parseAddress(v.address)), v.addressBytes);
}
let bad = 'none';
try { await parseAddress(load('keys')[0].address.slice(0, -1) + 'z'); } catch (e) { bad = e.message; }
check('a mistyped address is refused', bad.includes('checksum') || bad.includes('20 bytes'), true);
console.log('keys: checked');

for (const v of load('transactions')) {
  const k = await keyFromSeed(unhex(v.seed));
  const t = await signTransaction(k, { kind: v.kind, chainId: v.chainId, nonce: v.nonce, fee: v.fee, to: v.to || null, amount: v.amount, payload: unhex(v.payload) });
  check(`${v.name}: unsigned`, hex(t.unsigned), v.unsignedBytes);
  check(`${v.name}: signing`, hex(t.signing), v.signingBytes);
  check(`${v.name}: signature`, hex(t.signature), v.signature);
  check(`${v.name}: raw`, t.rawHex, v.raw);
  check(`${v.name}: hash`, t.hash, v.hash);
  check(`${v.name}: verifies`, await verify(k.publicKey, t.signing, t.signature), true);
}
console.log('transactions: checked');

for (const v of load('merkle')) {
  check('merkle root', hex(await merkleRoot(v.items.map(unhex))), v.root);
  if (v.proof) {
    check('merkle proof', await verifyInclusion(v.items[v.proof.index], v.proof, v.root), true);
    if (v.proof.path.length > 0) {
      const flipped = { ...v.proof, path: v.proof.path.map((p, i) => i === 0 ? p.replace(/^./, c => c === '0' ? '1' : '0') : p) };
      check('a changed proof fails', await verifyInclusion(v.items[v.proof.index], flipped, v.root), false);
      check('an extra hash fails', await verifyInclusion(v.items[v.proof.index], { ...v.proof, path: [...v.proof.path, v.root] }, v.root), false);
    }
  }
}
console.log('merkle: checked');

for (const v of load('state')) {
  for (const p of v.proofs) {
    const proof = { key: p.key, siblings: p.siblings, leafKey: p.leafKey, leafValue: p.leafValue, stateRoot: v.root };
    const r = await verifyState(p.address, proof, p.present ? unhex(p.valueHash) : null);
    check(`state proof for ${p.address}: ${r.why}`, r.ok, true);
    if (p.present) {
      // The value hash from the account's fields (and data, for a system account), as the account page computes it.
      const b = unhex(p.accountBytes);
      const data = b.length > 24 ? b.subarray(28) : null;
      check(`value hash of ${p.address}`, hex(await accountValueHash(readU64(b, 0), readU64(b, 8), readU64(b, 16), data)), p.valueHash);
      const other = await verifyState(p.address, proof, await sha256(unhex('00')));
      check('a different account value fails', other.ok, false);
    }
  }
}
console.log('state: checked');

for (const v of load('contracts')) {
  if ('value' in v) check(v.name, hex(contractValue(v.value)), v.encoded);
  else if (v.kind === 'deploy') check(v.name, hex(deployPayload(v.gasLimit, v.code, v.args)), v.payload);
  else if (v.kind === 'invoke') check(v.name, hex(invokePayload(v.gasLimit, v.function, v.args)), v.payload);
  else check(`${v.name}: contract`, await contractAddress(v.deployer, v.nonce), v.contract);
}
console.log('contracts: checked');

const files = load('files');
const refs = files.filter(v => v.cid);
for (const v of refs) {
  check(`${v.name}: cid bytes`, hex(cidBytes(v.cid)), v.cidBytes);
  check(`${v.name}: ref`, hex(fileRef({ cid: v.cid, size: v.size, name: v.fileName, mediaType: v.mediaType })), v.ref);
}
for (const v of files.filter(v => v.refs)) {
  const picked = v.refs.map(i => refs[i]).map(r => ({ cid: r.cid, size: r.size, name: r.fileName, mediaType: r.mediaType }));
  check(`${v.name}: payload`, hex(anchorPayload(picked)), v.payload);
  check(`${v.name}: files root`, hex(await merkleRoot(await Promise.all(picked.map(r => sha256(fileRef(r)))))), v.filesRoot);
}
console.log('files: checked');

// Key files: what the browser writes, the same code reads back; a wrong password is refused as the CLI says it.
const k = await keyFromSeed(unhex(load('keys')[0].seed));
const file = await encryptKey(k, 'correct horse', 'browser');
check('key file address', file.address, k.address);
check('key file round trip', hex((await decryptKey(JSON.stringify(file), 'correct horse')).seed), hex(k.seed));
let why = '';
try { await decryptKey(file, 'wrong'); } catch (e) { why = e.message; }
check('wrong password', why, 'wrong password (or the key file was altered)');
// A key file the CLI wrote (argv[2], password argv[3]) opens here too; argv[4]: where to write one for the CLI to open.
if (process.argv[2]) {
  const cli = await decryptKey(readFileSync(process.argv[2], 'utf8'), process.argv[3]);
  console.log(`cli key file: ${cli.address}`);
}
if (process.argv[4]) {
  writeFileSync(process.argv[4], JSON.stringify(await encryptKey(k, process.argv[3], 'from the browser code'), null, 2));
  console.log(`browser key file: ${k.address}`);
}
console.log('key files: checked');

if (failures > 0) { console.error(`${failures} mismatches`); process.exit(1); }
console.log('all vectors match');
