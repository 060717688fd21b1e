// Ed25519 keys in WebCrypto, addresses (docs/protocol.md) and the key file format (docs/keystore.md).
import { concat, hex, unhex, sha256, utf8, equal } from './bytes.js';

const PKCS8_PREFIX = unhex('302e020100300506032b657004220420');
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
export const MIN_ITERATIONS = 600000;
const MAX_ITERATIONS = 50000000;

export function base58(buf) {
  let n = BigInt('0x' + (hex(buf) || '0')), out = '';
  while (n > 0n) { out = ALPHABET[Number(n % 58n)] + out; n /= 58n; }
  for (const b of buf) { if (b !== 0) break; out = '1' + out; }
  return out;
}

export function unbase58(s) {
  let n = 0n;
  for (const c of s) {
    const d = ALPHABET.indexOf(c);
    if (d < 0) throw new Error(`'${c}' is not a base58 digit`);
    n = n * 58n + BigInt(d);
  }
  let h = n === 0n ? '' : n.toString(16);
  if (h.length % 2) h = '0' + h;
  const zeros = [...s].findIndex(c => c !== '1');
  return concat(new Uint8Array(zeros < 0 ? s.length : zeros), unhex(h));
}

export async function addressBytes(publicKey) { return (await sha256(publicKey)).subarray(0, 20); }

export async function addressText(addr20) {
  const check = (await sha256(await sha256(addr20))).subarray(0, 4);
  return 'cl' + base58(concat(addr20, check));
}

export const addressOf = async publicKey => addressText(await addressBytes(publicKey));

/** The 20 address bytes of "cl…" text, checksum checked; throws with the reason. */
export async function parseAddress(textValue) {
  const t = (textValue ?? '').trim();
  if (!t.startsWith('cl')) throw new Error('an address starts with "cl"');
  const raw = unbase58(t.slice(2));
  if (raw.length !== 24) throw new Error('an address holds 20 bytes and a 4-byte checksum');
  const a = raw.subarray(0, 20);
  const check = (await sha256(await sha256(a))).subarray(0, 4);
  if (!equal(check, raw.subarray(20))) throw new Error('the address checksum does not match (a typo?)');
  return a;
}

/** A signing key from its 32-byte seed: { seed, publicKey, address, privateKey (CryptoKey, not extractable) }. */
export async function keyFromSeed(seed) {
  const extractable = await crypto.subtle.importKey('pkcs8', concat(PKCS8_PREFIX, seed), { name: 'Ed25519' }, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', extractable);
  const publicKey = b64urlDecode(jwk.x);
  const privateKey = await crypto.subtle.importKey('pkcs8', concat(PKCS8_PREFIX, seed), { name: 'Ed25519' }, false, ['sign']);
  return { seed: new Uint8Array(seed), publicKey, address: await addressOf(publicKey), privateKey };
}

/** A new key (WebCrypto Ed25519, in a browser or in Node.js). */
export async function generateKey() {
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  return keyFromSeed(pkcs8.subarray(pkcs8.length - 32));
}

export async function sign(key, message) {
  return new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key.privateKey, message));
}

export async function verify(publicKey, message, signature) {
  const k = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
  return crypto.subtle.verify({ name: 'Ed25519' }, k, signature, message);
}

function b64urlDecode(s) {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  return Uint8Array.from(b, c => c.charCodeAt(0));
}

async function aesKey(password, salt, iterations) {
  const base = await crypto.subtle.importKey('raw', utf8(password), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, base, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

const aad = address => utf8('chainlab-keystore-v1:' + address);

/** The key file (the CLI's format, docs/keystore.md) of a key under a password, as an object. */
export async function encryptKey(key, password, label = null, iterations = MIN_ITERATIONS) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const k = await aesKey(password, salt, iterations);
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad(key.address), tagLength: 128 }, k, key.seed));
  const file = {
    version: 1, address: key.address, publicKey: hex(key.publicKey),
    kdf: { name: 'pbkdf2-hmac-sha256', iterations, salt: hex(salt) },
    cipher: { name: 'aes-256-gcm', nonce: hex(nonce), ciphertext: hex(sealed.subarray(0, 32)), tag: hex(sealed.subarray(32)) },
  };
  if (label) file.label = label;
  return file;
}

const FIELDS = ['version', 'address', 'publicKey', 'kdf', 'cipher', 'label'];

/** Reads a key file's public part, checking its shape as strictly as the CLI does. */
export function readKeyFile(json) {
  let f;
  try { f = typeof json === 'string' ? JSON.parse(json) : json; } catch (e) { throw new Error(`not a chainlab key file: ${e.message}`); }
  if (!f || typeof f !== 'object' || f.version !== 1 || !f.kdf || !f.cipher) throw new Error('not a chainlab key file (version 1)');
  const extra = Object.keys(f).find(k => !FIELDS.includes(k));
  if (extra) throw new Error(`not a chainlab key file: unknown field '${extra}'`);
  return f;
}

/** Decrypts a key file with its password; throws "wrong password …" as the CLI does. */
export async function decryptKey(json, password) {
  const f = readKeyFile(json);
  if (f.kdf.name !== 'pbkdf2-hmac-sha256' || f.cipher.name !== 'aes-256-gcm') throw new Error(`unsupported key file algorithms ${f.kdf.name}/${f.cipher.name}`);
  if (!(f.kdf.iterations >= MIN_ITERATIONS && f.kdf.iterations <= MAX_ITERATIONS)) throw new Error(`key file iteration count ${f.kdf.iterations} is outside ${MIN_ITERATIONS}..${MAX_ITERATIONS}`);
  let salt, nonce, ct, tag;
  try { [salt, nonce, ct, tag] = [f.kdf.salt, f.cipher.nonce, f.cipher.ciphertext, f.cipher.tag].map(unhex); } catch { throw new Error('key file has a field that is not hex'); }
  if (salt.length < 16 || nonce.length !== 12 || ct.length !== 32 || tag.length !== 16) throw new Error('key file has fields of the wrong length');
  const k = await aesKey(password, salt, f.kdf.iterations);
  let seed;
  try { seed = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad(f.address), tagLength: 128 }, k, concat(ct, tag))); }
  catch { throw new Error('wrong password (or the key file was altered)'); }
  const key = await keyFromSeed(seed);
  if (key.address !== f.address) throw new Error('key file address does not match its key');
  return key;
}
