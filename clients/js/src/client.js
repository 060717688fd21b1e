// The node's REST API (docs/api.md) over fetch: one method per route, problems (RFC 9457) as ChainlabProblem
// errors, and the event stream read from a streamed fetch, so the same code runs in a browser and in Node.js.
import { parseJson, hex } from './bytes.js';
import { signTransaction, gasLimitOf, KINDS } from './codec.js';

const PROBLEM = 'urn:chainlab:problem:';

/** A problem the node answered (application/problem+json): HTTP status, type (the slug), title and detail. */
export class ChainlabProblem extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.name = 'ChainlabProblem';
    this.status = status;
    /** The slug, as in docs/api.md's table ("nonce-gap"); the full URN is typeUri. */
    this.type = (problem?.type ?? '').replace(PROBLEM, '');
    this.typeUri = problem?.type ?? null;
    this.title = problem?.title ?? null;
    this.detail = problem?.detail ?? null;
    /** The whole problem object as the node sent it (traceId and the like), or null when the body was not JSON. */
    this.problem = problem ?? null;
  }
}

/**
 * One HTTP exchange with a node: the answer's JSON (u64s past 2^53 as strings), its text, or its bytes with
 * { binary: true }; a problem answer throws ChainlabProblem, a node that does not answer fetch's own error.
 */
export async function request(base, path, { method = 'GET', headers, body, timeoutMs = 10000, binary = false, signal, fetch: doFetch } = {}) {
  const init = { method, headers, body, signal: signal ?? AbortSignal.timeout(timeoutMs) };
  if (body instanceof ReadableStream) init.duplex = 'half';
  const res = await (doFetch ? doFetch(base + path, init) : globalThis.fetch(base + path, init));
  if (!res.ok) {
    const textBody = await res.text();
    let problem = null;
    try { problem = JSON.parse(textBody); } catch { /* not JSON */ }
    throw new ChainlabProblem(res.status, problem);
  }
  if (binary) return new Uint8Array(await res.arrayBuffer());
  const textBody = await res.text();
  return (res.headers.get('content-type') ?? '').includes('json') ? parseJson(textBody) : textBody;
}

const query = params => {
  const q = Object.entries(params).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  return q.length ? '?' + q.join('&') : '';
};
const seg = s => encodeURIComponent(String(s));
const rawHex = tx => (typeof tx === 'string' ? tx : tx instanceof Uint8Array ? hex(tx) : tx.rawHex ?? hex(tx.raw));

/** A node's API at a base URL ("http://127.0.0.1:7700"). */
export class Client {
  constructor(baseUrl, { timeoutMs = 10000, headers = {}, fetch: doFetch } = {}) {
    this.baseUrl = String(baseUrl).replace(/\/+$/, '');
    this.timeoutMs = timeoutMs;
    this.headers = headers;
    this.fetch = doFetch ?? ((...a) => globalThis.fetch(...a));
  }

  /** Any route: GET unless options.method says otherwise; a JSON body is sent as such. */
  request(path, options = {}) {
    const json = options.json !== undefined;
    return request(this.baseUrl, path, {
      timeoutMs: this.timeoutMs, fetch: this.fetch, ...options,
      headers: { ...this.headers, ...(json ? { 'content-type': 'application/json' } : {}), ...options.headers },
      body: json ? JSON.stringify(options.json, (_, v) => (typeof v === 'bigint' ? v.toString() : v)) : options.body,
    });
  }

  status() { return this.request('/api/v1/status'); }
  peers() { return this.request('/api/v1/peers'); }
  supply() { return this.request('/api/v1/supply'); }
  search(text) { return this.request('/api/v1/search' + query({ q: text })); }

  /** A page of headers: { blocks, next }. */
  blocks({ from, limit } = {}) { return this.request('/api/v1/blocks' + query({ from, limit })); }
  /** A block by height or hash: { header, transactions, files }; full: whole transactions instead of hashes. */
  block(heightOrHash, { full = false } = {}) { return this.request(`/api/v1/blocks/${seg(heightOrHash)}` + query({ transactions: full ? 'full' : undefined })); }
  /** The canonical bytes of the canonical block at a height. */
  blockBytes(height) { return this.request(`/api/v1/blocks/${seg(height)}/raw`, { binary: true }); }

  /** A transaction's status: pending, included (with receipt and Merkle proof) or rejected. */
  transaction(hash) { return this.request(`/api/v1/transactions/${seg(hash)}`); }
  /** Submits one signed transaction (hex, bytes, or what signTransaction returned): { hash, status, … }. */
  submit(tx) { return this.request('/api/v1/transactions', { method: 'POST', json: { raw: rawHex(tx) } }); }
  /** Submits many at once: { accepted, rejected, results }. */
  submitBatch(txs) { return this.request('/api/v1/transactions/batch', { method: 'POST', json: { transactions: txs.map(rawHex) } }); }
  mempool({ offset, limit } = {}) { return this.request('/api/v1/mempool' + query({ offset, limit })); }

  /** An account (zeros when it has none); proof: with a state proof against the head's state root. */
  account(address, { proof = false } = {}) { return this.request(`/api/v1/accounts/${seg(address)}` + query({ proof: proof ? 'true' : undefined })); }

  contract(address) { return this.request(`/api/v1/contracts/${seg(address)}`); }
  storage(address, key, { proof = false } = {}) { return this.request(`/api/v1/contracts/${seg(address)}/storage/${seg(key)}` + query({ proof: proof ? 'true' : undefined })); }
  /** A read-only call against the head state: { value, gasUsed, height }. */
  call(address, fn, args = [], { gas } = {}) { return this.request(`/api/v1/contracts/${seg(address)}/call`, { method: 'POST', json: { function: fn, args, gas } }); }
  contractEvents(address, { from, limit } = {}) { return this.request(`/api/v1/contracts/${seg(address)}/events` + query({ from, limit })); }

  files({ limit, offset, anchoredBy } = {}) { return this.request('/api/v1/files' + query({ limit, offset, anchoredBy })); }
  file(cid) { return this.request(`/api/v1/files/${seg(cid)}`); }
  /** Adds a file's bytes: { cid, … }. */
  addFile(data, { name, mediaType, cidVersion } = {}) {
    return this.request('/api/v1/files' + query({ name, mediaType, cidVersion }), { method: 'POST', body: data, headers: { 'content-type': 'application/octet-stream' }, timeoutMs: 60000 });
  }

  /**
   * Signs and submits a transaction from key (keyFromSeed, decryptKey): fields from transfer(), stake() and the
   * other kind builders, or written out. Chain id and nonce come from the node, the fee too unless given (the
   * minimum fee, or gas limit × gas price for deploy and invoke). Resolves to { hash, signed } once accepted.
   */
  async send(key, fields) {
    const [status, account] = await Promise.all([this.status(), this.account(key.address)]);
    const kind = typeof fields.kind === 'number' ? fields.kind : KINDS[String(fields.kind).toLowerCase()];
    const contract = kind === KINDS.deploy || kind === KINDS.invoke;
    const fee = fields.fee ?? (contract ? gasLimitOf(fields.payload) * BigInt(status.contracts.gasPrice) : BigInt(status.minFee));
    const signed = await signTransaction(key, { ...fields, chainId: status.chainId, nonce: fields.nonce ?? BigInt(account.nextNonce), fee });
    const accepted = await this.submit(signed);
    return { hash: accepted.hash, signed };
  }

  /**
   * Opens the event stream (docs/api.md, "The event stream"). Resolves once the node has answered; then
   * `for await (const { type, data } of stream)` gives each event (data parsed), until stream.close() or signal.
   */
  async events({ signal } = {}) {
    const stop = new AbortController();
    signal?.addEventListener('abort', () => stop.abort(), { once: true });
    const res = await this.fetch(this.baseUrl + '/api/v1/events', { headers: { ...this.headers, accept: 'text/event-stream' }, signal: stop.signal });
    if (!res.ok) {
      let problem = null;
      try { problem = JSON.parse(await res.text()); } catch { /* not JSON */ }
      throw new ChainlabProblem(res.status, problem);
    }
    return new EventStream(res.body, stop);
  }

  /**
   * Waits until a transaction is included or rejected, looking again at every new head on the event stream;
   * resolves to GET /api/v1/transactions/{hash}'s answer. Throws when timeoutMs passes first.
   */
  async waitForTransaction(hash, { timeoutMs = 60000 } = {}) {
    const deadline = AbortSignal.timeout(timeoutMs);
    const stream = await this.events({ signal: deadline });
    const settled = async () => {
      try {
        const r = await this.transaction(hash);
        return r.status === 'included' || r.status === 'rejected' ? r : null;
      } catch (e) {
        if (e instanceof ChainlabProblem && e.status === 404) return null; // not seen by this node yet
        throw e;
      }
    };
    try {
      let r = await settled();
      if (r) return r;
      for await (const e of stream) if (e.type === 'head' && (r = await settled())) return r;
      throw new Error(`transaction ${hash} was neither included nor rejected within ${timeoutMs} ms`);
    } catch (e) {
      if (deadline.aborted) throw new Error(`transaction ${hash} was neither included nor rejected within ${timeoutMs} ms`);
      throw e;
    } finally { stream.close(); }
  }
}

/** The events of one stream, parsed as they come: { type, data } per event; comments (": keep-alive") are skipped. */
export class EventStream {
  constructor(body, controller) { this.body = body; this.controller = controller; }

  close() { this.controller.abort(); }

  async *[Symbol.asyncIterator]() {
    const decoder = new TextDecoder();
    const reader = this.body.getReader();
    let buffer = '', type = 'message', data = [];
    try {
      for (;;) {
        let chunk;
        try { chunk = await reader.read(); } catch (e) { if (this.controller.signal.aborted) return; throw e; }
        if (chunk.done) return;
        buffer += decoder.decode(chunk.value, { stream: true });
        let end;
        while ((end = buffer.search(/\r\n|\r|\n/)) >= 0) {
          if (end === buffer.length - 1 && buffer[end] === '\r') break; // its \n may be in the next chunk
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1));
          if (line === '') {
            if (data.length) yield { type, data: parseJson(data.join('\n')) };
            type = 'message'; data = [];
          } else if (!line.startsWith(':')) {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') type = value;
            else if (field === 'data') data.push(value);
          }
        }
      }
    } finally {
      reader.releaseLock?.();
      this.controller.abort();
    }
  }
}
