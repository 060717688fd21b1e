// Consensus: what the engine reports (GET /api/v1/status .engine) and what the recent chain shows: PoA turn
// order and takeovers, PoS validators, stakes and slot wins, PoW difficulty and hash rate; forks for all; on a chain
// with finality, the final and justified checkpoints next to the head, each checkpoint's votes and the punished
// double and surround votes.
// Stake, unstake and authority changes are signed here by the wallet.
import { api } from '../lib/api.js';
import { h, fill, put, card, wideCard, fields, table, lineChart, amount, mono, short, link, field, busy, toast } from '../lib/ui.js';
import { addressOf } from '../client/keys.js';
import { unhex, readU64 } from '../client/bytes.js';
import { authorityPayload } from '../client/codec.js';
import * as wallet from '../lib/wallet.js';

export async function render(page, _param, ctx) {
  const body = h('div');
  // The forms stay put while the engine's cards are redrawn at each head (a redraw must not eat what is typed).
  const forms = h('div', { class: 'grid' });
  put(page, h('h1', {}, 'Consensus'), body, forms);
  const draw = async () => {
    const s = await api('/api/v1/status');
    const head = BigInt(s.headHeight), from = head > 99n ? head - 99n : 0n;
    const recent = (await api(`/api/v1/blocks?from=${from}&limit=100`)).blocks;
    const genesis = recent[0]?.height === 0 ? recent[0] : (await api('/api/v1/blocks/0')).header;
    const parts = [card('Forks', fields([['engine', s.consensus.toUpperCase()], ['head weight', amount(s.forks.headWeight)], ['side blocks kept', amount(s.forks.sideBlocks)],
      ['reorganisations', amount(s.forks.reorgs)], ['last depth', amount(s.forks.lastReorgDepth)], ['deepest', amount(s.forks.deepestReorg)]]))];
    if (s.consensus === 'poa') parts.push(...await poa(s, recent, genesis));
    if (s.consensus === 'pos') parts.push(...await pos(s, recent));
    if (s.consensus === 'pow') parts.push(...pow(s, recent));
    if (s.finalizedHeight !== null && s.finalizedHeight !== undefined) parts.push(...await finality(s));
    fill(body, h('div', { class: 'grid' }, parts));
    if (!forms.hasChildNodes()) fill(forms, stakeForm(), s.consensus === 'poa' ? authorityForm() : null);
  };
  await draw();
  ctx.onHead(() => draw().catch(() => {}));
}

async function poa(s, recent, genesis) {
  const e = s.engine;
  const names = await Promise.all(e.authorities.map(k => addressOf(unhex(k))));
  const n = e.authorities.length;
  const slotOf = b => Math.floor((Number(b.timestampMs) - Number(genesis.timestampMs)) / Number(s.blockTimeMs));
  // A block made by another authority than the one in turn for its slot is a takeover (the one in turn was late).
  const takeovers = recent.filter(b => b.height > 0 && b.producerKey !== e.authorities[((slotOf(b) % n) + n) % n]);
  return [
    wideCard('Authorities (turn order)', table(['#', 'address', 'key', 'turn'], e.authorities.map((k, i) =>
      [String(i), link(`#/account/${names[i]}`, names[i]), mono(short(k, 16)), k === e.inTurn ? h('b', {}, 'in turn now') : '']), { id: 'authorities' }),
      fields([['admin key', mono(e.admin)], ['next slot', amount(e.nextSlot)], ['takeover after', `${e.takeoverMs} ms`]])),
    card('Pending changes', table(['action', 'key', 'from height'], e.pending.map(p => [p.action, mono(short(p.key, 16)), amount(p.effectiveHeight)]))),
    card(`Takeovers in the last ${recent.length} blocks: ${takeovers.length}`, table(['block', 'producer'], takeovers.slice(-10).map(b => [link(`#/block/${b.height}`, String(b.height)), mono(short(b.producer, 16))]))),
  ];
}

async function pos(s, recent) {
  const e = s.engine;
  const wins = new Map();
  for (const b of recent) if (b.height > 0) wins.set(b.producer, (wins.get(b.producer) ?? 0) + 1);
  const slashed = await Promise.all(e.slashed.map(async x => [await addressOf(unhex(x.key)), x.slot]));
  return [
    card('Epoch', fields([['epoch', amount(e.epoch)], ['slot', amount(e.slot)], ['slots per epoch', amount(e.epochSlots)], ['total stake', amount(e.totalStake)], ['randomness', mono(e.randomness)]])),
    wideCard('Validators', table(['address', 'epoch stake', 'active', 'bonding', 'unbonding', 'win chance / slot', `wins (last ${recent.length})`],
      e.validators.map(v => [link(`#/account/${v.address}`, short(v.address, 14)), amount(v.epochStake), v.active ? 'yes' : 'no',
        amount(v.bonding.reduce((a, b) => a + BigInt(b.amount), 0n)), amount(v.unbonding.reduce((a, b) => a + BigInt(b.amount), 0n)),
        `${(v.winChancePerSlot * 100).toFixed(1)} %`, String(wins.get(v.address) ?? 0)]), { id: 'validators' })),
    card('Slashes', table(['validator', 'slot'], slashed.map(([a, slot]) => [link(`#/account/${a}`, a), amount(slot)]))),
  ];
}

function pow(s, recent) {
  const e = s.engine;
  const mined = recent.filter(b => b.height > 0);
  const difficulty = mined.map(b => ({ x: Number(b.height), y: Number(readU64(unhex(b.seal), 0)) }));
  const interval = mined.slice(1).map((b, i) => ({ x: Number(b.height), y: (Number(b.timestampMs) - Number(mined[i].timestampMs)) / 1000 }));
  // Hashes per second the chain needed: difficulty (expected hashes per block) over the block interval.
  const rate = mined.slice(1).map((b, i) => ({ x: Number(b.height), y: Number(readU64(unhex(b.seal), 0)) / Math.max(0.05, interval[i].y) / 1e6 }));
  return [
    card('Proof of work', fields([['difficulty', amount(e.difficulty)], ['next difficulty', amount(e.nextDifficulty)], ['retarget every', `${e.retargetInterval} blocks`],
      ['this node\'s hash rate', `${amount(e.hashRate)} H/s`], ['mining threads', String(e.miningThreads)]])),
    wideCard(`Last ${mined.length} blocks`, h('div', { class: 'grid' }, lineChart('difficulty', difficulty, { digits: 0 }), lineChart('block interval', interval, { unit: ' s', digits: 2 }),
      lineChart('network hash rate (difficulty / interval)', rate, { unit: ' MH/s', digits: 2 }))),
  ];
}

function stakeForm() {
  const amountIn = h('input', { type: 'text', inputmode: 'numeric', pattern: '[0-9]+', value: '1000', id: 'stake-amount' });
  const go = kind => async ev => busy(ev.currentTarget, async () => {
    const hash = await wallet.send({ kind, amount: amountIn.value.trim() });
    toast(`${kind} sent: ${short(hash, 12)}`, 'ok');
    location.hash = `#/tx/${hash}`;
  });
  return card('Stake with the wallet key', h('p', { class: 'muted' }, 'On proof of stake, staked coins take part in the lottery from the next epoch; unstaked coins come back after the unbonding period.'),
    field('amount', amountIn), h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: go('stake'), id: 'stake' }, 'Stake'), h('button', { type: 'button', onclick: go('unstake'), id: 'unstake' }, 'Unstake')));
}

function authorityForm() {
  const key = h('input', { type: 'text', placeholder: '64 hex digits', id: 'authority-key', class: 'mono' });
  const op = h('select', { id: 'authority-op' }, h('option', { value: 'add' }, 'add'), h('option', { value: 'remove' }, 'remove'));
  const send = ev => busy(ev.currentTarget, async () => {
    const payload = authorityPayload(op.value, key.value.trim());
    const hash = await wallet.send({ kind: 'authority', payload, explain: [`${op.value} authority ${key.value.trim()}`] });
    toast(`authority change sent: ${short(hash, 12)}`, 'ok');
    location.hash = `#/tx/${hash}`;
  });
  return card('Change the authorities (admin key only)', h('div', { class: 'row' }, field('action', op), field('public key', key)),
    h('button', { type: 'button', onclick: send, id: 'authority-send' }, 'Sign and send'));
}

async function finality(s) {
  const f = await api('/api/v1/finality');
  const lf = f.lastFinalized, lj = f.lastJustified;
  const cp = c => c ? link(`#/block/${c.height}`, `${c.height} (${short(c.hash, 12)})`) : '-';
  const share = c => BigInt(c.totalWeight) === 0n ? '-' : `${(Number(BigInt(c.votedWeight) * 1000n / BigInt(c.totalWeight)) / 10).toFixed(1)} %`;
  const offences = await Promise.all((f.offences ?? []).map(async o => [link(`#/account/${o.address}`, o.address), amount(o.height)]));
  return [
    card('Finality', h('div', { id: 'finality' }, fields([['head', amount(s.headHeight)], ['final', cp(lf)], ['justified', cp(lj)],
      ['behind the head', lf ? amount(BigInt(s.headHeight) - BigInt(lf.height)) : '-'], ['checkpoint every', `${f.checkpointInterval} blocks`],
      ['votes at depth', amount(f.voteDepth)],
      ['proof', lf && BigInt(lf.height) > 0n ? h('a', { href: `/api/v1/finality/proof?height=${lf.height}`, target: '_blank' }, `of checkpoint ${lf.height} (check it with chain verify-finality)`) : '-']]))),
    wideCard('Checkpoints (from the last final one)', table(['checkpoint', 'justified', 'final', 'voted', 'voters'],
      f.checkpoints.map(c => [cp(c), c.justified ? 'yes' : 'no', c.finalized ? 'yes' : 'no', share(c), String(c.voters)]), { id: 'checkpoints' })),
    card('Punished double and surround votes', table(['voter', 'target height'], offences)),
  ];
}
