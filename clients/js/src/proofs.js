// Merkle roots and proofs (docs/protocol.md, docs/api.md "Checking proofs offline"), checked with WebCrypto
// SHA-256: nothing here asks a node anything, so a proof checks the same wherever its parts came from.
import { u8, u64, bytes, unhex, hex, sha256 } from './bytes.js';
import { parseAddress, verify } from './keys.js';

const leaf = item => sha256(u8(0), item);
const node = (l, r) => sha256(u8(1), l, r);

/** RFC 6962-shaped root over items (transaction hashes, or hashes of file refs): 32 zero bytes when empty. */
export async function merkleRoot(items) {
  if (items.length === 0) return new Uint8Array(32);
  let level = await Promise.all(items.map(leaf));
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? node(level[i], level[i + 1]) : level[i]);
    level = await Promise.all(next);
  }
  return level[0];
}

/** Does proof {index, leafCount, path} lead from the transaction hash to root? Uses every hash exactly once. */
export async function verifyInclusion(txHashHex, proof, rootHex) {
  let h = await leaf(unhex(txHashHex)), n = proof.leafCount, pos = proof.index, used = 0;
  if (!(pos >= 0 && pos < n)) return false;
  while (n > 1) {
    const sibling = pos ^ 1;
    if (sibling < n) {
      if (used >= proof.path.length) return false;
      const s = unhex(proof.path[used++]);
      h = (pos & 1) === 0 ? await node(h, s) : await node(s, h);
    }
    n = Math.ceil(n / 2); pos >>= 1;
  }
  return used === proof.path.length && hex(h) === rootHex;
}

const bit = (key, i) => (key[i >> 3] >> (7 - (i & 7))) & 1;

/** An account's value hash: H(balance u64 ‖ nonce u64 ‖ stake u64), then its data as bytes when it has any (a contract: "C" ‖ code hash). */
export const accountValueHash = (balance, nonce, stake, data = null) =>
  sha256(u64(balance), u64(nonce), u64(stake), data ? bytes(data) : new Uint8Array(0));

/**
 * Checks a state proof ({key, siblings, leafKey, leafValue, stateRoot}) for an address. valueHash: the
 * account's expected value hash, or null to prove absence. Returns { ok, why }.
 */
export async function verifyState(address, proof, valueHash) {
  const key = await sha256(await parseAddress(address));
  if (hex(key) !== proof.key) return { ok: false, why: 'the proof is for another key' };
  if (proof.siblings.length > 256) return { ok: false, why: 'more than 256 siblings' };
  let h;
  if (valueHash) {
    if (proof.leafKey !== proof.key) return { ok: false, why: 'the path does not end at this account' };
    if (proof.leafValue !== hex(valueHash)) return { ok: false, why: 'the account in the proof differs from the one shown' };
    h = await sha256(u8(0), key, valueHash);
  } else if (proof.leafKey !== null && proof.leafKey !== undefined) {
    // Absence: the path ends at another account's leaf (or at an empty branch, below). The account's own leaf
    // proves it present, never absent; and another leaf is hashed with its value, which must be there.
    const other = unhex(proof.leafKey);
    if (other.length !== 32) return { ok: false, why: 'the other leaf\'s key is not 32 bytes' };
    if (hex(other) === hex(key)) return { ok: false, why: 'the path ends at this account\'s own leaf: it is present, not absent' };
    if (typeof proof.leafValue !== 'string' || proof.leafValue.length !== 64) return { ok: false, why: 'the other leaf carries no 32-byte value' };
    for (let i = 0; i < proof.siblings.length; i++) if (bit(other, i) !== bit(key, i)) return { ok: false, why: 'the other leaf is not on our path' };
    h = await sha256(u8(0), other, unhex(proof.leafValue));
  } else h = new Uint8Array(32);
  for (let i = proof.siblings.length - 1; i >= 0; i--) {
    const s = unhex(proof.siblings[i]);
    h = bit(key, i) === 0 ? await node(h, s) : await node(s, h);
  }
  return hex(h) === proof.stateRoot ? { ok: true, why: 'the path hashes to the state root' } : { ok: false, why: 'the path does not hash to the state root' };
}


const verdict = (ok, why) => ({ ok, why });

/**
 * Checks what GET /api/v1/transactions/{hash} answered for an included transaction against the header of its
 * block (GET /api/v1/blocks/{blockHash}: its `header`): the transaction's bytes hash to its hash, the header is
 * the block named, and the Merkle proof leads from the hash to the header's txRoot. Returns { ok, why }.
 */
export async function verifyTransactionProof(result, header) {
  if (result?.status !== 'included' || !result.proof) return verdict(false, `the transaction is ${result?.status ?? 'unknown'}, not included`);
  if (result.transaction?.raw !== undefined && hex(await sha256(unhex(result.transaction.raw))) !== result.hash)
    return verdict(false, 'the transaction bytes do not hash to its hash');
  if (header.hash !== result.blockHash || String(header.height) !== String(result.blockHeight))
    return verdict(false, 'the header is not the one of the block that holds the transaction');
  if (result.proof.txRoot !== undefined && result.proof.txRoot !== header.txRoot) return verdict(false, 'the proof names another txRoot than the header');
  return await verifyInclusion(result.hash, result.proof, header.txRoot)
    ? verdict(true, 'the Merkle path leads to the header\'s txRoot')
    : verdict(false, 'the Merkle path does not lead to the header\'s txRoot');
}

/**
 * Checks what GET /api/v1/accounts/{address}?proof=true answered: the account shown (balance, nonce, stake and
 * data) is the one the state proof proves, or, for an account the proof shows absent, it is all zeros. With a
 * header (of the block at proof.height), the proof's state root must be that header's. Returns { ok, why }.
 */
export async function verifyAccountProof(account, header = null) {
  const proof = account?.proof;
  if (!proof) return verdict(false, 'the answer carries no proof (ask with ?proof=true)');
  if (header && (header.stateRoot !== proof.stateRoot || String(header.height) !== String(proof.height)))
    return verdict(false, 'the proof is against another state root than the header\'s');
  const present = proof.leafKey !== null && proof.leafKey === proof.key;
  if (!present) {
    const zero = [account.balance, account.nonce, account.stake].every(v => BigInt(v) === 0n) && !account.data;
    if (!zero) return verdict(false, 'the proof shows no account, but the answer shows one');
    return verifyState(account.address, proof, null);
  }
  const data = account.data ? unhex(account.data) : null;
  return verifyState(account.address, proof, await accountValueHash(account.balance, account.nonce, account.stake, data));
}

// ---- finality proofs (docs/protocol.md, "Finality votes and proofs")

// A cursor over bytes; every read checks the length first.
function reader(buf) {
  let pos = 0;
  const take = n => {
    if (n < 0 || pos + n > buf.length) throw new Error('the proof is truncated');
    const s = buf.subarray(pos, pos + n); pos += n; return s;
  };
  const r = {
    u8: () => take(1)[0],
    u32: () => new DataView(take(4).slice().buffer).getUint32(0),
    u64: () => new DataView(take(8).slice().buffer).getBigUint64(0),
    fixed: take,
    bytes: max => { const n = r.u32(); if (n > max) throw new Error('a field is longer than its limit'); return take(n); },
    end: () => { if (pos !== buf.length) throw new Error('trailing bytes after the proof'); },
  };
  return r;
}

const VOTE_DOMAIN = new TextEncoder().encode('chainlab/vote/v1');
const checkpointOf = r => ({ height: r.u64(), hash: hex(r.fixed(32)) });

/** Decodes a vote's canonical bytes strictly (version 1, chain id of at most 32 bytes, source below target) and checks its signature. */
export async function decodeVote(raw) {
  const r = reader(raw);
  if (r.u8() !== 1) throw new Error('unknown vote version');
  const chainId = new TextDecoder('utf-8', { fatal: true }).decode(r.bytes(32));
  const source = checkpointOf(r), target = checkpointOf(r);
  if (source.height >= target.height) throw new Error('a vote\'s source is not below its target');
  const voter = r.fixed(32), signature = r.fixed(64);
  r.end();
  const signing = new Uint8Array(VOTE_DOMAIN.length + raw.length - 64);
  signing.set(VOTE_DOMAIN); signing.set(raw.subarray(0, raw.length - 64), VOTE_DOMAIN.length);
  return { chainId, source, target, voter: hex(voter), signatureValid: await verify(voter, signing, signature) };
}

/**
 * Checks a finality proof offline: the canonical bytes (hex or Uint8Array, or the answer of
 * GET /api/v1/finality/proof with its "proof" field) against the chain id, checkpoint interval and anchor you
 * trust ({ height, hash }, e.g. genesis). Every vote's signature, each link's votes weighing more than two thirds
 * of its voter set, each link's source justified by the anchor or an earlier link, and the last link going from
 * the proved checkpoint to the very next one. Returns { ok, why, checkpoint } (checkpoint: the one proved final).
 * The voter sets are the proof's word: compare them with the validators or authorities you know, if you do.
 */
export async function verifyFinality(proof, { chainId, interval, anchor }) {
  const raw = proof instanceof Uint8Array ? proof : unhex(typeof proof === 'string' ? proof : proof.proof);
  const no = why => ({ ok: false, why, checkpoint: null });
  try {
    const r = reader(raw);
    if (r.u8() !== 1) return no('unknown proof version');
    const id = new TextDecoder('utf-8', { fatal: true }).decode(r.bytes(32));
    if (id !== chainId) return no(`the proof is for chain '${id}', not '${chainId}'`);
    const K = r.u64();
    if (K !== BigInt(interval) || K === 0n) return no(`the proof uses the checkpoint interval ${K}, not ${interval}`);
    const a = checkpointOf(r);
    if (a.height !== BigInt(anchor.height) || a.hash !== anchor.hash.toLowerCase()) return no(`the proof starts from ${a.height}:${a.hash.slice(0, 12)}, not from the trusted anchor`);
    if (a.height % K !== 0n) return no('the anchor is not at a checkpoint height');
    const justified = new Map([[a.height, a.hash]]);
    const links = r.u32();
    if (links === 0) return no('the proof has no links');
    let last = null;
    for (let i = 0; i < links; i++) {
      const n = r.u32();
      if (n === 0) return no(`link ${i} has no voters`);
      const voters = new Map();
      let total = 0n, previous = null;
      for (let k = 0; k < n; k++) {
        const key = hex(r.fixed(32)), weight = r.u64();
        if (previous !== null && key <= previous) return no(`link ${i}: the voter keys are not in ascending order`);
        if (weight === 0n) return no(`link ${i}: a voter weighs 0`);
        voters.set(key, weight); total += weight; previous = key;
      }
      const m = r.u32();
      if (m === 0 || m > n) return no(`link ${i}: ${m} votes for ${n} voters`);
      const votes = [];
      for (let k = 0; k < m; k++) votes.push(await decodeVote(r.bytes(213)));
      const { source, target } = votes[0], seen = new Set();
      let weight = 0n;
      for (const v of votes) {
        if (v.source.height !== source.height || v.source.hash !== source.hash || v.target.height !== target.height || v.target.hash !== target.hash)
          return no(`link ${i}: a vote is for another link`);
        if (v.chainId !== chainId) return no(`link ${i}: a vote is for chain '${v.chainId}'`);
        if (seen.has(v.voter)) return no(`link ${i}: a voter votes twice`);
        if (!voters.has(v.voter)) return no(`link ${i}: a vote comes from a key outside the voter set`);
        if (!v.signatureValid) return no(`link ${i}: a vote's signature is not valid`);
        seen.add(v.voter); weight += voters.get(v.voter);
      }
      if (target.height % K !== 0n) return no(`link ${i}: the target is not at a checkpoint height`);
      if (justified.get(source.height) !== source.hash) return no(`link ${i}: the source is not justified by the links before it`);
      if (!(weight * 3n > total * 2n)) return no(`link ${i}: the votes weigh ${weight} of ${total}, not more than two thirds`);
      if (justified.has(target.height) && justified.get(target.height) !== target.hash) return no(`link ${i}: two checkpoints at height ${target.height} are justified`);
      justified.set(target.height, target.hash);
      last = { source, target };
    }
    r.end();
    if (last.target.height !== last.source.height + K) return no('the last link does not go to the next checkpoint');
    return { ok: true, why: null, checkpoint: last.source };
  } catch (e) {
    return no(`the proof does not decode: ${e.message}`);
  }
}
