// The dashboard's way to the node's public REST API and event stream, on the JavaScript client's transport
// (clients/js, served at /ui/client/): problems (RFC 9457) are the client's ChainlabProblem errors. What is the
// dashboard's own: when the node that served the page stops answering, reads move to another node of the same
// devnet (each allows the others' pages to read it).
import { request, ChainlabProblem } from '../client/client.js';
import { parseJson } from '../client/bytes.js';

let base = location.origin;
let members = null;
const listeners = new Set();

export const apiBase = () => base;
export const onSwitch = f => listeners.add(f);

/** The client's problem error, by the name the pages use. */
export const ApiError = ChainlabProblem;

const once = (root, path, options = {}, timeoutMs = 8000) => request(root, path, { ...options, timeoutMs });

/**
 * A plain read goes to the node this dashboard reads from and moves to a live sibling when that one is gone.
 * Anything else (a write, a call carrying the devnet's token) goes only to the node that served the page: siblings
 * let other pages read them, never write or pass a token (decisions/0005), and a slow answer is not a dead node.
 */
export async function api(path, options = {}) {
  const plainRead = (!options.method || options.method === 'GET') && !options.headers;
  if (!plainRead) return own(path, options);
  try { return await once(base, path, options); }
  catch (e) {
    if (e instanceof ApiError || !members) throw e;
    for (const m of members) {
      if (m.api === base) continue;
      try {
        const r = await once(m.api, path, options, 3000);
        base = m.api;
        listeners.forEach(f => f(m));
        return r;
      } catch (e2) { if (e2 instanceof ApiError) throw e2; }
    }
    throw new Error(`no node of this devnet answers (${e.message})`);
  }
}

/** Where writes go: the node that served this page. */
export const ownBase = () => location.origin;

// A write may take a while (a devnet command restarts a node); giving up early would not undo it, only hide it.
async function own(path, options) {
  try { return await once(ownBase(), path, options, 30000); }
  catch (e) {
    if (e instanceof ApiError) throw e;
    throw new Error(`the node that served this page does not answer (${e.message}); writes and devnet commands go only to it: open the dashboard of a live node`);
  }
}

/** GET from a given node (another devnet node), with a short time-out. */
export const apiAt = (root, path, timeoutMs = 2500) => once(root, path, {}, timeoutMs);

export const post = (path, body) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** The devnet this node belongs to ({self, nodes, control, misbehaviours}), or null for a node outside a devnet. */
export async function devnet() {
  try {
    const d = await api('/api/v1/devnet');
    members = d.nodes;
    return d;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

/**
 * Follows the event stream: handlers by event type (head, transactions, contract-events), and onState(up) as the
 * stream connects and drops. EventSource reconnects by itself; after a switch of node it follows the new one.
 */
export function follow(handlers, onState = () => {}) {
  let source;
  const open = () => {
    source?.close();
    source = new EventSource(base + '/api/v1/events');
    source.onopen = () => onState(true);
    source.onerror = () => onState(false);
    for (const [type, f] of Object.entries(handlers)) source.addEventListener(type, e => f(parseJson(e.data)));
  };
  open();
  onSwitch(open);
  return () => source?.close();
}
