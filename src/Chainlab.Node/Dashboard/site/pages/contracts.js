// Contracts: deploy Lua source (typed or from a file) and invoke functions, both signed by the wallet; read a
// contract's code, storage and events, and make read-only view calls.
import { api } from '../lib/api.js';
import { h, fill, put, card, fields, table, amount, mono, link, field, busy, toast, hashLink } from '../lib/ui.js';
import { deployPayload, invokePayload, contractAddress } from '../client/codec.js';
import * as wallet from '../lib/wallet.js';

/** "[1, \"a\"]" → [1n, "a"]: integers stay exact (BigInt, from the number's own digits), as contract values are i64. */
function args(textValue) {
  const t = textValue.trim();
  if (!t) return [];
  let v;
  try { v = JSON.parse(t, (_k, x, context) => typeof x === 'number' && Number.isInteger(x) ? BigInt(context?.source ?? x) : x); }
  catch (e) { throw new Error(`arguments: ${e.message}`); }
  if (!Array.isArray(v)) throw new Error('arguments are a JSON array, e.g. [1, "alice"]');
  return v;
}

/** JSON with BigInts written as plain numbers (the API reads contract integers as JSON numbers). */
const toJson = value => JSON.stringify(value, (_k, x) => typeof x === 'bigint' ? `@@${x}@@` : x).replace(/"@@(-?\d+)@@"/g, '$1');

export async function render(page, param, _ctx, name) {
  const status = await api('/api/v1/status');
  const gasPrice = BigInt(status.contracts.gasPrice);
  put(page, h('h1', {}, name === 'contract' && param ? 'Contract' : 'Contracts'));
  if (!status.contracts.enabled) { put(page, h('p', {}, 'This chain\'s spec disables contracts.')); return; }
  const lookup = h('input', { type: 'text', placeholder: 'cl… contract address', id: 'contract-address', value: param ?? '' });
  put(page, h('form', { class: 'row', onsubmit: e => { e.preventDefault(); location.hash = `#/contract/${lookup.value.trim()}`; } },
    field('open a contract', lookup), h('button', { type: 'submit' }, 'Open')));
  if (name === 'contract' && param) put(page, await contractView(param, gasPrice));
  put(page, deployForm(gasPrice, status));
}

function deployForm(gasPrice, status) {
  const code = h('textarea', { id: 'deploy-code', spellcheck: 'false', placeholder: 'function init() … end' });
  const file = h('input', { type: 'file', accept: '.lua,text/plain', id: 'deploy-file' });
  file.addEventListener('change', async () => { if (file.files[0]) code.value = await file.files[0].text(); });
  const argsIn = h('input', { type: 'text', id: 'deploy-args', placeholder: '[ ]', class: 'mono' });
  const gas = h('input', { type: 'text', inputmode: 'numeric', value: '1000000', id: 'deploy-gas' });
  const value = h('input', { type: 'text', inputmode: 'numeric', value: '0', id: 'deploy-amount' });
  const out = h('p', { id: 'deploy-result' });
  const deploy = ev => busy(ev.currentTarget, async () => {
    const from = wallet.current();
    const gasLimit = wallet.whole(gas.value, 'the gas');
    const account = await api(`/api/v1/accounts/${from}`);
    const predicted = await contractAddress(from, account.nextNonce);
    const hash = await wallet.send({ kind: 'deploy', amount: value.value.trim(), fee: gasLimit * gasPrice, payload: deployPayload(gasLimit, code.value, args(argsIn.value)),
      explain: [`deploy ${code.value.length} characters of Lua with gas limit ${gasLimit}`, `the contract will live at ${predicted}`] });
    fill(out, 'Deploy sent: ', hashLink('tx', hash), ' · contract ', link(`#/contract/${predicted}`, predicted, { id: 'deployed-address' }));
    toast('deploy sent', 'ok');
  });
  return card('Deploy', h('p', { class: 'muted' }, `Lua 5.4 in the sandbox of docs/contracts.md; the fee is the gas limit × ${gasPrice} exactly; at most ${amount(status.contracts.codeBytes)} bytes of code.`),
    field('Lua file', file), field('source', code), h('div', { class: 'row' }, field('init arguments (JSON array)', argsIn), field('gas limit', gas), field('amount', value)),
    h('button', { type: 'button', class: 'primary', onclick: deploy, id: 'deploy' }, 'Sign and deploy'), out);
}

async function contractView(address, gasPrice) {
  const c = await api(`/api/v1/contracts/${encodeURIComponent(address)}`);
  const events = await api(`/api/v1/contracts/${encodeURIComponent(address)}/events?limit=50`);
  const fn = h('input', { type: 'text', id: 'call-function', placeholder: 'function name' });
  const argsIn = h('input', { type: 'text', id: 'call-args', placeholder: '[ ]', class: 'mono' });
  const gas = h('input', { type: 'text', inputmode: 'numeric', value: '200000', id: 'call-gas' });
  const value = h('input', { type: 'text', inputmode: 'numeric', value: '0', id: 'call-amount' });
  const out = h('div', { id: 'call-result' });
  const view = ev => busy(ev.currentTarget, async () => {
    const r = await api(`/api/v1/contracts/${address}/call`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: toJson({ function: fn.value.trim(), args: args(argsIn.value), gas: wallet.whole(gas.value, 'the gas') }) });
    fill(out, fields([['returned', mono(JSON.stringify(r.value))], ['gas used', amount(r.gasUsed)], ['at height', amount(r.height)]]));
  });
  const invoke = ev => busy(ev.currentTarget, async () => {
    const gasLimit = wallet.whole(gas.value, 'the gas');
    const hash = await wallet.send({ kind: 'invoke', to: address, amount: value.value.trim(), fee: gasLimit * gasPrice,
      payload: invokePayload(gasLimit, fn.value.trim(), args(argsIn.value)), explain: [`call ${fn.value.trim()}(${argsIn.value.trim()}) with gas limit ${gasLimit}`] });
    fill(out, 'Invocation sent: ', hashLink('tx', hash, 16));
    toast('invocation sent', 'ok');
  });
  return h('div', {},
    card('Contract', fields([['address', mono(c.address)], ['balance', amount(c.balance)], ['code hash', mono(c.codeHash)], ['account', link(`#/account/${c.address}`, 'state proof')]])),
    card('Call', h('div', { class: 'row' }, field('function', fn), field('arguments (JSON array)', argsIn), field('gas', gas), field('amount (invoke)', value)),
      h('div', { class: 'actions' }, h('button', { type: 'button', onclick: view, id: 'call-view' }, 'View call (free, read-only)'),
        h('button', { type: 'button', class: 'primary', onclick: invoke, id: 'call-invoke' }, 'Sign and invoke')), out),
    card(`Storage (${c.storage.length} key(s))`, table(['key', 'value'], c.storage.map(s => [mono(s.key), mono(JSON.stringify(s.value))]), { id: 'contract-storage' })),
    card(`Events (${events.length})`, table(['block', 'tx', 'name', 'value'],
      events.map(e => [link(`#/block/${e.height}`, String(e.height)), hashLink('tx', e.tx, 10), e.name, mono(JSON.stringify(e.value))]), { id: 'contract-events' })),
    card('Source', h('pre', {}, c.code)));
}
