// Transactions and payloads exactly as docs/protocol.md and docs/contracts.md lay them out, so a client (the
// dashboard's wallet among them) signs the same bytes the CLI would.
import { concat, u8, u32, u64, i64, bytes, text, utf8, sha256, hex, unhex, readU64 } from './bytes.js';
import { parseAddress, addressText, addressOf, unbase58, sign } from './keys.js';

/** Kind numbers by name: the short names, and the API's names (authoritychange, fileanchor) as well. */
export const KINDS = { transfer: 1, stake: 2, unstake: 3, deploy: 4, invoke: 5, authority: 6, evidence: 7, anchor: 8, vote: 9, voteevidence: 10, authoritychange: 6, fileanchor: 8 };
/** The API's name of each kind number (what GET /api/v1/transactions/{hash} writes as `kind`). */
export const KIND_NAMES = ['', 'transfer', 'stake', 'unstake', 'deploy', 'invoke', 'authoritychange', 'evidence', 'fileanchor', 'vote', 'voteevidence'];
const TX_TAG = utf8('chainlab/tx/v1');

/** Everything but the signature. to: address text or null (the zero address). */
export async function unsignedBytes({ kind, chainId, senderKey, nonce, fee, to, amount, payload }) {
  const k = typeof kind === 'number' ? kind : KINDS[String(kind).toLowerCase()];
  if (!k || !KIND_NAMES[k]) throw new Error(`unknown transaction kind '${kind}'`);
  const toBytes = to ? await parseAddress(to) : new Uint8Array(20);
  return concat(u8(1), u8(k), text(chainId), senderKey, u64(nonce), u64(fee), toBytes, u64(amount), bytes(payload ?? new Uint8Array(0)));
}

export const signingBytes = unsigned => concat(TX_TAG, unsigned);

/** Signs a transaction with a wallet key: { unsigned, signing, signature, raw, hash } (hash and raw as hex too). */
export async function signTransaction(key, fields) {
  const unsigned = await unsignedBytes({ ...fields, senderKey: key.publicKey });
  const signing = signingBytes(unsigned);
  const signature = await sign(key, signing);
  const raw = concat(unsigned, signature);
  return { unsigned, signing, signature, raw, rawHex: hex(raw), hash: hex(await sha256(raw)) };
}

// ---- contract values: tag 0 nil, 1 false, 2 true, 3 i64, 4 bytes, 5 table (sorted keys)

function compareBytes(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export function contractValue(v, depth = 0) {
  if (depth > 16) throw new Error('a contract value nests at most 16 deep');
  if (v === null || v === undefined) return u8(0);
  if (v === false) return u8(1);
  if (v === true) return u8(2);
  if (typeof v === 'bigint') {
    if (v < -(2n ** 63n) || v >= 2n ** 63n) throw new Error(`${v} is outside a contract integer's range (signed 64-bit: -2^63 to 2^63 - 1)`);
    return concat(u8(3), i64(v));
  }
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`${v}: contract numbers are integers`);
    if (!Number.isSafeInteger(v)) throw new Error(`${v} is past 2^53 - 1, where JavaScript numbers lose digits: pass it as a BigInt`);
    return concat(u8(3), i64(v));
  }
  if (typeof v === 'string') return concat(u8(4), bytes(utf8(v)));
  const entries = Array.isArray(v)
    ? v.map((x, i) => [concat(u8(3), i64(i + 1)), x])
    : Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [utf8(k), x])
        .sort((p, q) => compareBytes(p[0], q[0])).map(([k, x]) => [concat(u8(4), bytes(k)), x]);
  return concat(u8(5), u32(entries.length), ...entries.flatMap(([key, x]) => [key, contractValue(x, depth + 1)]));
}

export const contractArgs = list => concat(u32(list.length), ...list.map(x => contractValue(x)));
export const deployPayload = (gasLimit, code, args) => concat(u64(gasLimit), bytes(utf8(code)), contractArgs(args));
export const invokePayload = (gasLimit, fn, args) => concat(u64(gasLimit), text(fn), contractArgs(args));

/** The address a deploy creates: H("chainlab/deploy/" ‖ sender ‖ nonce)[0..20]. */
export async function contractAddress(senderAddress, nonce) {
  return addressText((await sha256(utf8('chainlab/deploy/'), await parseAddress(senderAddress), u64(nonce))).subarray(0, 20));
}

/** Authority change payload: op (1 add, 2 remove) ‖ key. */
export function authorityPayload(op, keyHex) {
  const key = unhex(keyHex);
  if (key.length !== 32) throw new Error('an authority key is 32 bytes (64 hex digits)');
  return concat(u8(op === 'add' ? 1 : 2), key);
}

// ---- files: CIDs and file refs

function base32(s) {
  const abc = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0, value = 0; const out = [];
  for (const c of s) {
    const d = abc.indexOf(c);
    if (d < 0) throw new Error(`'${c}' is not a base32 digit`);
    value = ((value << 5) | d) & 0xffff; bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 0xff); bits -= 8; }
  }
  return Uint8Array.from(out);
}

/** A CID's binary form: the multihash (v0, "Qm…") or version ‖ codec ‖ multihash (v1, "b…" base32). */
export function cidBytes(cid) {
  if (/^Qm[1-9A-HJ-NP-Za-km-z]{44}$/.test(cid)) return unbase58(cid);
  if (/^b[a-z2-7]+$/.test(cid)) return base32(cid.slice(1));
  throw new Error(`'${cid.slice(0, 70)}' is not a CID (Qm… or b…)`);
}

export const fileRef = ({ cid, size, name, mediaType }) => concat(bytes(cidBytes(cid)), u64(size), text(name), text(mediaType));
export function anchorPayload(refs) {
  if (refs.length < 1 || refs.length > 16) throw new Error('an anchor holds 1 to 16 files');
  return concat(u32(refs.length), ...refs.map(r => bytes(fileRef(r))));
}

// ---- evidence: two block headers, each as bytes

/**
 * A header's canonical bytes (docs/protocol.md) from its JSON, as the API writes it ({height, parent, timestampMs,
 * producerKey, txRoot, stateRoot, filesRoot, txCount, seal}); `producer` as 64 hex digits is taken when there is
 * no producerKey (the vectors' form).
 */
export function headerBytes(h) {
  const producer = h.producerKey ?? h.producer;
  const fixed = (name, v) => {
    const b = unhex(v);
    if (b.length !== 32) throw new Error(`a header's ${name} is 32 bytes (64 hex digits)`);
    return b;
  };
  return concat(u8(1), u64(h.height), fixed('parent', h.parent), u64(h.timestampMs), fixed('producer key', producer),
    fixed('txRoot', h.txRoot), fixed('stateRoot', h.stateRoot), fixed('filesRoot', h.filesRoot), u32(Number(h.txCount)), bytes(unhex(h.seal)));
}

/** Evidence payload: the two headers' bytes, each length-prefixed. A header is given as bytes or as its JSON. */
export function evidencePayload(first, second) {
  const asBytes = h => (h instanceof Uint8Array ? h : headerBytes(h));
  return concat(bytes(asBytes(first)), bytes(asBytes(second)));
}

/** Vote payload (kind 9, chains with finality): count u32, then each signed vote's bytes, length-prefixed. */
export function votePayload(votes) {
  if (votes.length < 1 || votes.length > 256) throw new Error('a vote transaction holds 1 to 256 votes');
  return concat(u32(votes.length), ...votes.map(v => bytes(v instanceof Uint8Array ? v : unhex(v))));
}

/** Vote evidence payload (kind 10, chains with finality): the two conflicting votes' bytes, each length-prefixed. */
export function voteEvidencePayload(first, second) {
  return concat(...[first, second].map(v => bytes(v instanceof Uint8Array ? v : unhex(v))));
}

// ---- every kind: the fields a transaction of it carries besides chainId, nonce and fee

/** A transfer of amount base units to an address. */
export const transfer = (to, amount) => ({ kind: 'transfer', to, amount, payload: new Uint8Array(0) });
/** Moves amount from the sender's balance to its stake. */
export const stake = amount => ({ kind: 'stake', to: null, amount, payload: new Uint8Array(0) });
/** Moves amount from the sender's stake back to its balance. */
export const unstake = amount => ({ kind: 'unstake', to: null, amount, payload: new Uint8Array(0) });
/** Adds ('add') or removes ('remove') an authority key (hex) of a proof-of-authority chain; only the admin may. */
export const authorityChange = (op, keyHex) => ({ kind: 'authority', to: null, amount: 0, payload: authorityPayload(op, keyHex) });
/** Reports two headers one producer signed for one slot (proof of stake). */
export const evidence = (first, second) => ({ kind: 'evidence', to: null, amount: 0, payload: evidencePayload(first, second) });
/** Carries signed finality votes (bytes or hex) to the chain; fee-free (docs/protocol.md, kind 9). */
export const vote = votes => ({ kind: 'vote', to: null, amount: 0, payload: votePayload(votes) });
/** Reports two votes of one voter that double or surround vote (bytes or hex); fee-free (docs/protocol.md, kind 10). */
export const voteEvidence = (first, second) => ({ kind: 'voteevidence', to: null, amount: 0, payload: voteEvidencePayload(first, second) });
/** Deploys Lua code with constructor arguments; the fee must be gasLimit × the chain's gas price. */
export const deploy = (gasLimit, code, args = [], amount = 0) => ({ kind: 'deploy', to: null, amount, payload: deployPayload(gasLimit, code, args) });
/** Calls a contract's function; the fee must be gasLimit × the chain's gas price. */
export const invoke = (contract, gasLimit, fn, args = [], amount = 0) => ({ kind: 'invoke', to: contract, amount, payload: invokePayload(gasLimit, fn, args) });
/** Anchors 1 to 16 files ({cid, size, name, mediaType}) on chain. */
export const fileAnchor = refs => ({ kind: 'anchor', to: null, amount: 0, payload: anchorPayload(refs) });

/** The gas limit a deploy or invoke payload starts with (the fee of such a transaction is it times the gas price). */
export const gasLimitOf = payload => readU64(payload, 0);

// ---- decoding

/**
 * A transaction's fields from its canonical bytes, as strictly as the node reads them: version 1, a known kind,
 * lengths within bounds, nothing left over. Returns { kind (the API's name), kindNumber, chainId, senderKey,
 * from, nonce, fee, to (null for the zero address), amount, payload, signature, hash } (hex for byte fields).
 */
export async function decodeTransaction(raw) {
  const b = raw instanceof Uint8Array ? raw : unhex(raw);
  if (b.length > 65718) throw new Error(`a transaction is at most 65,718 bytes, not ${b.length}`);
  let at = 0;
  const take = (n, what) => {
    if (at + n > b.length) throw new Error(`the transaction ends inside its ${what}`);
    const part = b.subarray(at, at + n); at += n; return part;
  };
  const u32At = what => new DataView(take(4, what).slice().buffer).getUint32(0);
  const version = take(1, 'version')[0];
  if (version !== 1) throw new Error(`unknown transaction version ${version}`);
  const kindNumber = take(1, 'kind')[0];
  if (!KIND_NAMES[kindNumber]) throw new Error(`unknown transaction kind ${kindNumber}`);
  const chainLength = u32At('chain id');
  if (chainLength > 32) throw new Error('the chain id is longer than 32 bytes');
  const chainId = new TextDecoder('utf-8', { fatal: true }).decode(take(chainLength, 'chain id'));
  const senderKey = take(32, 'sender key');
  const nonce = readU64(take(8, 'nonce')), fee = readU64(take(8, 'fee'));
  const to = take(20, 'recipient');
  const amount = readU64(take(8, 'amount'));
  const payloadLength = u32At('payload');
  if (payloadLength > 65536) throw new Error('the payload is larger than 65,536 bytes');
  const payload = take(payloadLength, 'payload');
  const signature = take(64, 'signature');
  if (at !== b.length) throw new Error(`${b.length - at} bytes follow the transaction`);
  return {
    kind: KIND_NAMES[kindNumber], kindNumber, chainId, senderKey: hex(senderKey), from: await addressOf(senderKey), nonce, fee,
    to: to.every(x => x === 0) ? null : await addressText(to), amount, payload: hex(payload), signature: hex(signature), hash: hex(await sha256(b)),
  };
}
