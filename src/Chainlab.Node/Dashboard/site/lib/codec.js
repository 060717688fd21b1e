// Transactions and payloads exactly as docs/protocol.md and docs/contracts.md lay them out, so the wallet can
// show and sign the same bytes the CLI would.
import { concat, u8, u32, u64, i64, bytes, text, utf8, sha256, hex, unhex } from './bytes.js';
import { parseAddress, addressText, unbase58, sign } from './keys.js';

export const KINDS = { transfer: 1, stake: 2, unstake: 3, deploy: 4, invoke: 5, authority: 6, evidence: 7, anchor: 8 };
const TX_TAG = utf8('chainlab/tx/v1');

/** Everything but the signature. to: address text or null (the zero address). */
export async function unsignedBytes({ kind, chainId, senderKey, nonce, fee, to, amount, payload }) {
  const k = typeof kind === 'number' ? kind : KINDS[kind];
  if (!k) throw new Error(`unknown transaction kind '${kind}'`);
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
  if (typeof v === 'bigint') return concat(u8(3), i64(v));
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`${v}: contract numbers are integers`);
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
