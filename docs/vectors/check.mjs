// An independent client check, written from docs/protocol.md alone (no C# involved): it recomputes the
// published vectors with Node.js's own SHA-256 and Ed25519. Run: node --test docs/vectors/check.mjs (or plain node):
// one test per vector, and a non-zero exit if any fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
// The test suite (ProtocolVectorTests) looks for this line besides the exit code.
process.on('exit', code => { if (code === 0) console.log('all vectors match'); });

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

test('every kind of vector is published, so none of the tests below passes for want of vectors', () => {
  for (const name of ['keys', 'transactions', 'headers', 'genesis', 'merkle', 'state', 'frames', 'contracts', 'files']) assert.ok(load(name).length > 0, `no ${name} vectors`);
  for (const engine of ['poa', 'pos', 'pow']) {
    assert.ok(load('headers').some(v => v.engine === engine), `no ${engine} header`);
    assert.ok(load('genesis').some(v => v.spec.consensus.engine === engine), `no ${engine} genesis`);
  }
  assert.ok(load('merkle').some(v => v.proof?.path.length > 0), 'no Merkle proof with a path');
  const proofs = load('state').flatMap(v => v.proofs);
  assert.ok(proofs.some(p => p.present), 'no state proof of a present account');
  assert.ok(proofs.some(p => !p.present && p.leafKey), 'no state proof of an absent account with another leaf on its path');
  assert.ok(proofs.some(p => !p.present && !p.leafKey), 'no state proof of an absent account in an empty branch');
  assert.ok(load('files').some(v => v.cid) && load('files').some(v => v.refs), 'no file ref or no anchor');
});

for (const [i, v] of load('keys').entries())
  test(`the public key, address bytes and address text of key ${i + 1} follow from its seed (${v.address})`, () => {
    const pub = publicFromSeed(unhex(v.seed));
    assert.equal(hex(pub), v.publicKey);
    assert.equal(hex(addressBytes(pub)), v.addressBytes);
    assert.equal(addressText(addressBytes(pub)), v.address);
  });

for (const v of load('transactions'))
  test(`the unsigned bytes, signing bytes, signature, raw bytes, hash and sender of the '${v.name}' transaction follow from its fields`, () => {
    const seed = unhex(v.seed), pub = publicFromSeed(seed);
    const to = v.to ? parseAddress(v.to) : Buffer.alloc(20);
    const unsigned = Buffer.concat([u8(1), u8(v.kind), text(v.chainId), pub, u64(v.nonce), u64(v.fee), to, u64(v.amount), bytes(unhex(v.payload))]);
    assert.equal(hex(unsigned), v.unsignedBytes);
    const signing = Buffer.concat([Buffer.from('chainlab/tx/v1', 'ascii'), unsigned]);
    assert.equal(hex(signing), v.signingBytes);
    const signature = sign(null, signing, privateKey(seed, pub));
    assert.equal(hex(signature), v.signature);
    assert.equal(verify(null, signing, publicKey(pub), signature), true);
    const raw = Buffer.concat([unsigned, signature]);
    assert.equal(hex(raw), v.raw);
    assert.equal(hex(sha256(raw)), v.hash);
    assert.equal(addressText(addressBytes(pub)), v.sender);
  });

// Edwards25519 in BigInt (RFC 8032 §5.1, extended coordinates), for the proof-of-stake VRF.
const P = 2n ** 255n - 19n, L = 2n ** 252n + 27742317777372353535851937790883648493n;
const mod = a => ((a % P) + P) % P;
const pow = (b, e) => { let r = 1n; b = mod(b); for (; e > 0n; e >>= 1n, b = b * b % P) if (e & 1n) r = r * b % P; return r; };
const inv = a => pow(a, P - 2n);
const D = mod(-121665n * inv(121666n)), SQRT_M1 = pow(2n, (P - 1n) / 4n);
const le = b => BigInt('0x' + (hex(Buffer.from(b).reverse()) || '0'));
const IDENTITY = [0n, 1n, 1n, 0n];
const add = ([X1, Y1, Z1, T1], [X2, Y2, Z2, T2]) => {
  const A = mod((Y1 - X1) * (Y2 - X2)), B = mod((Y1 + X1) * (Y2 + X2)), C = mod(2n * D * T1 * T2), DD = mod(2n * Z1 * Z2);
  const E = B - A, F = DD - C, G = DD + C, H = B + A;
  return [mod(E * F), mod(G * H), mod(F * G), mod(E * H)];
};
const negate = ([X, Y, Z, T]) => [mod(-X), Y, Z, mod(-T)];
const mul = (n, p) => { let r = IDENTITY; for (let q = p; n > 0n; n >>= 1n, q = add(q, q)) if (n & 1n) r = add(r, q); return r; };
// A point from its 32 bytes, or null when they are not the canonical encoding of a curve point.
const decodePoint = b => {
  const bytes = Buffer.from(b), sign = bytes[31] >> 7;
  bytes[31] &= 0x7f;
  const y = le(bytes);
  if (y >= P) return null;
  const u = mod(y * y - 1n), v = mod(D * y * y + 1n);
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n));
  if (mod(v * x * x) !== u) { if (mod(v * x * x) !== mod(-u)) return null; x = mod(x * SQRT_M1); }
  if (x === 0n && sign) return null;
  if (Number(x & 1n) !== sign) x = P - x;
  return [x, y, 1n, mod(x * y)];
};
const encodePoint = ([X, Y, Z]) => {
  const zi = inv(Z), x = mod(X * zi), out = Buffer.from(mod(Y * zi).toString(16).padStart(64, '0'), 'hex').reverse();
  out[31] |= Number(x & 1n) << 7;
  return out;
};
const BASE = decodePoint(unhex('5866666666666666666666666666666666666666666666666666666666666666'));
const sha512 = (...parts) => createHash('sha512').update(Buffer.concat(parts.map(p => Buffer.from(p)))).digest();
// ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381, suite 0x03): beta (64 bytes) when the proof verifies, else null.
const vrfVerify = (publicKey, proof, alpha) => {
  const Y = decodePoint(publicKey), Gamma = decodePoint(proof.subarray(0, 32)), c = le(proof.subarray(32, 48)), s = le(proof.subarray(48, 80));
  if (!Y || !Gamma || s >= L) return null;
  let H = null;
  for (let ctr = 0; ctr < 256 && !H; ctr++) {
    const candidate = decodePoint(sha512(u8(3), u8(1), publicKey, alpha, u8(ctr), u8(0)).subarray(0, 32));
    if (candidate && !encodePoint(mul(8n, candidate)).equals(encodePoint(IDENTITY))) H = mul(8n, candidate);
  }
  if (!H) return null;
  const U = add(mul(s, BASE), negate(mul(c, Y))), V = add(mul(s, H), negate(mul(c, Gamma)));
  const challenge = sha512(u8(3), u8(2), publicKey, encodePoint(H), proof.subarray(0, 32), encodePoint(U), encodePoint(V), u8(0)).subarray(0, 16);
  return challenge.equals(proof.subarray(32, 48)) ? sha512(u8(3), u8(3), encodePoint(mul(8n, Gamma)), u8(0)) : null;
};

for (const v of load('headers'))
  test(`the sealing bytes, seal, encoding and block hash of the '${v.name}' header follow from its fields`, () => {
    const seed = unhex(v.seed), pub = publicFromSeed(seed);
    assert.equal(hex(pub), v.producer);
    // Proof of stake: a block's timestamp is the start of its slot.
    if (v.engine === 'pos') assert.equal(String(BigInt(v.genesisTimeMs) + BigInt(v.slot) * BigInt(v.blockTimeMs)), String(v.timestampMs));
    const unsealed = Buffer.concat([u8(1), u64(v.height), unhex(v.parent), u64(v.timestampMs), pub, unhex(v.txRoot), unhex(v.stateRoot), unhex(v.filesRoot), u32(v.txCount)]);
    const sealing = Buffer.concat([Buffer.from('chainlab/header/v1', 'ascii'), unsealed]);
    assert.equal(hex(sealing), v.sealingBytes);
    let seal;
    switch (v.engine) {
      case 'poa': seal = sign(null, sealing, privateKey(seed, pub)); break;
      case 'pos': {
        const alpha = Buffer.concat([Buffer.from('chainlab/pos/slot', 'ascii'), unhex(v.epochRandomness), u64(v.slot)]);
        assert.equal(hex(alpha), v.vrfInput);
        const beta = vrfVerify(pub, unhex(v.vrfProof), alpha);
        assert.ok(beta, 'the VRF proof verifies');
        assert.equal(hex(beta), v.vrfOutput);
        let threshold = 2n ** 64n * BigInt(v.activeSlotsPpm) * BigInt(v.snapshotStake) / (1000000n * BigInt(v.totalStake));
        if (threshold > 2n ** 64n - 1n) threshold = 2n ** 64n - 1n;
        assert.equal(String(threshold), String(v.threshold));
        assert.equal(beta.readBigUInt64BE(0) < threshold, v.wins);
        const prefix = Buffer.concat([u64(v.snapshotStake), unhex(v.vrfProof)]);
        const signed = Buffer.concat([sealing, prefix]);
        assert.equal(hex(signed), v.signedBytes);
        seal = Buffer.concat([prefix, sign(null, signed, privateKey(seed, pub))]);
        break;
      }
      case 'pow': {
        const prefix = Buffer.concat([u64(v.difficulty), u64(v.windowStartMs)]);
        const workHeader = sha256(sealing, prefix);
        assert.equal(hex(workHeader), v.workHeader);
        const target = BigInt(v.difficulty) <= 1n ? 2n ** 64n - 1n : (2n ** 64n - 1n) / BigInt(v.difficulty);
        assert.equal(String(target), String(v.target));
        const work = n => sha256(sha256(workHeader, u64(n)));
        let nonce = 0n;
        while (work(nonce).readBigUInt64BE(0) >= target) nonce++;
        assert.equal(String(nonce), String(v.nonce), 'the smallest nonce that meets the target');
        assert.equal(hex(work(nonce)), v.work);
        seal = Buffer.concat([prefix, u64(nonce)]);
        break;
      }
      default: assert.fail(`no seal for engine ${v.engine}`);
    }
    assert.equal(hex(seal), v.seal);
    const encoded = Buffer.concat([unsealed, bytes(seal)]);
    assert.equal(hex(encoded), v.encoded);
    assert.equal(hex(sha256(encoded)), v.hash);
  });

// Genesis (docs/protocol.md): seal = H(canonical spec bytes); state = alloc, then the engine's system account.
const specBytes = spec => {
  const c = spec.consensus, k = spec.contracts;
  const parts = [text('chainlab/spec/v1'), text(spec.chainId), u64(spec.genesisTimeMs), u64(spec.blockTimeMs), text(c.engine),
    u32(c.authorities.length), ...c.authorities.map(text), text(c.admin ?? '')];
  if (c.engine === 'poa') parts.push(u64(c.activationDelay), u64(c.takeoverMs));
  if (c.engine === 'pow') parts.push(u64(c.initialDifficulty), u64(c.retargetInterval));
  if (c.engine === 'pos') parts.push(u32(c.validators.length), ...c.validators.flatMap(v => [text(v.key.toLowerCase()), u64(v.stake)]),
    ...[c.epochSlots, c.activeSlotsPpm, c.bondingEpochs, c.unbondingBlocks, c.slashPpm, c.reporterPpm].map(u64));
  parts.push(u64(spec.blockReward), u64(spec.minFee), u8({ producer: 0, burn: 1 }[spec.feePolicy]), u32(spec.maxBlockTransactions), u64(spec.inclusionDelay),
    u8(k.enabled ? 1 : 0), u64(k.gasPrice), u64(k.maxGas), u64(k.blockGas), u64(k.memoryBytes), u32(k.callDepth), u32(k.codeBytes), u32(k.valueBytes), u32(k.events));
  const alloc = Object.entries(spec.alloc).map(([a, b]) => [parseAddress(a), b]).sort((x, y) => Buffer.compare(x[0], y[0]));
  return Buffer.concat([...parts, u32(alloc.length), ...alloc.flatMap(([a, b]) => [a, u64(b)])]);
};
const accountBytes = a => Buffer.concat([u64(a.balance), u64(a.nonce), u64(a.stake), a.data?.length ? bytes(a.data) : Buffer.alloc(0)]);
const systemAccount = tag => sha256(Buffer.from(tag, 'ascii')).subarray(0, 20);
const genesisAccounts = spec => {
  const accounts = new Map(), c = spec.consensus;
  const get = a => accounts.get(hex(a)) ?? { address: a, balance: 0n, nonce: 0n, stake: 0n, data: null };
  for (const [a, b] of Object.entries(spec.alloc)) accounts.set(hex(parseAddress(a)), { ...get(parseAddress(a)), balance: BigInt(b) });
  if (c.engine === 'poa') {
    const record = Buffer.concat([c.admin ? unhex(c.admin) : Buffer.alloc(32), u32(c.authorities.length), ...c.authorities.map(unhex), u32(0)]);
    accounts.set(hex(systemAccount('chainlab/system/authorities')), { ...get(systemAccount('chainlab/system/authorities')), data: record });
  }
  if (c.engine === 'pos') {
    const staked = c.validators.filter(v => BigInt(v.stake) > 0n).map(v => ({ key: unhex(v.key), stake: BigInt(v.stake) }));
    for (const v of staked) { const a = addressBytes(v.key), old = get(a); accounts.set(hex(a), { ...old, stake: old.stake + v.stake }); }
    const seed = sha256(Buffer.from('chainlab/pos/genesis', 'ascii'), Buffer.from(spec.chainId, 'utf8'));
    const record = Buffer.concat([u64(0), seed, seed, u32(staked.length), ...staked.flatMap(v => [v.key, u64(v.stake)]),
      u32(staked.length), ...[...staked].sort((x, y) => Buffer.compare(x.key, y.key)).flatMap(v => [v.key, u64(v.stake), u32(0), u32(0)]), u32(0)]);
    accounts.set(hex(systemAccount('chainlab/system/validators')), { ...get(systemAccount('chainlab/system/validators')), data: record });
  }
  return [...accounts.values()].filter(a => a.balance || a.nonce || a.stake || a.data?.length)
    .map(a => ({ address: addressText(a.address), key: hex(sha256(a.address)), accountBytes: hex(accountBytes(a)) }))
    .sort((x, y) => x.key < y.key ? -1 : 1);
};
const bitOf = (key, i) => (key[i >> 3] >> (7 - (i & 7))) & 1;
const stateRoot = (leaves, depth = 0) => leaves.length === 0 ? Buffer.alloc(32)
  : leaves.length === 1 ? sha256(u8(0), leaves[0].key, leaves[0].valueHash)
  : sha256(u8(1), stateRoot(leaves.filter(l => !bitOf(l.key, depth)), depth + 1), stateRoot(leaves.filter(l => bitOf(l.key, depth)), depth + 1));
for (const v of load('genesis'))
  test(`the ${v.name.split(':')[0]} follows from its chain spec: canonical bytes, seal, accounts, state root, header and hash`, () => {
    const canonical = specBytes(v.spec);
    assert.equal(hex(canonical), v.canonicalSpec);
    assert.equal(hex(sha256(canonical)), v.seal);
    const accounts = genesisAccounts(v.spec);
    assert.deepEqual(accounts, v.accounts);
    const root = stateRoot(accounts.map(a => ({ key: unhex(a.key), valueHash: sha256(unhex(a.accountBytes)) })));
    assert.equal(hex(root), v.stateRoot);
    const header = Buffer.concat([u8(1), u64(0), Buffer.alloc(32), u64(v.spec.genesisTimeMs), Buffer.alloc(32), Buffer.alloc(32), root, Buffer.alloc(32), u32(0), bytes(sha256(canonical))]);
    assert.equal(hex(header), v.encoded);
    assert.equal(hex(sha256(header)), v.hash);
  });

const leaf = item => sha256(u8(0), item);
const node = (l, r) => sha256(u8(1), l, r);
for (const v of load('merkle')) {
  test(`the Merkle tree of ${v.items.length} item(s) has the published leaf hashes and root`, () => {
    let level = v.items.map(i => leaf(unhex(i)));
    assert.deepEqual(level.map(hex), v.leafHashes);
    if (level.length === 0) { assert.equal(hex(Buffer.alloc(32)), v.root, 'the root of no items is 32 zero bytes'); return; }
    while (level.length > 1) {
      const next = [];
      for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? node(level[i], level[i + 1]) : level[i]);
      level = next;
    }
    assert.equal(hex(level[0]), v.root);
  });
  if (v.proof)
    test(`the inclusion proof of item ${v.proof.index} of ${v.proof.leafCount} leads to the root and uses its whole path`, () => {
      let h = leaf(unhex(v.items[v.proof.index])), n = v.proof.leafCount, pos = v.proof.index, used = 0;
      while (n > 1) {
        const sibling = pos ^ 1;
        if (sibling < n) { const s = unhex(v.proof.path[used++]); h = (pos & 1) === 0 ? node(h, s) : node(s, h); }
        n = Math.ceil(n / 2); pos >>= 1;
      }
      assert.equal(hex(h), v.root);
      assert.equal(used, v.proof.path.length);
    });
}

const bit = (key, i) => (key[i >> 3] >> (7 - (i & 7))) & 1;
for (const v of load('state'))
  for (const p of v.proofs) {
    const kind = p.present ? 'a present account' : p.leafKey ? 'an absent account (another leaf on its path)' : 'an absent account (an empty branch)';
    test(`the state proof of ${kind} leads from its key and leaf through its siblings to the state root (${p.address})`, () => {
      const key = sha256(parseAddress(p.address));
      assert.equal(hex(key), p.key);
      let h;
      if (p.present) {
        assert.equal(hex(sha256(unhex(p.accountBytes))), p.valueHash);
        assert.equal(p.leafKey, p.key, 'the leaf is the account\'s own');
        h = sha256(u8(0), key, unhex(p.valueHash));
      } else if (p.leafKey) {
        const other = unhex(p.leafKey);
        for (let i = 0; i < p.siblings.length; i++) assert.equal(bit(other, i), bit(key, i), `the other leaf shares the path (bit ${i})`);
        h = sha256(u8(0), other, unhex(p.leafValue));
      } else h = Buffer.alloc(32);
      for (let i = p.siblings.length - 1; i >= 0; i--) {
        const s = unhex(p.siblings[i]);
        h = bit(key, i) === 0 ? node(h, s) : node(s, h);
      }
      assert.equal(hex(h), v.root);
    });
  }

const frame = (type, body) => Buffer.concat([u8(type), u32(body.length), body]);
const u16 = v => { const b = Buffer.alloc(2); b.writeUInt16BE(v); return b; };
for (const v of load('frames'))
  test(`${v.message === 'Hello' ? 'the Hello frame and its HelloAck encode' : `the ${v.message} frame encodes`} as published`, () => {
    let f;
    switch (v.message) {
      case 'Ping': f = frame(3, u64(v.nonce)); break;
      case 'AnnounceBlock': f = frame(10, Buffer.concat([unhex(v.hash), u64(v.height)])); break;
      case 'GetBlocks': f = frame(11, Buffer.concat([u64(v.fromHeight), u32(v.count)])); break;
      case 'Disconnect': f = frame(13, Buffer.concat([u8(v.reason), text(v.detail)])); break;
      case 'Votes': f = frame(21, Buffer.concat([u32(v.votes.length), ...v.votes.map(x => bytes(unhex(x)))])); break;
      case 'Hello': {
        const key = publicFromSeed(unhex(v.seed));
        f = frame(1, Buffer.concat([u16(1), text(v.chainId), unhex(v.genesis), key, unhex(v.challenge), u16(v.listenPort), u64(v.bestHeight)]));
        const answerSeed = unhex(v.answerSeed), answerKey = publicFromSeed(answerSeed);
        const signed = Buffer.concat([Buffer.from('chainlab/p2p/handshake/v1', 'ascii'), unhex(v.challenge), answerKey, unhex(v.genesis)]);
        assert.equal(hex(frame(2, sign(null, signed, privateKey(answerSeed, answerKey)))), v.helloAckFrame);
        break;
      }
      default: assert.fail(`no layout for a ${v.message} frame`);
    }
    assert.equal(hex(f), v.frame);
  });

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
for (const v of load('contracts'))
  test(`the contract vector '${v.name}' comes out as published`, () => {
    if ('value' in v) assert.equal(hex(value(v.value)), v.encoded);
    else if (v.kind === 'deploy') assert.equal(hex(Buffer.concat([u64(v.gasLimit), bytes(Buffer.from(v.code, 'utf8')), values(v.args)])), v.payload);
    else if (v.kind === 'invoke') assert.equal(hex(Buffer.concat([u64(v.gasLimit), text(v.function), values(v.args)])), v.payload);
    else {
      const contract = sha256(Buffer.from('chainlab/deploy/', 'ascii'), parseAddress(v.deployer), u64(v.nonce)).subarray(0, 20);
      assert.equal(addressText(contract), v.contract);
      if (v.key) assert.equal(addressText(sha256(Buffer.from('chainlab/storage', 'ascii'), contract, Buffer.from(v.key, 'utf8')).subarray(0, 20)), v.slot);
    }
  });

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
// The CID of bytes as `ipfs add` makes it (docs/files.md), for a file of one chunk (at most 256 KiB) and a directory
// of such files. Protobuf: a field is its key varint (number << 3 | wire type) then a varint, or a length and bytes.
const varint = n => { const out = []; n = BigInt(n); do { out.push(Number(n & 0x7fn) | (n > 0x7fn ? 0x80 : 0)); n >>= 7n; } while (n > 0n); return Buffer.from(out); };
const pbBytes = (field, b) => Buffer.concat([varint(field << 3 | 2), varint(b.length), b]);
const pbVarint = (field, n) => Buffer.concat([varint(field << 3), varint(n)]);
const multihash = block => Buffer.concat([u8(0x12), u8(0x20), sha256(block)]);
const cidOf = (version, codec, block) => version === 0 ? multihash(block) : Buffer.concat([varint(1), varint(codec), multihash(block)]);
// v0: a dag-pb node whose Data is UnixFS {Type: File, Data: the bytes (left out when empty), filesize}; v1: the bytes as one raw block.
const fileBlock = (content, version) => version === 0
  ? pbBytes(1, Buffer.concat([pbVarint(1, 2), content.length ? pbBytes(2, content) : Buffer.alloc(0), pbVarint(3, content.length)]))
  : content;
const fileCid = (content, version) => cidOf(version, version === 0 ? 0x70 : 0x55, fileBlock(content, version));
// A directory: dag-pb links {Hash, Name, Tsize} sorted by the bytes of their names, then Data = UnixFS {Type: Directory}.
const directoryCid = (entries, version) => {
  const links = entries.map(e => ({ name: Buffer.from(e.name, 'utf8'), content: unhex(e.content) })).sort((x, y) => Buffer.compare(x.name, y.name))
    .map(e => pbBytes(2, Buffer.concat([pbBytes(1, fileCid(e.content, version)), pbBytes(2, e.name), pbVarint(3, fileBlock(e.content, version).length)])));
  return cidOf(version, 0x70, Buffer.concat([...links, pbBytes(1, pbVarint(1, 1))]));
};
const fileRef = v => Buffer.concat([bytes(cidBytes(v.cid)), u64(v.size), text(v.fileName), text(v.mediaType)]);
const fileVectors = load('files');
const refs = fileVectors.filter(v => v.cid);
for (const v of refs)
  test(`the file ref '${v.name}' names the CID of its content and has the published encoding and leaf item`, () => {
    assert.equal(hex(cidBytes(v.cid)), v.cidBytes);
    const made = v.directory ? directoryCid(v.directory, v.cidVersion) : fileCid(unhex(v.content), v.cidVersion);
    assert.equal(hex(made), v.cidBytes, 'the CID is the one its content gives');
    assert.equal(hex(fileRef(v)), v.ref);
    assert.equal(hex(sha256(fileRef(v))), v.leafItem);
  });
for (const v of fileVectors.filter(v => v.refs))
  test(`the anchor '${v.name}' has the published payload and files root`, () => {
    const picked = v.refs.map(i => fileRef(refs[i]));
    assert.equal(hex(Buffer.concat([u32(picked.length), ...picked.map(bytes)])), v.payload);
    // The files root is the transaction-root tree over the hashes of the refs.
    let level = picked.map(r => leaf(sha256(r)));
    while (level.length > 1) {
      const next = [];
      for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? node(level[i], level[i + 1]) : level[i]);
      level = next;
    }
    assert.equal(hex(level[0]), v.filesRoot);
  });

// Finality (protocol.md, "Finality votes and proofs"): votes, voter sets, evidence and proofs, read and checked
// from the layouts alone.
const finality = load('finality');
const checkpoint = c => Buffer.concat([u64(c.height), unhex(c.hash)]);
// A cursor over bytes for the decoders below; every read checks the length first.
const reader = buf => {
  let pos = 0;
  const take = n => { if (n < 0 || pos + n > buf.length) throw new Error('truncated'); const s = buf.subarray(pos, pos + n); pos += n; return s; };
  const r = {
    u8: () => take(1)[0], u32: () => take(4).readUInt32BE(0), u64: () => take(8).readBigUInt64BE(0), fixed: take,
    bytes: max => { const n = r.u32(); if (n > max) throw new Error('too long'); return take(n); },
    end: () => { if (pos !== buf.length) throw new Error('trailing bytes'); },
  };
  return r;
};
const decodeVote = raw => {
  const r = reader(raw);
  if (r.u8() !== 1) throw new Error('unknown vote version');
  const chainId = new TextDecoder('utf-8', { fatal: true }).decode(r.bytes(32));
  const source = { height: r.u64(), hash: hex(r.fixed(32)) }, target = { height: r.u64(), hash: hex(r.fixed(32)) };
  if (source.height >= target.height) throw new Error('the source is not below the target');
  const voter = r.fixed(32), signature = r.fixed(64);
  r.end();
  const signing = Buffer.concat([Buffer.from('chainlab/vote/v1', 'ascii'), raw.subarray(0, raw.length - 64)]);
  return { chainId, source, target, voter, signature, unsigned: hex(raw.subarray(0, raw.length - 64)), valid: verify(null, signing, publicKey(voter), signature) };
};
const readVoters = r => {
  const n = r.u32(), voters = new Map();
  let previous = null, total = 0n;
  if (n === 0) throw new Error('no voters');
  for (let i = 0; i < n; i++) {
    const key = hex(r.fixed(32)), weight = r.u64();
    if (previous !== null && key <= previous) throw new Error('voter keys are not ascending');
    if (weight === 0n) throw new Error('a weight is 0');
    voters.set(key, weight); total += weight; previous = key;
  }
  return { voters, total, count: n };
};
const sameHeightOrSurround = (a, b) =>
  a.target.height === b.target.height ? 'double-vote'
    : (a.source.height < b.source.height && b.target.height < a.target.height) || (b.source.height < a.source.height && a.target.height < b.target.height) ? 'surround-vote' : null;
// The verifier of protocol.md: null when the proof holds for this chain id, interval and trusted anchor.
const verifyFinalityProof = (raw, chainId, interval, anchor) => {
  const r = reader(raw);
  if (r.u8() !== 1) return 'unknown version';
  if (r.bytes(32).toString('utf8') !== chainId) return 'another chain';
  if (r.u64() !== BigInt(interval)) return 'another interval';
  const a = { height: r.u64(), hash: hex(r.fixed(32)) };
  if (a.height !== BigInt(anchor.height) || a.hash !== anchor.hash) return 'another anchor';
  const K = BigInt(interval), justified = new Map([[a.height, a.hash]]);
  const links = r.u32();
  if (links === 0) return 'no links';
  let last = null;
  for (let i = 0; i < links; i++) {
    const { voters, total, count } = readVoters(r);
    const n = r.u32();
    if (n === 0 || n > count) return `link ${i}: bad vote count`;
    const votes = Array.from({ length: n }, () => decodeVote(Buffer.from(r.bytes(213))));
    const { source, target } = votes[0], seen = new Set();
    let weight = 0n;
    for (const v of votes) {
      if (v.source.height !== source.height || v.source.hash !== source.hash || v.target.height !== target.height || v.target.hash !== target.hash) return `link ${i}: mixed links`;
      if (v.chainId !== chainId || seen.has(hex(v.voter)) || !voters.has(hex(v.voter)) || !v.valid) return `link ${i}: a bad vote`;
      seen.add(hex(v.voter)); weight += voters.get(hex(v.voter));
    }
    if (target.height % K !== 0n) return `link ${i}: target off the checkpoints`;
    if (justified.get(source.height) !== source.hash) return `link ${i}: source not justified`;
    if (!(weight * 3n > total * 2n)) return `link ${i}: ${weight} of ${total} is not more than two thirds`;
    if (justified.has(target.height) && justified.get(target.height) !== target.hash) return `link ${i}: two justified at one height`;
    justified.set(target.height, target.hash);
    last = { source, target };
  }
  r.end();
  return last.target.height === last.source.height + K ? null : 'the last link skips a checkpoint';
};

test('every kind of finality vector is published', () => {
  for (const kind of ['vote', 'voter-set', 'evidence', 'finality-proof']) assert.ok(finality.some(v => v.kind === kind), `no ${kind} vector`);
  assert.ok(finality.some(v => v.kind === 'finality-proof' && !v.valid), 'no finality proof that must fail');
});
for (const v of finality.filter(v => v.kind === 'vote'))
  test(`the bytes, signature and id of the vote '${v.name}' follow from its fields`, () => {
    const seed = unhex(v.seed), pub = publicFromSeed(seed);
    assert.equal(hex(pub), v.voterKey);
    const unsigned = Buffer.concat([u8(1), text(v.chainId), checkpoint(v.source), checkpoint(v.target), pub]);
    assert.equal(hex(unsigned), v.unsignedBytes);
    const signing = Buffer.concat([Buffer.from('chainlab/vote/v1', 'ascii'), unsigned]);
    assert.equal(hex(signing), v.signingBytes);
    const signature = sign(null, signing, privateKey(seed, pub));
    assert.equal(hex(signature), v.signature);
    const raw = Buffer.concat([unsigned, signature]);
    assert.equal(hex(raw), v.raw);
    assert.equal(hex(sha256(raw)), v.id);
    assert.equal(decodeVote(raw).valid, true);
  });
for (const v of finality.filter(v => v.kind === 'voter-set'))
  test(`the voter set '${v.name}' sorts by key and has the published bytes, id and two-thirds line`, () => {
    const sorted = [...v.voters].sort((a, b) => (a.key < b.key ? -1 : 1));
    const encoded = Buffer.concat([u32(sorted.length), ...sorted.map(x => Buffer.concat([unhex(x.key), u64(x.weight)]))]);
    assert.equal(hex(encoded), v.bytes);
    assert.equal(hex(sha256(Buffer.from('chainlab/voters/v1', 'ascii'), encoded)), v.id);
    const total = sorted.reduce((s, x) => s + BigInt(x.weight), 0n);
    assert.equal(total, BigInt(v.total));
    assert.equal(total * 2n / 3n + 1n, BigInt(v.supermajorityWeight));
    assert.equal(readVoters(reader(encoded)).total, total);
  });
for (const v of finality.filter(v => v.kind === 'evidence'))
  test(`the evidence '${v.name}' holds two validly signed votes of one voter that meet the published condition`, () => {
    const payload = Buffer.concat([bytes(unhex(v.first)), bytes(unhex(v.second))]);
    assert.equal(hex(payload), v.payload);
    const a = decodeVote(unhex(v.first)), b = decodeVote(unhex(v.second));
    assert.ok(a.valid && b.valid);
    assert.equal(hex(a.voter), hex(b.voter));
    assert.notEqual(a.unsigned, b.unsigned);
    assert.equal(sameHeightOrSurround(a, b), v.offence);
  });
for (const v of finality.filter(v => v.kind === 'finality-proof'))
  test(`the finality proof '${v.name}' is ${v.valid ? 'accepted' : 'refused'} by a verifier written from protocol.md`, () => {
    const raw = unhex(v.proof);
    assert.equal(verifyFinalityProof(raw, v.chainId, v.interval, v.anchor) === null, v.valid);
    // A flipped bit in any vote signature (the last 64 bytes of the proof) makes any proof fail.
    const tampered = Buffer.from(raw); tampered[tampered.length - 1] ^= 1;
    assert.notEqual(verifyFinalityProof(tampered, v.chainId, v.interval, v.anchor), null);
  });
