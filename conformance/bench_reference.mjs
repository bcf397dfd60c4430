#!/usr/bin/env node
// Time the reference StreamProcessor on one assistant message streamed as N text deltas, for
// bench/bench_tanstack.py (it runs this when node and conformance/node_modules are present).
//
//   node conformance/bench_reference.mjs N [DELTA] [current|legacy]
//
// current (0.58): RUN_STARTED, TEXT_MESSAGE_START, N x TEXT_MESSAGE_CONTENT{delta}, END,
// RUN_FINISHED; legacy (0.2.2): N x content{delta, content} + done. Chunks are built before the
// clock starts; the timed part is processChunk per chunk + finalizeStream() on a processor
// with an onMessagesChange listener (as a UI has), the way @tanstack/ai-client drives it
// (without ChatClient's setTimeout(0) per chunk). Prints {"version","n","seconds","chars"}.

const [nArg, deltaArg = 'abc ', which = 'current'] = process.argv.slice(2)
const n = Number(nArg)
if (!Number.isInteger(n) || n <= 0 || !['current', 'legacy'].includes(which)) {
  process.stderr.write('usage: bench_reference.mjs N [DELTA] [current|legacy]\n')
  process.exit(2)
}
const { StreamProcessor } = await import(which === 'current' ? '@tanstack/ai' : 'legacy')

const chunks = []
if (which === 'current') {
  chunks.push({ type: 'RUN_STARTED', threadId: 't', runId: 'r' })
  chunks.push({ type: 'TEXT_MESSAGE_START', messageId: 'm', role: 'assistant' })
  for (let i = 0; i < n; i++) chunks.push({ type: 'TEXT_MESSAGE_CONTENT', messageId: 'm', delta: deltaArg })
  chunks.push({ type: 'TEXT_MESSAGE_END', messageId: 'm' })
  chunks.push({ type: 'RUN_FINISHED', threadId: 't', runId: 'r', finishReason: 'stop' })
} else {
  let content = ''
  for (let i = 0; i < n; i++) {
    content += deltaArg
    chunks.push({ type: 'content', id: 'm', model: 'x', timestamp: 0, delta: deltaArg, content })
  }
  chunks.push({ type: 'done', id: 'm', model: 'x', timestamp: 0, finishReason: 'stop' })
}

let changes = 0
const processor = new StreamProcessor({ events: { onMessagesChange: () => { changes += 1 } } })
if (which === 'legacy') processor.startAssistantMessage()
else processor.prepareAssistantMessage()
const start = process.hrtime.bigint()
for (const chunk of chunks) processor.processChunk(chunk)
processor.finalizeStream()
const seconds = Number(process.hrtime.bigint() - start) / 1e9
const text = processor.getMessages().at(-1)?.parts.at(-1)?.content ?? ''
process.stdout.write(JSON.stringify({ version: which, n, seconds, chars: text.length, changes }) + '\n')
