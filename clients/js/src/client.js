// The node's REST API (docs/api.md) over fetch: one method per route, problems (RFC 9457) as ChainlabProblem
// errors, and the event stream read from a streamed fetch, so the same code runs in a browser and in Node.js.
import { parseJson, stringifyJson, hex } from './bytes.js';
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
 * One HTTP exchange with a node: the answer's JSON (u64s past 2^53 as strings), its text with { text: true }, or
 * its bytes with { binary: true }; a problem answer throws ChainlabProblem, and so does a successful answer that
 * is not the JSON expected (type 'bad-answer': a proxy's page, say); a node that does not answer throws fetch's
 * own error.
 */
export async function request(base, path, { method = 'GET', headers, body, timeoutMs = 10000, binary = false, text = false, signal, fetch: doFetch } = {}) {
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
  if (text) return textBody;
  if (res.status === 204) return null; // no content, as asked
  const type = res.headers.get('content-type') ?? '';
  let why = null;
  if (!type.includes('json')) why = `its content type is ${type ? `'${type}'` : 'missing'}`;
  else {
    try { return parseJson(textBody); } catch (e) { why = `it does not parse (${e.message})`; }
  }
  throw badAnswer(res.status, `${method} ${path} answered ${res.status} with a body that is not JSON: ${why}; it begins '${textBody.slice(0, 80)}'`);
}

/** A successful answer that is not what was expected: a ChainlabProblem of type 'bad-answer', with no problem object. */
function badAnswer(status, detail) {
  const e = new ChainlabProblem(status, { type: PROBLEM + 'bad-answer', title: 'The answer is not what was expected', detail });
  e.problem = null; // the node sent no problem; this one is the client's
  return e;
}

const query = params => {
  const q = Object.entries(params).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  return q.length ? '?' + q.join('&') : '';
};
const seg = s => encodeURIComponent(String(s));

/** The fee a transaction of these fields is due on a chain with this status (FileAnchorRules, EvidenceRules). */
function feeDue(fields, status) {
  const kind = typeof fields.kind === 'number' ? fields.kind : KINDS[String(fields.kind).toLowerCase()];
  const payload = fields.payload ?? new Uint8Array(0);
  switch (kind) {
    case KINDS.deploy: case KINDS.invoke: return gasLimitOf(payload) * BigInt(status.contracts.gasPrice);
    case KINDS.evidence: case KINDS.vote: case KINDS.voteevidence: return 0n;
    case KINDS.anchor: {
      if (payload.length < 4) throw new Error('a file anchor payload starts with its number of files');
      return BigInt(status.minFee) * BigInt(new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0));
    }
    default: return BigInt(status.minFee);
  }
}
const rawHex = tx => (typeof tx === 'string' ? tx : tx instanceof Uint8Array ? hex(tx) : tx.rawHex ?? hex(tx.raw));

/** A node's API at a base URL ("http://127.0.0.1:7700"). */
export class Client {
  constructor(baseUrl, { timeoutMs = 10000, headers = {}, fetch: doFetch } = {}) {
    this.baseUrl = String(baseUrl).replace(/\/+$/, '');
    this.timeoutMs = timeoutMs;
    this.headers = headers;
    this.fetch = doFetch ?? ((...a) => globalThis.fetch(...a));
  }

  /** Any route: GET unless options.method says otherwise; a JSON body is sent as such, its BigInts as JSON numbers. */
  request(path, options = {}) {
    const json = options.json !== undefined;
    return request(this.baseUrl, path, {
      timeoutMs: this.timeoutMs, fetch: this.fetch, ...options,
      headers: { ...this.headers, ...(json ? { 'content-type': 'application/json' } : {}), ...options.headers },
      body: json ? stringifyJson(options.json) : options.body,
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
   * other kind builders, or written out. Chain id and nonce come from the node, the fee too unless given: what
   * the kind is due (gas limit × gas price for deploy and invoke, the minimum fee for each file of a file anchor,
   * nothing for evidence, votes and vote evidence, the minimum fee for the rest). Resolves to { hash, signed } once accepted.
   */
  async send(key, fields) {
    const [status, account] = await Promise.all([this.status(), this.account(key.address)]);
    const fee = fields.fee ?? feeDue(fields, status);
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
   * should the stream end early (the node restarting, say), it asks every pollMs instead until the deadline.
   * Resolves to GET /api/v1/transactions/{hash}'s answer. Throws when timeoutMs passes first.
   */
  async waitForTransaction(hash, { timeoutMs = 60000, pollMs = 1000 } = {}) {
    const deadline = AbortSignal.timeout(timeoutMs);
    const late = () => new Error(`transaction ${hash} was neither included nor rejected within ${timeoutMs} ms`);
    const settled = async () => {
      try {
        const r = await this.transaction(hash);
        return r.status === 'included' || r.status === 'rejected' ? r : null;
      } catch (e) {
        if (e instanceof ChainlabProblem && e.status === 404) return null; // not seen by this node yet
        throw e;
      }
    };
    const stream = await this.events({ signal: deadline });
    try {
      let r = await settled();
      if (r) return r;
      try {
        for await (const e of stream) if (e.type === 'head' && (r = await settled())) return r;
      } catch (e) {
        if (deadline.aborted || e instanceof ChainlabProblem) throw e;
        // the connection broke: poll below
      }
      // The stream ended before the deadline: ask again every pollMs until it passes.
      while (!deadline.aborted) {
        await new Promise(resolve => {
          const done = () => { clearTimeout(t); deadline.removeEventListener('abort', done); resolve(); };
          const t = setTimeout(done, pollMs);
          deadline.addEventListener('abort', done, { once: true });
        });
        if (deadline.aborted) break;
        try { if ((r = await settled())) return r; } catch (e) { if (e instanceof ChainlabProblem || deadline.aborted) throw e; /* the node is not back yet */ }
      }
      throw late();
    } catch (e) {
      if (deadline.aborted) throw late();
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
