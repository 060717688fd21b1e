// Types of Chainlab's JavaScript client (index.js). u64 values are bigint where the library makes them and
// number | bigint | string where it takes them; the API's JSON keeps integers past 2^53 as decimal strings.

export type U64 = number | bigint | string;
export type Hex = string;
/** An address as text: "cl" + base58 of 20 bytes and a 4-byte checksum. */
export type Address = string;

// ---- bytes.js

export function utf8(s: string): Uint8Array;
export function hex(bytes: Uint8Array): Hex;
export function unhex(text: Hex): Uint8Array;
export function concat(...parts: Uint8Array[]): Uint8Array;
export function equal(a: Uint8Array, b: Uint8Array): boolean;
export function u8(v: number): Uint8Array;
export function u32(v: number): Uint8Array;
export function u64(v: U64): Uint8Array;
export function i64(v: U64): Uint8Array;
export function bytes(b: Uint8Array): Uint8Array;
export function text(s: string): Uint8Array;
export function readU64(b: Uint8Array, at?: number): bigint;
export function sha256(...parts: Uint8Array[]): Promise<Uint8Array>;
/** JSON.parse keeping bare integers of 16 digits or more exact, as strings; strings are left as they are. */
export function parseJson(text: string): any;
/** JSON.stringify writing BigInts as JSON numbers (5n as 5). */
export function stringifyJson(value: unknown): string;

// ---- keys.js

export interface Key {
  seed: Uint8Array;
  publicKey: Uint8Array;
  address: Address;
  /** Not extractable. */
  privateKey: CryptoKey;
}

/** The CLI's key file (docs/keystore.md). */
export interface KeyFile {
  version: 1;
  address: Address;
  publicKey: Hex;
  kdf: { name: 'pbkdf2-hmac-sha256'; iterations: number; salt: Hex };
  cipher: { name: 'aes-256-gcm'; nonce: Hex; ciphertext: Hex; tag: Hex };
  label?: string;
}

export const MIN_ITERATIONS: number;
export function base58(buf: Uint8Array): string;
export function unbase58(s: string): Uint8Array;
export function addressBytes(publicKey: Uint8Array): Promise<Uint8Array>;
export function addressText(addr20: Uint8Array): Promise<Address>;
export function addressOf(publicKey: Uint8Array): Promise<Address>;
/** The 20 bytes of an address; throws when it does not parse or its checksum does not match. */
export function parseAddress(text: Address): Promise<Uint8Array>;
export function keyFromSeed(seed: Uint8Array): Promise<Key>;
export function generateKey(): Promise<Key>;
export function sign(key: Key, message: Uint8Array): Promise<Uint8Array>;
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
export function encryptKey(key: Key, password: string, label?: string | null, iterations?: number): Promise<KeyFile>;
export function readKeyFile(json: string | object): KeyFile;
/** Throws "wrong password (or the key file was altered)" as the CLI does. */
export function decryptKey(json: string | object, password: string): Promise<Key>;

// ---- codec.js

export type KindName = 'transfer' | 'stake' | 'unstake' | 'deploy' | 'invoke' | 'authority' | 'authoritychange' | 'evidence' | 'anchor' | 'fileanchor' | 'vote' | 'voteevidence';
export const KINDS: Record<KindName, number>;
export const KIND_NAMES: readonly string[];

/** What a transaction carries besides chain id, nonce and fee (what transfer(), stake() … return). */
export interface TransactionBody {
  kind: KindName | number;
  /** null: the zero address (kinds without a recipient). */
  to: Address | null;
  amount: U64;
  payload: Uint8Array;
}

export interface TransactionFields extends TransactionBody {
  chainId: string;
  nonce: U64;
  fee: U64;
}

export interface SignedTransaction {
  unsigned: Uint8Array;
  signing: Uint8Array;
  signature: Uint8Array;
  raw: Uint8Array;
  rawHex: Hex;
  hash: Hex;
}

export interface DecodedTransaction {
  kind: string;
  kindNumber: number;
  chainId: string;
  senderKey: Hex;
  from: Address;
  nonce: bigint;
  fee: bigint;
  to: Address | null;
  amount: bigint;
  payload: Hex;
  signature: Hex;
  hash: Hex;
}

/** A file ref of a file anchor. */
export interface FileRef { cid: string; size: U64; name: string; mediaType: string }

/** A block header as the API writes it (or the vectors, with `producer` as the key's hex). */
export interface HeaderJson {
  height: U64;
  hash?: Hex;
  parent: Hex;
  timestampMs: U64;
  producer?: string;
  producerKey?: Hex;
  txRoot: Hex;
  stateRoot: Hex;
  filesRoot: Hex;
  txCount: number | string;
  seal: Hex;
}

/** A contract value: nil, booleans, integers, strings, arrays and tables of string keys. */
export type ContractValue = null | undefined | boolean | number | bigint | string | ContractValue[] | { [key: string]: ContractValue };

export function unsignedBytes(fields: TransactionFields & { senderKey: Uint8Array }): Promise<Uint8Array>;
export function signingBytes(unsigned: Uint8Array): Uint8Array;
export function signTransaction(key: Key, fields: TransactionFields): Promise<SignedTransaction>;
export function decodeTransaction(raw: Uint8Array | Hex): Promise<DecodedTransaction>;

export function transfer(to: Address, amount: U64): TransactionBody;
export function stake(amount: U64): TransactionBody;
export function unstake(amount: U64): TransactionBody;
export function authorityChange(op: 'add' | 'remove', keyHex: Hex): TransactionBody;
export function evidence(first: Uint8Array | HeaderJson, second: Uint8Array | HeaderJson): TransactionBody;
export function vote(votes: (Uint8Array | Hex)[]): TransactionBody;
export function voteEvidence(first: Uint8Array | Hex, second: Uint8Array | Hex): TransactionBody;
export function deploy(gasLimit: U64, code: string, args?: ContractValue[], amount?: U64): TransactionBody;
export function invoke(contract: Address, gasLimit: U64, fn: string, args?: ContractValue[], amount?: U64): TransactionBody;
export function fileAnchor(refs: FileRef[]): TransactionBody;

/** Throws for an integer outside the signed 64-bit range, or a number past Number.MAX_SAFE_INTEGER (pass a BigInt). */
export function contractValue(v: ContractValue, depth?: number): Uint8Array;
export function contractArgs(list: ContractValue[]): Uint8Array;
export function deployPayload(gasLimit: U64, code: string, args: ContractValue[]): Uint8Array;
export function invokePayload(gasLimit: U64, fn: string, args: ContractValue[]): Uint8Array;
export function gasLimitOf(payload: Uint8Array): bigint;
export function contractAddress(senderAddress: Address, nonce: U64): Promise<Address>;
export function authorityPayload(op: 'add' | 'remove', keyHex: Hex): Uint8Array;
export function headerBytes(header: HeaderJson): Uint8Array;
export function evidencePayload(first: Uint8Array | HeaderJson, second: Uint8Array | HeaderJson): Uint8Array;
export function votePayload(votes: (Uint8Array | Hex)[]): Uint8Array;
export function voteEvidencePayload(first: Uint8Array | Hex, second: Uint8Array | Hex): Uint8Array;
export function cidBytes(cid: string): Uint8Array;
export function fileRef(ref: FileRef): Uint8Array;
export function anchorPayload(refs: FileRef[]): Uint8Array;

// ---- proofs.js

export interface Verdict { ok: boolean; why: string }

export interface MerkleProof { index: number; leafCount: number; path: Hex[]; txRoot?: Hex }

export interface StateProof {
  stateRoot: Hex;
  height?: U64;
  key: Hex;
  siblings: Hex[];
  leafKey: Hex | null;
  leafValue: Hex | null;
}

export function merkleRoot(items: Uint8Array[]): Promise<Uint8Array>;
export function verifyInclusion(txHashHex: Hex, proof: MerkleProof, rootHex: Hex): Promise<boolean>;
export function accountValueHash(balance: U64, nonce: U64, stake: U64, data?: Uint8Array | null): Promise<Uint8Array>;
/** valueHash: the account's expected value hash, or null to prove it absent. */
export function verifyState(address: Address, proof: StateProof, valueHash: Uint8Array | null): Promise<Verdict>;
export function verifyTransactionProof(result: TransactionStatus, header: HeaderJson): Promise<Verdict>;
export function verifyAccountProof(account: Account, header?: HeaderJson | null): Promise<Verdict>;

/** A checkpoint: a block height at a multiple of the interval and the block's hash (hex). */
export interface CheckpointJson { height: number | bigint | string; hash: Hex; }
/** A vote decoded from its canonical bytes, with whether its signature holds. */
export function decodeVote(raw: Uint8Array): Promise<{ chainId: string; source: { height: bigint; hash: Hex }; target: { height: bigint; hash: Hex }; voter: Hex; signatureValid: boolean }>;
/** Checks a finality proof (bytes, hex, or GET /api/v1/finality/proof's answer) offline against the chain id, interval and anchor you trust. */
export function verifyFinality(proof: Uint8Array | Hex | { proof: Hex }, trusted: { chainId: string; interval: number | bigint; anchor: CheckpointJson }):
  Promise<{ ok: boolean; why: string | null; checkpoint: { height: bigint; hash: Hex } | null }>;

// ---- client.js

/**
 * A problem answer (RFC 9457). type is the slug of docs/api.md ("nonce-gap"), or 'bad-answer' for a successful
 * answer that is not the JSON expected (problem is then null).
 */
export class ChainlabProblem extends Error {
  constructor(status: number, problem: object | null);
  status: number;
  type: string;
  typeUri: string | null;
  title: string | null;
  detail: string | null;
  problem: Record<string, unknown> | null;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: BodyInit;
  timeoutMs?: number;
  binary?: boolean;
  /** The answer's text as it is, JSON or not. */
  text?: boolean;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

export function request(base: string, path: string, options?: RequestOptions): Promise<any>;

export interface Account {
  address: Address;
  balance: U64;
  nonce: U64;
  stake: U64;
  nextNonce: U64;
  data: Hex;
  proof: (StateProof & { height: U64 }) | null;
}

export interface TransactionStatus {
  hash: Hex;
  status: 'pending' | 'included' | 'rejected';
  reason: string | null;
  blockHash: Hex | null;
  blockHeight: U64 | null;
  index: number | null;
  receipt: Record<string, any> | null;
  proof: MerkleProof | null;
  transaction: (Record<string, any> & { raw: Hex }) | null;
}

export interface ChainEvent { type: string; data: any }

export class EventStream implements AsyncIterable<ChainEvent> {
  close(): void;
  [Symbol.asyncIterator](): AsyncIterator<ChainEvent>;
}

export interface ClientOptions {
  timeoutMs?: number;
  /** Sent with every call (an Authorization header, say). */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

export class Client {
  constructor(baseUrl: string, options?: ClientOptions);
  readonly baseUrl: string;
  request(path: string, options?: RequestOptions & { json?: unknown }): Promise<any>;
  status(): Promise<any>;
  peers(): Promise<any>;
  supply(): Promise<any>;
  search(text: string): Promise<{ kind: string; id: string | null }>;
  blocks(options?: { from?: U64; limit?: number }): Promise<{ blocks: HeaderJson[]; next: U64 | null }>;
  block(heightOrHash: U64, options?: { full?: boolean }): Promise<{ header: HeaderJson & { hash: Hex }; transactions: any[]; files: FileRef[] }>;
  blockBytes(height: U64): Promise<Uint8Array>;
  transaction(hash: Hex): Promise<TransactionStatus>;
  submit(tx: Hex | Uint8Array | SignedTransaction): Promise<{ hash: Hex; status: string }>;
  submitBatch(txs: (Hex | Uint8Array | SignedTransaction)[]): Promise<{ accepted: number; rejected: number; results: any[] }>;
  mempool(options?: { offset?: number; limit?: number }): Promise<{ count: number; transactions: any[] }>;
  account(address: Address, options?: { proof?: boolean }): Promise<Account>;
  contract(address: Address): Promise<any>;
  storage(address: Address, key: string, options?: { proof?: boolean }): Promise<any>;
  call(address: Address, fn: string, args?: ContractValue[], options?: { gas?: U64 }): Promise<{ value: any; gasUsed: U64; height: U64 }>;
  contractEvents(address: Address, options?: { from?: U64; limit?: number }): Promise<any>;
  files(options?: { limit?: number; offset?: number; anchoredBy?: Address }): Promise<any>;
  file(cid: string): Promise<any>;
  addFile(data: BodyInit, options?: { name?: string; mediaType?: string; cidVersion?: 0 | 1 }): Promise<{ cid: string }>;
  /** fee, when not given: gas limit × gas price (deploy, invoke), minimum fee × files (file anchor), 0 (evidence), else the minimum fee. */
  send(key: Key, fields: TransactionBody & { fee?: U64; nonce?: U64 }): Promise<{ hash: Hex; signed: SignedTransaction }>;
  events(options?: { signal?: AbortSignal }): Promise<EventStream>;
  /** Wakes on each head of the event stream; should the stream end early, polls every pollMs (1000) until timeoutMs. */
  waitForTransaction(hash: Hex, options?: { timeoutMs?: number; pollMs?: number }): Promise<TransactionStatus>;
}
