// Blocks: the chain newest first, 25 a page; the top page grows live as blocks arrive.
import { api } from '../lib/api.js';
import { h, fill, put, table, hashLink, ago, short, amount } from '../lib/ui.js';

const PAGE = 25n;

export async function render(page, param, ctx) {
  const status = await api('/api/v1/status');
  const head = BigInt(status.headHeight);
  const top = param && /^\d+$/.test(param) && BigInt(param) < head ? BigInt(param) : head;
  const body = h('div');
  const load = async upTo => {
    const from = upTo >= PAGE - 1n ? upTo - PAGE + 1n : 0n;
    const r = await api(`/api/v1/blocks?from=${from}&limit=${PAGE}`);
    const rows = r.blocks.filter(b => BigInt(b.height) <= upTo).reverse().map(b => [
      hashLink('block', String(b.height), 12), h('span', { class: 'mono', title: b.hash }, short(b.hash, 16)), String(b.txCount),
      h('a', { href: `#/account/${b.producer}`, class: 'mono', title: b.producer }, short(b.producer, 12)), ago(b.timestampMs)]);
    fill(body, table(['height', 'hash', 'txs', 'producer', 'time'], rows, { id: 'blocks-table' }),
      h('div', { class: 'actions' },
        upTo < head ? h('a', { href: `#/blocks/${upTo + PAGE > head ? head : upTo + PAGE}` }, '← newer') : null,
        from > 0n ? h('a', { href: `#/blocks/${from - 1n}` }, 'older →') : null));
  };
  put(page, h('h1', {}, `Blocks (head ${amount(status.headHeight)})`), body);
  await load(top);
  if (top === head) ctx.onHead(hd => load(BigInt(hd.height)));
}
