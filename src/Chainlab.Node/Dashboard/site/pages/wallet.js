// Wallet: make or import keys (CLI key files), unlock, export, and send transfers signed in this browser.
import { api } from '../lib/api.js';
import { h, fill, put, card, table, field, busy, toast, amount, link, short, download, mono } from '../lib/ui.js';
import { parseAddress } from '../client/keys.js';
import * as wallet from '../lib/wallet.js';

export async function render(page, _param, ctx) {
  put(page, h('h1', {}, 'Wallet'),
    h('p', { class: 'muted' }, 'Keys are made and used in this browser (WebCrypto Ed25519) and kept in IndexedDB only as key files encrypted under your password, the same format as the CLI\'s (docs/keystore.md): a file exported here works with the CLI (`--from`, `--key`), and a CLI key file imports here.'));
  const mine = h('div');
  const keys = h('div');
  put(page, mine, h('div', { class: 'grid' }, createCard(), importCard()), card('Keys in this browser', keys));
  const draw = async () => {
    const files = await wallet.list();
    const current = wallet.current();
    fill(keys, table(['', 'label', 'address', 'state', ''], files.map(f => [
      f.address === current ? h('b', {}, 'current') : h('button', { type: 'button', onclick: () => wallet.select(f.address) }, 'use'),
      f.label ?? '', link(`#/account/${f.address}`, f.address, { class: 'mono' }), wallet.isUnlocked(f.address) ? 'unlocked' : 'locked',
      h('span', { class: 'actions' },
        h('button', { type: 'button', onclick: () => download(`${f.label || f.address}.json`, JSON.stringify(f, null, 2)) }, 'export key file'),
        wallet.isUnlocked(f.address) ? h('button', { type: 'button', onclick: () => wallet.lock(f.address) }, 'lock') : null,
        h('button', { type: 'button', onclick: async () => { if (confirm(`Delete ${f.address} from this browser? Export it first if you need it.`)) await wallet.remove(f.address); } }, 'delete'))]), { id: 'wallet-keys' }));
    fill(mine, current ? await currentCard(current, ctx) : card('No key yet', h('p', {}, 'Make a key or import a key file below.')));
  };
  wallet.onChange(() => draw().catch(e => toast(e.message, 'error')));
  await draw();
  ctx.onHead(async () => {
    const b = document.getElementById('wallet-balance');
    if (b && wallet.current()) b.textContent = amount((await api(`/api/v1/accounts/${wallet.current()}`)).balance);
  });
}

async function currentCard(address, ctx) {
  const a = await api(`/api/v1/accounts/${address}`);
  await ctx.devnetReady;
  const body = [h('p', {}, 'Address ', mono(h('span', { id: 'wallet-address' }, address)), ' · balance ', h('b', { id: 'wallet-balance' }, amount(a.balance)),
    ' · nonce ', amount(a.nonce), a.stake > 0 ? ` · staked ${amount(a.stake)}` : '')];
  // A devnet's faucet pays a fresh key its first coins (docs/LEARN.md); the node says when it refuses and why.
  if (ctx.devnet) body.push(h('p', { class: 'row' }, h('button', { type: 'button', id: 'faucet', onclick: ev => busy(ev.currentTarget, async () => {
    const drip = await api('/api/v1/faucet', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ address }) });
    fill(document.getElementById('faucet-result'), `the faucet sent ${amount(drip.amount)}: `, link(`#/tx/${drip.hash}`, short(drip.hash, 16)));
    toast('faucet drip sent; it lands with the next block', 'ok');
  }) }, 'Get coins from the faucet'), h('span', { id: 'faucet-result', class: 'muted' })));
  if (!wallet.isUnlocked(address)) {
    const pw = h('input', { type: 'password', id: 'unlock-password', autocomplete: 'current-password' });
    body.push(h('form', { class: 'row', onsubmit: e => { e.preventDefault(); busy(e.submitter ?? e.target.querySelector('button'), () => wallet.unlock(address, pw.value)); } },
      field('password', pw), h('button', { type: 'submit', id: 'unlock' }, 'Unlock')));
    return card('Current key (locked)', ...body);
  }
  const to = h('input', { type: 'text', id: 'send-to', placeholder: 'cl…', class: 'mono' });
  const value = h('input', { type: 'text', inputmode: 'numeric', id: 'send-amount', value: '100' });
  const result = h('p', { id: 'send-result' });
  body.push(h('form', { onsubmit: e => { e.preventDefault(); busy(e.submitter ?? e.target.querySelector('button'), async () => {
    await parseAddress(to.value);
    if (!/^\d+$/.test(value.value.trim()) || BigInt(value.value.trim()) === 0n) throw new Error('the amount is a whole number above 0');
    const hash = await wallet.send({ kind: 'transfer', to: to.value.trim(), amount: value.value.trim() });
    fill(result, 'sent: ', link(`#/tx/${hash}`, short(hash, 16), { id: 'sent-tx' }));
    toast('transfer sent', 'ok');
  }); } }, h('div', { class: 'row' }, field('to', to), field('amount', value)), h('button', { type: 'submit', class: 'primary', id: 'send' }, 'Review and sign'), result));
  return card('Current key', ...body);
}

function createCard() {
  const label = h('input', { type: 'text', id: 'new-label', placeholder: 'optional' });
  const pw = h('input', { type: 'password', id: 'new-password', autocomplete: 'new-password' });
  const again = h('input', { type: 'password', id: 'new-password-again', autocomplete: 'new-password' });
  return card('Make a key', h('form', { onsubmit: e => { e.preventDefault(); busy(e.submitter ?? e.target.querySelector('button'), async () => {
    if (pw.value !== again.value) throw new Error('the two passwords differ');
    const f = await wallet.create(label.value.trim(), pw.value);
    toast(`new key ${f.address}`, 'ok');
  }); } }, field('label', label), field('password', pw, 'at least 8 characters; it encrypts the key file (PBKDF2 600,000 rounds, AES-256-GCM)'), field('password again', again),
    h('button', { type: 'submit', class: 'primary', id: 'create-key' }, 'Make key')));
}

function importCard() {
  const file = h('input', { type: 'file', accept: '.json,application/json', id: 'import-file' });
  const textIn = h('textarea', { id: 'import-json', placeholder: 'or paste the key file JSON' });
  const pw = h('input', { type: 'password', id: 'import-password', autocomplete: 'off' });
  return card('Import a key file', h('form', { onsubmit: e => { e.preventDefault(); busy(e.submitter ?? e.target.querySelector('button'), async () => {
    const json = file.files[0] ? await file.files[0].text() : textIn.value;
    if (!json.trim()) throw new Error('choose a key file or paste one');
    const f = await wallet.importFile(json, pw.value);
    toast(`imported ${f.address}`, 'ok');
  }); } }, field('key file', file), textIn, field('its password', pw), h('button', { type: 'submit', id: 'import-key' }, 'Import')));
}
