// Chainlab's JavaScript client (README.md): keys and key files, the transaction codec and signing, every
// transaction kind, the node's API and event stream, and offline checks of Merkle and state proofs.
export * from './src/bytes.js';
export * from './src/keys.js';
export * from './src/codec.js';
export * from './src/proofs.js';
export * from './src/client.js';
