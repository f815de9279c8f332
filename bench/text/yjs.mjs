// Replays an editing trace with Yjs, the peer Rondo's text CRDT is measured
// against, and prints one JSON object: per-repetition replay times, the
// encoded document size (Y.encodeStateAsUpdate, and its V2 variant) and the
// heap the document holds after the replay (process.memoryUsage().heapUsed
// growth after gc, with --expose-gc).
//
// A sequential trace is replayed on one Y.Doc. A concurrent one runs a
// Y.Doc per agent: before each transaction, the agent's doc applies the
// update of every transaction in its causal history it has not seen, in
// trace order; the update its own transaction emits is kept for the others;
// at the end every doc applies what it has not seen. The document measured
// is agent 0's. This is what bench/text's Go side does with Rondo.
//
//   node --expose-gc yjs.mjs path/to/trace.json.gz [reps]
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import * as Y from 'yjs'

const [path, repsArg] = process.argv.slice(2)
const reps = Number(repsArg ?? 5)
const trace = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8'))
const concurrent = trace.kind === 'concurrent'

const edit = (text, patches) => {
  for (const [pos, del, ins] of patches) {
    if (del > 0) text.delete(pos, del)
    if (ins !== '') text.insert(pos, ins)
  }
}

const replaySequential = () => {
  const doc = new Y.Doc()
  const text = doc.getText('text')
  for (const txn of trace.txns) {
    doc.transact(() => edit(text, txn.patches))
  }
  return doc
}

const replayConcurrent = () => {
  const n = Math.max(trace.numAgents, 1)
  const docs = []
  const seen = []
  for (let a = 0; a < n; a++) {
    const d = new Y.Doc()
    d.clientID = a + 1
    docs.push(d)
    seen.push(new Uint8Array(trace.txns.length))
  }
  const updates = new Array(trace.txns.length)
  trace.txns.forEach((txn, i) => {
    const d = docs[txn.agent]
    const s = seen[txn.agent]
    const todo = []
    const stack = [...txn.parents]
    while (stack.length > 0) {
      const p = stack.pop()
      if (s[p]) continue
      s[p] = 1
      todo.push(p)
      stack.push(...trace.txns[p].parents)
    }
    todo.sort((a, b) => a - b)
    for (const p of todo) if (updates[p] !== null) Y.applyUpdate(d, updates[p])
    let update = null
    const keep = (u) => { update = u }
    d.on('update', keep)
    d.transact(() => edit(d.getText('text'), txn.patches))
    d.off('update', keep)
    updates[i] = update
    s[i] = 1
  })
  docs.forEach((d, a) => {
    updates.forEach((u, i) => { if (!seen[a][i] && u !== null) Y.applyUpdate(d, u) })
  })
  return docs[0]
}

const replay = concurrent ? replayConcurrent : replaySequential
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
