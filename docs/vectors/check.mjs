// An independent client check, written from docs/protocol.md alone (no C# involved): it recomputes the
// published vectors with Node.js's own SHA-256 and Ed25519. Run: node docs/vectors/check.mjs
// It prints one line per file and exits non-zero on the first mismatch.
import { createHash, createPublicKey, createPrivateKey, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// u64 values can exceed 2^53, which a JavaScript number cannot hold: long integers are read as strings
// (quoted before parsing) and used as BigInt.
const load = name => JSON.parse(readFileSync(join(here, `${name}.json`), 'utf8').replace(/(:\s*)(\d{16,})/g, '$1"$2"')).vectors;
const hex = b => Buffer.from(b).toString('hex');
const unhex = s => Buffer.from(s ?? '', 'hex');
const sha256 = (...parts) => createHash('sha256').update(Buffer.concat(parts.map(p => Buffer.from(p)))).digest();
const u8 = v => Buffer.from([v]);
const u32 = v => { const b = Buffer.alloc(4); b.writeUInt32BE(v); return b; };
const u64 = v => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(v)); return b; };
const bytes = b => Buffer.concat([u32(b.length), Buffer.from(b)]);
const text = s => bytes(Buffer.from(s, 'utf8'));
let failures = 0;
const check = (what, got, want) => { if (got !== want) { failures++; console.error(`MISMATCH ${what}: got ${got}, want ${want}`); } };

// Ed25519 from a 32-byte seed and a 32-byte public key, through JWK (RFC 8037).
const b64url = b => Buffer.from(b).toString('base64url');
const privateKey = (seed, pub) => createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64url(seed), x: b64url(pub) }, format: 'jwk' });
const publicKey = pub => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(pub) }, format: 'jwk' });
const publicFromSeed = seed => {
  // Derive the public key by signing with a PKCS#8 key built from the seed alone.
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const k = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  return Buffer.from(createPublicKey(k).export({ format: 'jwk' }).x, 'base64url');
};

// Base58 (Bitcoin alphabet) and the address text: "cl" + base58(address ‖ first 4 bytes of H(H(address))).
const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const base58 = buf => {
  let n = BigInt('0x' + (hex(buf) || '0')), out = '';
  while (n > 0n) { out = alphabet[Number(n % 58n)] + out; n /= 58n; }
  for (const byte of buf) { if (byte !== 0) break; out = '1' + out; }
  return out;
};
const addressBytes = pub => sha256(pub).subarray(0, 20);
const addressText = a => 'cl' + base58(Buffer.concat([a, sha256(sha256(a)).subarray(0, 4)]));
const parseAddress = t => {
  let n = 0n;
  for (const c of t.slice(2)) n = n * 58n + BigInt(alphabet.indexOf(c));
  const raw = Buffer.from(n.toString(16).padStart(48, '0'), 'hex');
  return raw.subarray(0, 20);
};

for (const v of load('keys')) {
  const pub = publicFromSeed(unhex(v.seed));
  check('public key', hex(pub), v.publicKey);
  check('address bytes', hex(addressBytes(pub)), v.addressBytes);
  check('address text', addressText(addressBytes(pub)), v.address);
}
console.log('keys: checked');

for (const v of load('transactions')) {
  const seed = unhex(v.seed), pub = publicFromSeed(seed);
  const to = v.to ? parseAddress(v.to) : Buffer.alloc(20);
  const unsigned = Buffer.concat([u8(1), u8(v.kind), text(v.chainId), pub, u64(v.nonce), u64(v.fee), to, u64(v.amount), bytes(unhex(v.payload))]);
  check(`${v.name}: unsigned`, hex(unsigned), v.unsignedBytes);
  const signing = Buffer.concat([Buffer.from('chainlab/tx/v1', 'ascii'), unsigned]);
  check(`${v.name}: signing bytes`, hex(signing), v.signingBytes);
  const signature = sign(null, signing, privateKey(seed, pub));
  check(`${v.name}: signature`, hex(signature), v.signature);
  check(`${v.name}: verifies`, verify(null, signing, publicKey(pub), signature), true);
  const raw = Buffer.concat([unsigned, signature]);
  check(`${v.name}: raw`, hex(raw), v.raw);
  check(`${v.name}: hash`, hex(sha256(raw)), v.hash);
  check(`${v.name}: sender`, addressText(addressBytes(pub)), v.sender);
}
console.log('transactions: checked');

for (const v of load('headers')) {
  const seed = unhex(v.seed), pub = publicFromSeed(seed);
  const unsealed = Buffer.concat([u8(1), u64(v.height), unhex(v.parent), u64(v.timestampMs), pub, unhex(v.txRoot), unhex(v.stateRoot), unhex(v.filesRoot), u32(v.txCount)]);
  const sealing = Buffer.concat([Buffer.from('chainlab/header/v1', 'ascii'), unsealed]);
  check('sealing bytes', hex(sealing), v.sealingBytes);
  const seal = sign(null, sealing, privateKey(seed, pub));
  check('seal', hex(seal), v.seal);
  const encoded = Buffer.concat([unsealed, bytes(seal)]);
  check('header bytes', hex(encoded), v.encoded);
  check('block hash', hex(sha256(encoded)), v.hash);
}
console.log('headers: checked');

const leaf = item => sha256(u8(0), item);
const node = (l, r) => sha256(u8(1), l, r);
for (const v of load('merkle')) {
  let level = v.items.map(i => leaf(unhex(i)));
  check('leaf hashes', level.map(hex).join(','), v.leafHashes.join(','));
  if (level.length === 0) { check('empty root', hex(Buffer.alloc(32)), v.root); continue; }
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? node(level[i], level[i + 1]) : level[i]);
    level = next;
  }
  check('merkle root', hex(level[0]), v.root);
  if (v.proof) {
    let h = leaf(unhex(v.items[v.proof.index])), n = v.proof.leafCount, pos = v.proof.index, used = 0;
    while (n > 1) {
      const sibling = pos ^ 1;
      if (sibling < n) { const s = unhex(v.proof.path[used++]); h = (pos & 1) === 0 ? node(h, s) : node(s, h); }
      n = Math.ceil(n / 2); pos >>= 1;
    }
    check('merkle proof', hex(h) === v.root && used === v.proof.path.length, true);
  }
}
console.log('merkle: checked');

const bit = (key, i) => (key[i >> 3] >> (7 - (i & 7))) & 1;
for (const v of load('state')) {
  for (const p of v.proofs) {
    const key = sha256(parseAddress(p.address));
    check('state key', hex(key), p.key);
    let h;
    if (p.present) {
      check('value hash', hex(sha256(unhex(p.accountBytes))), p.valueHash);
      check('leaf is ours', p.leafKey, p.key);
      h = sha256(u8(0), key, unhex(p.valueHash));
    } else if (p.leafKey) {
      const other = unhex(p.leafKey);
      for (let i = 0; i < p.siblings.length; i++) check('other leaf shares the path', bit(other, i), bit(key, i));
      h = sha256(u8(0), other, unhex(p.leafValue));
    } else h = Buffer.alloc(32);
    for (let i = p.siblings.length - 1; i >= 0; i--) {
      const s = unhex(p.siblings[i]);
      h = bit(key, i) === 0 ? node(h, s) : node(s, h);
    }
    check(`state proof for ${p.address}`, hex(h), v.root);
  }
}
console.log('state: checked');

const frame = (type, body) => Buffer.concat([u8(type), u32(body.length), body]);
const u16 = v => { const b = Buffer.alloc(2); b.writeUInt16BE(v); return b; };
for (const v of load('frames')) {
  let f;
  switch (v.message) {
    case 'Ping': f = frame(3, u64(v.nonce)); break;
    case 'AnnounceBlock': f = frame(10, Buffer.concat([unhex(v.hash), u64(v.height)])); break;
    case 'GetBlocks': f = frame(11, Buffer.concat([u64(v.fromHeight), u32(v.count)])); break;
    case 'Disconnect': f = frame(13, Buffer.concat([u8(v.reason), text(v.detail)])); break;
    case 'Hello': {
      const key = publicFromSeed(unhex(v.seed));
      f = frame(1, Buffer.concat([u16(1), text(v.chainId), unhex(v.genesis), key, unhex(v.challenge), u16(v.listenPort), u64(v.bestHeight)]));
      const answerSeed = unhex(v.answerSeed), answerKey = publicFromSeed(answerSeed);
      const signed = Buffer.concat([Buffer.from('chainlab/p2p/handshake/v1', 'ascii'), unhex(v.challenge), answerKey, unhex(v.genesis)]);
      check('HelloAck frame', hex(frame(2, sign(null, signed, privateKey(answerSeed, answerKey)))), v.helloAckFrame);
      break;
    }
  }
  check(`${v.message} frame`, hex(f), v.frame);
}
console.log('frames: checked');

// Contract values (docs/contracts.md): tag 0 nil, 1 false, 2 true, 3 i64, 4 bytes, 5 table (keys in order:
// integers ascending, strings bytewise, false, true). A JSON array is the table 1..n; an object has string keys.
const i64 = v => u64(BigInt.asUintN(64, BigInt(v)));
const value = v => {
  if (v === null) return u8(0);
  if (v === false) return u8(1);
  if (v === true) return u8(2);
  if (typeof v === 'number' || typeof v === 'bigint') return Buffer.concat([u8(3), i64(v)]);
  if (typeof v === 'string') return Buffer.concat([u8(4), bytes(Buffer.from(v, 'utf8'))]);
  const entries = Array.isArray(v)
    ? v.map((x, i) => [u8(3), i64(i + 1), x])
    : Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [Buffer.from(k, 'utf8'), x])
        .sort((p, q) => Buffer.compare(p[0], q[0])).map(([k, x]) => [u8(4), bytes(k), x]);
  return Buffer.concat([u8(5), u32(entries.length), ...entries.flatMap(([tag, key, x]) => [tag, key, value(x)])]);
};
const values = list => Buffer.concat([u32(list.length), ...list.map(value)]);
for (const v of load('contracts')) {
  if ('value' in v) check(v.name, hex(value(v.value)), v.encoded);
  else if (v.kind === 'deploy') check(v.name, hex(Buffer.concat([u64(v.gasLimit), bytes(Buffer.from(v.code, 'utf8')), values(v.args)])), v.payload);
  else if (v.kind === 'invoke') check(v.name, hex(Buffer.concat([u64(v.gasLimit), text(v.function), values(v.args)])), v.payload);
  else {
    const contract = sha256(Buffer.from('chainlab/deploy/', 'ascii'), parseAddress(v.deployer), u64(v.nonce)).subarray(0, 20);
    check(`${v.name}: contract`, addressText(contract), v.contract);
    if (v.key) check(`${v.name}: slot`, addressText(sha256(Buffer.from('chainlab/storage', 'ascii'), contract, Buffer.from(v.key, 'utf8')).subarray(0, 20)), v.slot);
  }
}
console.log('contracts: checked');

// File refs (docs/protocol.md, docs/files.md): a CID's binary form is its multihash (v0, base58btc text) or
// version ‖ codec ‖ multihash as varints (v1, 'b' + base32 lower-case text without padding).
const base32 = s => {
  const abc = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0, value = 0; const out = [];
  for (const c of s) { value = (value << 5) | abc.indexOf(c); bits += 5; if (bits >= 8) { out.push((value >>> (bits - 8)) & 0xff); bits -= 8; } }
  return Buffer.from(out);
};
const unbase58 = s => {
  let n = 0n;
  for (const c of s) n = n * 58n + BigInt(alphabet.indexOf(c));
  let h = n.toString(16); if (h.length % 2) h = '0' + h;
  return Buffer.concat([Buffer.alloc([...s].findIndex(c => c !== '1')), Buffer.from(h, 'hex')]);
};
const cidBytes = t => t.startsWith('Qm') ? unbase58(t) : base32(t.slice(1));
const fileRef = v => Buffer.concat([bytes(cidBytes(v.cid)), u64(v.size), text(v.fileName), text(v.mediaType)]);
const fileVectors = load('files');
const refs = fileVectors.filter(v => v.cid);
for (const v of refs) {
  check(`${v.name}: cid bytes`, hex(cidBytes(v.cid)), v.cidBytes);
  check(`${v.name}: ref`, hex(fileRef(v)), v.ref);
  check(`${v.name}: leaf item`, hex(sha256(fileRef(v))), v.leafItem);
}
for (const v of fileVectors.filter(v => v.refs)) {
  const picked = v.refs.map(i => fileRef(refs[i]));
  check(`${v.name}: payload`, hex(Buffer.concat([u32(picked.length), ...picked.map(bytes)])), v.payload);
  // The files root is the transaction-root tree over the hashes of the refs.
  let level = picked.map(r => leaf(sha256(r)));
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? node(level[i], level[i + 1]) : level[i]);
    level = next;
  }
  check(`${v.name}: files root`, hex(level[0]), v.filesRoot);
}
console.log('files: checked');

if (failures > 0) { console.error(`${failures} mismatches`); process.exit(1); }
console.log('all vectors match');
