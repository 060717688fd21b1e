// Block, transaction and account pages, and the search box. Each recomputes what it can in the browser:
// the transaction root of a block, a transaction's hash, signature and inclusion proof, an account's state proof.
import { api, ApiError } from '../lib/api.js';
import { h, fill, put, card, fields, table, hashLink, mono, amount, time, ago, short, verdict, link, busy } from '../lib/ui.js';
import { unhex, hex, sha256, concat, utf8 } from '../client/bytes.js';
import { verify } from '../client/keys.js';
import { merkleRoot, verifyInclusion, verifyAccountProof } from '../client/proofs.js';
import { fileRef } from '../client/codec.js';

export async function block(page, id) {
  const b = await api(`/api/v1/blocks/${encodeURIComponent(id)}?transactions=full`);
  const hd = b.header;
  const txRoot = hex(await merkleRoot(b.transactions.map(t => unhex(t.hash))));
  const hashesOk = (await Promise.all(b.transactions.map(async t => hex(await sha256(unhex(t.raw))) === t.hash))).every(x => x);
  const filesRoot = hex(await merkleRoot(await Promise.all(b.files.map(f => sha256(fileRef(f))))));
  const height = BigInt(hd.height);
  put(page, h('h1', {}, `Block ${amount(hd.height)}`),
    h('div', { class: 'actions' }, height > 0n ? link(`#/block/${height - 1n}`, '← parent') : null, link(`#/block/${height + 1n}`, 'next →')),
    card('Checked in this browser',
      h('p', { id: 'tx-root-check' }, verdict(txRoot === hd.txRoot, txRoot === hd.txRoot
        ? `transaction root recomputed from ${b.transactions.length} transaction hash(es) matches the header`
        : `transaction root recomputed as ${txRoot}, the header says ${hd.txRoot}`)),
      h('p', {}, verdict(hashesOk, hashesOk ? 'every transaction hash is SHA-256 of its bytes' : 'a transaction hash does not match its bytes')),
      h('p', {}, verdict(filesRoot === hd.filesRoot, filesRoot === hd.filesRoot ? `files root recomputed from ${b.files.length} file ref(s) matches` : 'files root differs'))),
    card('Header', fields([
      ['hash', mono(hd.hash)], ['parent', height > 0n ? hashLink('block', hd.parent, 64) : mono(hd.parent)], ['time', `${time(hd.timestampMs)} (${ago(hd.timestampMs)})`],
      ['producer', link(`#/account/${hd.producer}`, hd.producer)], ['producer key', mono(hd.producerKey)], ['tx root', mono(hd.txRoot)],
      ['state root', mono(hd.stateRoot)], ['files root', mono(hd.filesRoot)], ['transactions', String(hd.txCount)], ['seal', mono(hd.seal)]])),
    card(`Transactions (${b.transactions.length})`, table(['#', 'hash', 'kind', 'from', 'to', 'amount', 'fee'],
      b.transactions.map((t, i) => [String(i), hashLink('tx', t.hash), t.kind, hashLink('account', t.from), recipient(t.to), amount(t.amount), amount(t.fee)]))),
    b.files.length ? card(`Files (${b.files.length})`, table(['CID', 'name', 'size', 'type'],
      b.files.map(f => [hashLink('file', f.cid, 16), f.name, amount(f.size), f.mediaType]))) : null);
}

export async function transaction(page, hash, ctx) {
  const t = await api(`/api/v1/transactions/${encodeURIComponent(hash)}`);
  put(page, h('h1', {}, `Transaction ${short(t.hash, 16)}`));
  if (t.status !== 'included') {
    put(page, card('Status', fields([['hash', mono(t.hash)], ['status', h('b', { id: 'tx-status' }, t.status)], ['reason', t.reason]])),
      h('p', { class: 'muted' }, t.status === 'pending' ? 'Waiting for a block; this page updates when one includes it.' : ''));
    // Asked again at each new head until a block includes it.
    if (t.status === 'pending') ctx.onHead(() => ctx.refresh());
    return;
  }
  const tx = t.transaction, raw = unhex(tx.raw);
  const hashOk = hex(await sha256(raw)) === t.hash;
  const sigOk = await verify(unhex(tx.senderKey), concat(utf8('chainlab/tx/v1'), raw.subarray(0, raw.length - 64)), raw.subarray(raw.length - 64));
  const header = (await api(`/api/v1/blocks/${t.blockHash}`)).header;
  const proofOk = await verifyInclusion(t.hash, t.proof, header.txRoot) && t.proof.txRoot === header.txRoot;
  const r = t.receipt;
  put(page,
    card('Checked in this browser',
      h('p', { id: 'proof-check' }, verdict(proofOk, proofOk
        ? `inclusion proof (${t.proof.path.length} hash(es), leaf ${t.proof.index} of ${t.proof.leafCount}) leads to the transaction root of block ${amount(t.blockHeight)}`
        : 'the inclusion proof does not lead to the block\'s transaction root')),
      h('p', {}, verdict(hashOk, hashOk ? 'the hash is SHA-256 of the transaction bytes' : 'the hash does not match the bytes')),
      h('p', {}, verdict(sigOk, sigOk ? 'the Ed25519 signature verifies against the sender key' : 'the signature does not verify'))),
    card('Transaction', fields([
      ['status', h('b', { id: 'tx-status' }, 'included')], ['block', hashLink('block', String(t.blockHeight), 20)], ['index', String(t.index)],
      ['kind', tx.kind], ['from', hashLink('account', tx.from, 40)], ['to', recipient(tx.to, 40)],
      ['amount', amount(tx.amount)], ['fee', amount(tx.fee)], ['nonce', amount(tx.nonce)], ['chain', tx.chainId],
      ['payload', tx.payload ? `${tx.payload.length / 2} bytes` : 'none'], ['signature', mono(tx.signature)]])),
    card('Receipt', fields([
      ['result', r.success ? h('span', { class: 'ok' }, 'success') : h('span', { class: 'bad' }, `failed: ${r.error}`)], ['fee paid', amount(r.feePaid)],
      r.gasUsed !== null && r.gasUsed !== undefined ? ['gas used', amount(r.gasUsed)] : null,
      r.contractAddress ? ['contract', link(`#/contract/${r.contractAddress}`, r.contractAddress)] : null,
      r.returnValue !== null && r.returnValue !== undefined ? ['returned', mono(JSON.stringify(r.returnValue))] : null]),
      r.events?.length ? table(['contract', 'event', 'value'], r.events.map(e => [hashLink('contract', e.contract), e.name, mono(JSON.stringify(e.value))])) : null),
    card('Inclusion proof', fields([['tx root', mono(t.proof.txRoot)], ['path', t.proof.path.length ? h('pre', {}, t.proof.path.join('\n')) : '(a block of one transaction: the leaf is the root)']])),
    card('Raw bytes', h('pre', {}, tx.raw)));
}

export async function account(page, address) {
  const a = await api(`/api/v1/accounts/${encodeURIComponent(address)}?proof=true`);
  const p = a.proof;
  // The client's check: the account shown (balance, nonce, stake and data; a contract's data is "C" ‖ code hash,
  // docs/contracts.md) is the leaf the proof ends at, or, when the proof shows it absent, it is all zeros.
  const contract = a.data?.startsWith('43') ? await api(`/api/v1/contracts/${encodeURIComponent(address)}`).catch(e => { if (e instanceof ApiError) return null; throw e; }) : null;
  const exists = BigInt(a.balance) + BigInt(a.nonce) + BigInt(a.stake) > 0n || !!a.data;
  const header = (await api(`/api/v1/blocks/${p.height}`)).header;
  const check = await verifyAccountProof(a, header);
  const recent = h('div', { id: 'account-txs' });
  put(page, h('h1', {}, contract ? 'Contract account' : 'Account'), h('p', { class: 'mono' }, a.address),
    card('Checked in this browser', h('p', { id: 'state-check' }, verdict(check.ok, check.ok
      ? `state proof (${p.siblings.length} sibling hash(es)) leads to the state root of block ${amount(p.height)}: this ${exists ? 'account is' : 'address is empty'} as shown`
      : `state proof failed: ${check.why}`))),
    card('State', fields([['balance', h('b', { id: 'balance' }, amount(a.balance))], ['nonce', amount(a.nonce)], ['next nonce', amount(a.nextNonce)],
      ['stake', amount(a.stake)], contract ? ['contract', link(`#/contract/${a.address}`, 'code, storage and events')] : null,
      ['files anchored', link(`#/files/${a.address}`, 'list')]])),
    card('Recent transactions', recent));
  transactionsOf(a.address, BigInt(p.height), recent);
}

/** The recipient cell: a link, or a dash for the zero address (kinds without a recipient). */
const recipient = (to, n) => to.startsWith('cl111') ? '—' : hashLink('account', to, n);

/**
 * The node keeps no index by address (as most nodes; an explorer would build one): the page reads the headers of
 * the last 100 blocks, opens only those with transactions and keeps this address's; a button looks 100 further back.
 */
function transactionsOf(address, head, box) {
  const rows = [];
  const status = h('p', { class: 'muted', id: 'account-txs-range' }, 'Looking through recent blocks…');
  const more = h('button', { type: 'button', id: 'account-txs-more', hidden: true }, 'Look 100 blocks further back');
  const list = h('div');
  fill(box, status, list, h('div', { class: 'actions' }, more));
  let next = head; // the newest height not looked at yet
  const step = async () => {
    const from = next >= 99n ? next - 99n : 0n;
    const headers = (await api(`/api/v1/blocks?from=${from}&limit=${Number(next - from + 1n)}`)).blocks;
    const found = []; // kept only once the whole window is read, so a failed read can be tried again
    for (const b of headers.filter(b => b.txCount > 0).reverse()) {
      const full = await api(`/api/v1/blocks/${b.height}?transactions=full`);
      for (const t of full.transactions)
        if (t.from === address || t.to === address)
          found.push([hashLink('block', String(b.height), 10), hashLink('tx', t.hash), t.kind, hashLink('account', t.from), recipient(t.to), amount(t.amount)]);
    }
    rows.push(...found);
    fill(list, rows.length ? table(['block', 'hash', 'kind', 'from', 'to', 'amount'], rows) : h('p', {}, 'None in these blocks.'));
    status.textContent = `${rows.length} found in blocks ${amount(from)} to ${amount(head)}`;
    more.hidden = from === 0n;
    next = from - 1n;
  };
  more.onclick = ev => busy(ev.currentTarget, step);
  step().catch(e => { status.textContent = e.message; status.className = 'bad'; });
}

/** Heights, hashes, addresses and CIDs: the node says what the text names (GET /api/v1/search). */
export async function search(page, q) {
  const r = await api(`/api/v1/search?q=${encodeURIComponent(q.trim())}`);
  const route = { block: 'block', transaction: 'tx', account: 'account', file: 'file' }[r.kind];
  if (route) { location.replace(`#/${route}/${r.id}`); return; }
  put(page, h('h1', {}, 'Nothing found'), h('p', {}, `'${q}' is not a height, block or transaction hash, address or CID this node knows.`));
}
