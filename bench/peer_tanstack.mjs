#!/usr/bin/env node
// Time TanStack AI's reference StreamProcessor (@tanstack/ai, the conformance/ install) over an
// NDJSON file of AG-UI chunks and print one JSON object. Used by bench/run.py; not a test.
//
//   node bench/peer_tanstack.mjs FILE [--repeat N] [--budget-s S] [--latency]
//
// Per repeat: JSON.parse every line (timed apart, the floor), then a fresh StreamProcessor,
// prepareAssistantMessage(), restoreInboundChunk + processChunk per chunk (what @tanstack/ai-client
// does with each inbound chunk; ChatClient's setTimeout(0) per chunk is left out), finalizeStream().
// The best repeat is reported. A run that exceeds --budget-s stops early and reports how far it
// got (`completed: false`) plus the cost per chunk in each tenth of the part it processed, which
// shows whether the cost per chunk grows with the stream.
// --latency adds one more pass timing each processChunk call (p50/p99/p99.9/max, in µs).
// Install first: npm ci --prefix conformance

import fs from 'node:fs'

const here = new URL('.', import.meta.url)
const pkgDir = new URL('../conformance/node_modules/@tanstack/ai/', here)

function usage(msg) {
  process.stderr.write(`${msg}\nusage: peer_tanstack.mjs FILE [--repeat N] [--budget-s S] [--latency]\n`)
  process.exit(2)
}

const args = process.argv.slice(2)
const file = args[0]
if (!file) usage('missing FILE')
let repeat = 1
let budgetS = 120
let wantLatency = false
for (let i = 1; i < args.length; i++) {
  if (args[i] === '--repeat') repeat = Number(args[++i])
  else if (args[i] === '--budget-s') budgetS = Number(args[++i])
  else if (args[i] === '--latency') wantLatency = true
  else usage(`unknown argument ${args[i]}`)
}

if (!fs.existsSync(new URL('package.json', pkgDir))) {
  process.stdout.write(JSON.stringify({ error: 'conformance/node_modules/@tanstack/ai is not installed (run: npm ci --prefix conformance)' }) + '\n')
  process.exit(3)
}
const version = JSON.parse(fs.readFileSync(new URL('package.json', pkgDir), 'utf8')).version
const { StreamProcessor } = await import(new URL('dist/esm/index.js', pkgDir))
const { restoreInboundChunk } = await import(new URL('dist/esm/client.js', pkgDir))

const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0)
const n = lines.length
const nowNs = () => process.hrtime.bigint()
const secs = (a, b) => Number(b - a) / 1e9

function parseAll() {
  const out = new Array(n)
  for (let i = 0; i < n; i++) out[i] = JSON.parse(lines[i])
  return out
}

function runOnce(chunks, budget) {
  const p = new StreamProcessor({ events: {} })
  p.prepareAssistantMessage()
  const marks = [] // [index, seconds] every n/10 chunks
  const step = Math.max(1, Math.floor(n / 10))
  const deadline = budget * 1e9
  const t0 = nowNs()
  let done = 0
  for (let i = 0; i < n; i++) {
    p.processChunk(restoreInboundChunk(chunks[i]))
    done = i + 1
    if (done % step === 0) {
      const t = nowNs()
      marks.push([done, secs(t0, t)])
      if (Number(t - t0) > deadline) break
    } else if ((done & 1023) === 0 && Number(nowNs() - t0) > deadline) break
  }
  let completed = done === n
  if (completed) p.finalizeStream()
  const total = secs(t0, nowNs())
  return { processor: p, seconds: total, done, completed, marks }
}

function windows(marks) {
  // µs per chunk in each tenth of the processed part
  const out = []
  let [pi, pt] = [0, 0]
  for (const [i, t] of marks) {
    if (i > pi) out.push(Number((((t - pt) / (i - pi)) * 1e6).toFixed(3)))
    ;[pi, pt] = [i, t]
  }
  return out
}

let parseBest = Infinity
let best = null
for (let r = 0; r < Math.max(1, repeat); r++) {
  const t0 = nowNs()
  const chunks = parseAll()
  parseBest = Math.min(parseBest, secs(t0, nowNs()))
  const res = runOnce(chunks, budgetS)
  if (!best || (res.completed && (!best.completed || res.seconds < best.seconds))) best = res
  if (!res.completed) break
}

const messages = best.processor.getMessages()
const out = {
  tanstack_ai: version,
  node: process.version,
  frames: n,
  processed: best.done,
  completed: best.completed,
  parse_s: parseBest,
  process_s: best.seconds,
  us_per_frame_parse: (parseBest / n) * 1e6,
  us_per_frame_process: (best.seconds / best.done) * 1e6,
  us_per_frame_total: (parseBest / n + best.seconds / best.done) * 1e6,
  window_us: windows(best.marks),
  messages: messages.length,
  parts: messages.reduce((a, m) => a + m.parts.length, 0),
  rss_mb: process.memoryUsage().rss / 2 ** 20,
  heap_used_mb: process.memoryUsage().heapUsed / 2 ** 20,
}
best = null

if (wantLatency && out.completed) {
  const chunks = parseAll()
  const p = new StreamProcessor({ events: {} })
  p.prepareAssistantMessage()
  const lat = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const c = restoreInboundChunk(chunks[i])
    const t = nowNs()
    p.processChunk(c)
    lat[i] = Number(nowNs() - t) / 1e3
  }
  lat.sort()
  const q = (f) => lat[Math.min(n - 1, Math.floor(f * n))]
  out.latency_us = { p50: q(0.5), p99: q(0.99), p999: q(0.999), max: lat[n - 1] }
}

process.stdout.write(JSON.stringify(out) + '\n')
