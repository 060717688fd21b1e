// Files: upload to a CID (with progress), anchor it on chain with the wallet, list what the node keeps and what
// an address anchored, look up and download by CID (through the node's /ipfs/ gateway).
import { api, apiBase, ownBase, ApiError } from '../lib/api.js';
import { h, fill, put, card, fields, table, amount, mono, link, field, busy, toast, hashLink, time } from '../lib/ui.js';
import { anchorPayload } from '../client/codec.js';
import * as wallet from '../lib/wallet.js';

export async function render(page, param, _ctx, name) {
  put(page, h('h1', {}, 'Files'));
  const lookup = h('input', { type: 'text', id: 'cid-input', placeholder: 'Qm… or bafy…', value: name === 'file' ? param : '' });
  put(page, h('form', { class: 'row', onsubmit: e => { e.preventDefault(); location.hash = `#/file/${lookup.value.trim()}`; } },
    field('find a file by CID', lookup), h('button', { type: 'submit' }, 'Find')));
  if (name === 'file' && param) put(page, await fileView(param));
  put(page, uploadCard());
  const by = name === 'files' && param?.startsWith('cl') ? param : wallet.current();
  const [kept, anchored] = await Promise.all([api('/api/v1/files?limit=50'), by ? api(`/api/v1/files?anchoredBy=${by}&limit=50`) : null]);
  put(page,
    anchored ? card(`Anchored by ${by}`, table(['block', 'CID', 'name', 'size', 'tx'], anchored.anchors.map(a =>
      [link(`#/block/${a.height}`, String(a.height)), hashLink('file', a.file.cid, 16), a.file.name, amount(a.file.size), hashLink('tx', a.txHash, 10)]), { id: 'anchored-files' })) : null,
    card('Kept by this node', table(['CID', 'name', 'size', 'type', 'added', 'expires'], kept.files.map(f =>
      [hashLink('file', f.cid, 16), f.name ?? '', amount(f.size), f.mediaType ?? '', time(f.addedMs), f.expiresMs ? time(f.expiresMs) : 'anchored: kept']), { id: 'kept-files' })));
}

async function fileView(cid) {
  let f;
  try { f = await api(`/api/v1/files/${encodeURIComponent(cid)}`); }
  catch (e) { if (e instanceof ApiError) return card('Not found', h('p', { class: 'bad', role: 'alert' }, e.message)); throw e; }
  const url = `${apiBase()}/ipfs/${f.cid}`;
  return card(f.name ?? f.cid, fields([['CID', mono(f.cid)], ['kind', f.kind], ['size', `${amount(f.size)} bytes`], ['type', f.mediaType],
    ['kept', f.kept ? (f.expiresMs ? `until ${time(f.expiresMs)} unless anchored` : 'for good (anchored)') : 'no'],
    ['download', h('a', { href: url, download: f.name ?? f.cid, id: 'download-link' }, `/ipfs/${f.cid}`)]]),
    f.entries ? table(['name', 'CID', 'size'], f.entries.map(e => [e.name, hashLink('file', e.cid, 16), amount(e.size ?? '')])) : null,
    f.anchors.length ? table(['block', 'by', 'tx'], f.anchors.map(a => [link(`#/block/${a.height}`, String(a.height)), hashLink('account', a.anchoredBy), hashLink('tx', a.txHash, 10)])) : h('p', { class: 'muted' }, 'Not anchored on chain yet.'),
    f.kind === 'file' ? anchorButton({ cid: f.cid, size: f.size, name: f.name ?? 'file', mediaType: f.mediaType ?? 'application/octet-stream' }) : null);
}

function anchorButton(ref) {
  const out = h('span');
  return h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', id: 'anchor', onclick: ev => busy(ev.currentTarget, async () => {
    const hash = await wallet.send({ kind: 'anchor', payload: anchorPayload([ref]), explain: [`anchor ${ref.cid}`, `${ref.name}, ${ref.size} bytes, ${ref.mediaType}`] });
    fill(out, 'anchor sent: ', hashLink('tx', hash, 16));
    toast('anchor sent', 'ok');
  }) }, 'Anchor on chain with the wallet key'), out);
}

function uploadCard() {
  const input = h('input', { type: 'file', id: 'upload-file' });
  const version = h('select', { id: 'upload-cid-version' }, h('option', { value: '0' }, 'CIDv0 (Qm…, as ipfs add)'), h('option', { value: '1' }, 'CIDv1 (bafy…)'));
  const bar = h('progress', { max: 100, value: 0, id: 'upload-progress' });
  const out = h('div', { id: 'upload-result' });
  const upload = ev => busy(ev.currentTarget, async () => {
    const file = input.files[0];
    if (!file) throw new Error('choose a file first');
    const stored = await send(file, version.value, p => { bar.value = p; });
    const ref = { cid: stored.cid, size: stored.size, name: stored.name ?? file.name, mediaType: stored.mediaType ?? 'application/octet-stream' };
    fill(out, fields([['CID', link(`#/file/${stored.cid}`, stored.cid, { id: 'uploaded-cid' })], ['size', `${amount(stored.size)} bytes`]]), anchorButton(ref));
    toast(`stored as ${stored.cid}`, 'ok');
  });
  return card('Upload', field('file', input), field('CID version', version), bar,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: upload, id: 'upload' }, 'Upload')), out);
}

/** XMLHttpRequest, not fetch: it reports upload progress. */
function send(file, cidVersion, progress) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    const q = new URLSearchParams({ name: file.name.replace(/\//g, '_').slice(0, 255), cidVersion });
    if (/^[\w.+-]+\/[\w.+-]+$/.test(file.type)) q.set('mediaType', file.type);
    x.open('POST', `${ownBase()}/api/v1/files?${q}`);
    x.setRequestHeader('content-type', 'application/octet-stream');
    x.upload.onprogress = e => { if (e.lengthComputable) progress(Math.round(e.loaded / e.total * 100)); };
    x.onload = () => {
      let body = null;
      try { body = JSON.parse(x.responseText); } catch { /* not JSON */ }
      if (x.status === 201) { progress(100); resolve(body); } else reject(new Error(body?.detail ?? `upload failed: HTTP ${x.status}`));
    };
    x.onerror = () => reject(new Error('the node did not answer the upload'));
    x.send(file);
  });
}
