// The in-browser wallet: keys made here with WebCrypto Ed25519, kept in IndexedDB only as password-encrypted key
// files in the CLI's format (docs/keystore.md), unlocked into memory as non-extractable CryptoKeys. Every
// transaction is shown byte for byte before it is signed; the private key never leaves the page.
import { hex } from '../client/bytes.js';
import { generateKey, encryptKey, decryptKey, readKeyFile } from '../client/keys.js';
import { signTransaction, KINDS } from '../client/codec.js';
import { api, post } from './api.js';
import { h, fill, amount } from './ui.js';

const DB = 'chainlab-wallet', STORE = 'keyfiles';
const unlocked = new Map();
const changed = new Set();
export const onChange = f => changed.add(f);
const notify = () => changed.forEach(f => f());

function db() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'address' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function run(mode, f) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const tx = d.transaction(STORE, mode);
    const req = f(tx.objectStore(STORE));
    tx.oncomplete = () => { resolve(req?.result); d.close(); };
    tx.onerror = () => { reject(tx.error); d.close(); };
  });
}

/** The key files kept in this browser. */
export const list = () => run('readonly', s => s.getAll());
export const keyFile = address => run('readonly', s => s.get(address));

export function current() { return localStorage.getItem('chainlab.wallet.current'); }
export function select(address) { localStorage.setItem('chainlab.wallet.current', address); notify(); }
export const isUnlocked = address => unlocked.has(address);
export function lock(address) { unlocked.delete(address); notify(); }

export async function create(label, password) {
  if (password.length < 8) throw new Error('use a password of at least 8 characters');
  const key = await generateKey();
  const file = await encryptKey(key, password, label || null);
  await run('readwrite', s => s.put(file));
  unlocked.set(key.address, key);
  select(key.address);
  return file;
}

/** Imports a CLI key file (JSON text); the password is checked before it is kept. */
export async function importFile(json, password) {
  const file = readKeyFile(json);
  const key = await decryptKey(file, password);
  await run('readwrite', s => s.put(file));
  unlocked.set(key.address, key);
  select(key.address);
  return file;
}

export async function remove(address) { await run('readwrite', s => s.delete(address)); unlocked.delete(address); if (current() === address) localStorage.removeItem('chainlab.wallet.current'); notify(); }

export async function unlock(address, password) {
  const file = await keyFile(address);
  if (!file) throw new Error(`no key ${address} in this browser`);
  unlocked.set(address, await decryptKey(file, password));
  notify();
}

/**
 * Builds, shows, signs and submits one transaction from the current key. fields: kind, to, amount, payload,
 * fee (default: the chain's minimum), explain (lines describing the payload). Resolves to the hash once the
 * node accepted it; rejects if the user cancels or the node refuses (with its problem detail).
 */
export async function send(fields) {
  const from = current();
  if (!from) throw new Error('make or import a key on the wallet page first');
  const key = unlocked.get(from);
  if (!key) throw new Error('unlock the key on the wallet page first');
  const [status, account] = await Promise.all([api('/api/v1/status'), api(`/api/v1/accounts/${from}`)]);
  const tx = {
    kind: fields.kind, chainId: status.chainId, nonce: BigInt(account.nextNonce), fee: whole(fields.fee ?? status.minFee, 'the fee'),
    to: fields.to || null, amount: whole(fields.amount ?? 0, 'the amount'), payload: fields.payload ?? new Uint8Array(0),
  };
  const signed = await signTransaction(key, tx);
  await confirm(tx, signed, fields.explain ?? []);
  const r = await post('/api/v1/transactions', { raw: signed.rawHex });
  return r.hash;
}

/** A u64 from what a user typed (or a number the node gave), with a clear error for anything else. */
export function whole(value, what) {
  const t = String(value).trim();
  if (!/^\d{1,20}$/.test(t) || BigInt(t) > 0xffffffffffffffffn) throw new Error(`${what} is a whole number of base units (0 to 2^64 − 1), not '${t.slice(0, 30)}'`);
  return BigInt(t);
}

/** The dialog that shows exactly what will be signed; resolves on "Sign and send". */
function confirm(tx, signed, explain) {
  const dialog = document.getElementById('sign-dialog');
  const rows = [
    ['kind', `${tx.kind} (${KINDS[tx.kind]})`], ['chain', tx.chainId], ['nonce', amount(tx.nonce)], ['fee', amount(tx.fee)],
    ['to', tx.to ?? '(none)'], ['amount', amount(tx.amount)], ['payload', `${tx.payload.length} bytes`], ...explain.map(e => ['', e]),
  ];
  return new Promise((resolve, reject) => {
    const ok = h('button', { type: 'button', class: 'primary', id: 'sign-confirm' }, 'Sign and send');
    const no = h('button', { type: 'button', id: 'sign-cancel' }, 'Cancel');
    fill(dialog, h('h2', {}, 'Sign this transaction?'),
      h('dl', { class: 'fields' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      h('p', {}, 'The exact bytes signed ("chainlab/tx/v1" ‖ the transaction without its signature, docs/protocol.md):'),
      h('pre', { class: 'bytes', id: 'signing-bytes', tabindex: 0 }, hex(signed.signing)),
      h('p', { class: 'muted' }, `transaction hash ${signed.hash}`),
      h('div', { class: 'actions' }, ok, no));
    const done = f => () => { dialog.close(); f(); };
    ok.addEventListener('click', done(resolve));
    no.addEventListener('click', done(() => reject(new Error('not signed'))));
    dialog.addEventListener('cancel', () => reject(new Error('not signed')), { once: true });
    dialog.showModal();
    ok.focus();
  });
}
