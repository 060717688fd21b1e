// Merkle roots and proofs (docs/protocol.md, docs/api.md "Checking proofs offline"), checked with WebCrypto
// SHA-256: nothing here asks a node anything, so a proof checks the same wherever its parts came from.
import { u8, u64, bytes, unhex, hex, sha256 } from './bytes.js';
import { parseAddress } from './keys.js';

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

/** What verifyFinality throws: the protocol has no finality proofs yet. */
export class FinalityProofsUnavailable extends Error {
  constructor() {
    super('finality proofs are not part of the protocol yet: check inclusion (verifyTransactionProof) and state (verifyAccountProof) against a header you trust');
    this.name = 'FinalityProofsUnavailable';
  }
}

/**
 * The place for checking that a block is final (a finality proof against a known validator or authority set).
 * Chainlab has no finality proofs yet, so this always throws FinalityProofsUnavailable; when the protocol gains
 * them, their check goes here and keeps this name.
 */
export async function verifyFinality(_header, _finalityProof) {
  throw new FinalityProofsUnavailable();
}
