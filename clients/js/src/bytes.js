// Bytes, hex and the canonical encoding of docs/protocol.md: fixed-width big-endian integers, u32-length-prefixed
// bytes and text. u64 values are BigInt (JavaScript numbers lose precision above 2^53).

const enc = new TextEncoder();

export const utf8 = s => enc.encode(s);

export function hex(bytes) {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

export function unhex(text) {
  const s = text ?? '';
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new Error(`'${s.slice(0, 20)}' is not hex`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

export function concat(...parts) {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
export const u8 = v => Uint8Array.of(v);
export function u32(v) { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v); return b; }
export function u64(v) {
  const n = BigInt(v);
  if (n < 0n || n > 0xffffffffffffffffn) throw new Error(`${v} is not a u64`);
  const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, n); return b;
}
export const i64 = v => u64(BigInt.asUintN(64, BigInt(v)));
export const bytes = b => concat(u32(b.length), b);
export const text = s => bytes(utf8(s));
export const readU64 = (b, at = 0) => new DataView(b.buffer, b.byteOffset + at, 8).getBigUint64(0);

/** SHA-256 of the parts joined (WebCrypto). */
export async function sha256(...parts) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', concat(...parts)));
}

/**
 * JSON.parse that keeps integers past 2^53 exact: bare numbers of 16 or more digits become strings (use BigInt on
 * them). Strings are matched first and left as they are, so digits inside one ("a,1234567890123456,b") stay text.
 */
export function parseJson(textValue) {
  return JSON.parse(textValue.replace(/"(?:[^"\\]|\\.)*"|(?<=^\s*|[:\[,]\s*)(-?\d{16,})(?=\s*[,\]}]|\s*$)/g, (match, digits) => (digits ? `"${digits}"` : match)));
}

/**
 * JSON.stringify that writes BigInts as JSON numbers (a contract argument 5n arrives as 5, not "5"): each is
 * written as a marked string first, then the marks and quotes are taken off.
 */
export function stringifyJson(value) {
  const mark = `\u0001bigint${Math.random().toString(36).slice(2)}:`;
  const json = JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? mark + v : v));
  const escaped = JSON.stringify(mark).slice(1, -1);
  return json?.replace(new RegExp(`"${escaped.replace(/\\/g, '\\\\')}(-?\\d+)"`, 'g'), '$1');
}
