// Replays an editing trace with Yjs, the peer Rondo's text CRDT is measured
// against, and prints one JSON object: per-repetition replay times, the
// encoded document size (Y.encodeStateAsUpdate, and its V2 variant) and the heap in use after
// the replay (process.memoryUsage().heapUsed after gc when --expose-gc).
//
//   node --expose-gc yjs.mjs path/to/trace.json.gz [reps]
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import * as Y from 'yjs'

const [path, repsArg] = process.argv.slice(2)
const reps = Number(repsArg ?? 5)
const trace = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8'))

const replay = () => {
  const doc = new Y.Doc()
  const text = doc.getText('text')
  for (const txn of trace.txns) {
    doc.transact(() => {
      for (const [pos, del, ins] of txn.patches) {
        if (del > 0) text.delete(pos, del)
        if (ins !== '') text.insert(pos, ins)
      }
    })
  }
  return doc
}

const gc = globalThis.gc ?? (() => {})
const timesMs = []
let doc
let heapBefore = 0
for (let i = 0; i < reps; i++) {
  doc = null
  gc()
  heapBefore = process.memoryUsage().heapUsed
  const t0 = process.hrtime.bigint()
  doc = replay()
  timesMs.push(Number(process.hrtime.bigint() - t0) / 1e6)
}
const ok = doc.getText('text').toString() === trace.endContent
const size = Y.encodeStateAsUpdate(doc).length
const sizeV2 = Y.encodeStateAsUpdateV2(doc).length
gc()
const heapUsed = process.memoryUsage().heapUsed
console.log(JSON.stringify({
  yjs: JSON.parse(readFileSync(new URL('./node_modules/yjs/package.json', import.meta.url))).version,
  node: process.version, ok, timesMs, encodedBytes: size, encodedBytesV2: sizeV2, heapUsed, docHeap: heapUsed - heapBefore,
  gcExposed: globalThis.gc !== undefined, chars: doc.getText('text').length,
}))
