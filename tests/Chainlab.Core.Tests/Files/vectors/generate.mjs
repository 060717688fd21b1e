// Regenerates unixfs.json: CIDs made by an independent UnixFS implementation (ipfs-unixfs-importer, with
// the settings of kubo's `ipfs add`: profile unixfs-v0-2015, i.e. CIDv0, 256 KiB chunks, balanced DAG of at
// most 174 links; and `--cid-version=1`: the same with raw leaves and CIDv1).
//   cd /tmp/x && npm install ipfs-unixfs-importer@17 blockstore-core @ipld/car multiformats
//   node /path/to/generate.mjs > unixfs.json      (from /tmp/x so that the imports resolve)
import { importer } from 'ipfs-unixfs-importer'
import { MemoryBlockstore } from 'blockstore-core'
import { CarWriter } from '@ipld/car'

// The same byte pattern the C# tests make: byte i of a file of n bytes (each 256 KiB chunk differs from the last).
const content = (n, seed) => { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = ((i * 7) + (i >>> 9) + Math.floor(i / 262144) + seed) & 0xff; return b }
const text = s => new TextEncoder().encode(s)
const v0 = { profile: 'unixfs-v0-2015' }
const v1 = { profile: 'unixfs-v0-2015', cidVersion: 1, rawLeaves: true }

async function add (entries, options) {
  const store = new MemoryBlockstore()
  let last
  for await (const e of importer(entries, store, options)) last = e
  return { cid: last.cid, store }
}

const KiB = 1024, chunk = 256 * KiB
const sizes = [0, 1, 100, chunk - 1, chunk, chunk + 1, 3 * chunk + 5, 174 * chunk, 174 * chunk + 1, 174 * chunk * 2 + 3]
const files = []
for (const size of sizes) {
  const one = async o => (await add([{ content: content(size, 3) }], o)).cid.toString()
  files.push({ size, seed: 3, v0: await one(v0), v1: await one(v1) })
}
const hello = { text: 'hello world\n', v0: (await add([{ content: text('hello world\n') }], v0)).cid.toString(), v1: (await add([{ content: text('hello world\n') }], v1)).cid.toString() }

// A directory as `ipfs add -r dir` sees it (paths relative to the directory's parent).
const tree = () => [
  { path: 'dir/b.txt', content: text('hello world\n') },
  { path: 'dir/A.bin', content: content(300000, 9) },
  { path: 'dir/empty', content: new Uint8Array(0) },
  { path: 'dir/sub/c.bin', content: content(5, 1) },
  { path: 'dir/sub/deeper/d', content: text('d') },
  { path: 'dir/nothing' },
]
const dirV0 = await add(tree(), v0)
const dirV1 = await add(tree(), v1)
const emptyDir = (await add([{ path: 'e' }], v0)).cid.toString()

// The CARv1 of the "hello world" file's DAG (one block), as hex.
async function car (root, store) {
  const { writer, out } = CarWriter.create([root])
  const chunks = []
  const done = (async () => { for await (const c of out) chunks.push(c) })()
  const seen = new Set()
  const walk = async cid => {
    if (seen.has(cid.toString())) return
    seen.add(cid.toString())
    let bytes = await store.get(cid)
    if (bytes[Symbol.asyncIterator] || !(bytes instanceof Uint8Array)) { // newer blockstores stream a block in parts
      const parts = []
      for await (const p of bytes) parts.push(p)
      bytes = new Uint8Array(Buffer.concat(parts))
    }
    await writer.put({ cid, bytes })
    if (cid.code === 0x70) {
      const { decode } = await import('@ipld/dag-pb')
      for (const l of decode(bytes).Links) await walk(l.Hash)
    }
  }
  await walk(root)
  await writer.close()
  await done
  return Buffer.concat(chunks).toString('hex')
}
const helloStore = await add([{ content: text('hello world\n') }], v0)
console.log(JSON.stringify({
  generator: 'ipfs-unixfs-importer 17, profile unixfs-v0-2015 (kubo ipfs add defaults); generate.mjs beside this file',
  pattern: 'byte i = (i*7 + (i>>>9) + floor(i/262144) + seed) & 0xff',
  files, hello,
  directory: { v0: dirV0.cid.toString(), v1: dirV1.cid.toString() },
  emptyDirectory: emptyDir,
  helloCar: await car(helloStore.cid, helloStore.store),
}, null, 1))
