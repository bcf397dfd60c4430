#!/usr/bin/env node
// Reference runner: feed a TanStack AI chunk stream through the published StreamProcessor
// and print what it produced, for differential tests against streamfold's Python decoder.
//
//   node conformance/run_reference.mjs <current|legacy|erab> <file> [--initial-messages <json>]
//   node conformance/run_reference.mjs --batch <dir>      (version picked by file-name prefix)
//   node conformance/run_reference.mjs --jobs <jobs.json> ([{key, version, file}] -> {key: output};
//                                         the Python conformance suite runs everything in one call)
//
// Versions (see package.json): current = @tanstack/ai 0.58.0, legacy = 0.2.2 (era A),
// erab = 0.10.3 (era B, TanStack-flavoured AG-UI).
//
// Input formats (auto-detected):
//   *.json    ChunkRecording {version, chunks:[{chunk, ...}], result}; the chunks are fed directly.
//   SSE       any line starting with "data:" -> Server-Sent Events.
//   otherwise NDJSON, one JSON chunk per line (a durable `{id, chunk}` envelope is accepted).
//
// How chunks reach the processor:
//   current + SSE/NDJSON: through @tanstack/ai-client's own transport (fetchServerSentEvents /
//     fetchHttpStream with a fetchClient that returns the file's bytes). That is exactly the
//     browser path: line splitting, `id:` handling, durable envelopes, `[DONE]` -> synthesized
//     RUN_FINISHED, StreamTruncatedError, and restoreInboundChunk() on every chunk.
//   current + .json: restoreInboundChunk() (from @tanstack/ai/client) on each chunk, as the
//     ChatClient does, then the processor.
//   legacy / erab: minimal parsing (no client package of those eras is installed): `data:` lines
//     (one leading space stripped), `[DONE]` ends the stream, blank/comment/event:/id:/retry: lines
//     skipped; chunks fed unmodified.
// The processor is driven as its ChatClient drives it: current/erab call
// prepareAssistantMessage(); legacy (0.2.x) must call startAssistantMessage() or it writes no
// UI parts at all. Then `process(asyncIterable)` = reset + processChunk* + finalizeStream.
//
// Output: one JSON object {messages, result, callbacks[, transportError]}.
//   Ids/timestamps that the processor generated itself (not present anywhere in the input)
//   are replaced by "<generated-N>" / "<generated-date>" so the output is deterministic.
//   callbacks = ordered processor events: onStreamStart, onStreamEnd, onError, onToolCall,
//   onApprovalRequest, onCustomEvent, and onToolCallStateChange (only when a call's state
//   changes, i.e. consecutive duplicates are dropped; args deltas are not listed).
//   areAllToolsComplete = processor.areAllToolsComplete() after the stream.
//
// Continuations: when `<scenario>.initial.json` sits next to the input (a UIMessage[] or
// {"messages": UIMessage[], ...}), or `--initial-messages FILE` is given, the processor starts
// from those messages as TanStack's ChatClient starts it (`new StreamProcessor({initialMessages})`,
// then prepareAssistantMessage() and the stream), and the input's strings include them.
//
// Client actions: when `<scenario>.actions.json` sits next to the input (a JSON list of
// {"action": "addToolApprovalResponse", "approvalId", "approved"} and
// {"action": "addToolResult", "toolCallId", "output", "error"?}), they are applied after the
// stream, in order, and the output gains
//   afterActions = {messages, areAllToolsComplete, callbacks}  (callbacks fired by the actions).

import fs from 'node:fs'
import path from 'node:path'

const VERSIONS = {
  current: '@tanstack/ai',
  legacy: 'legacy',
  erab: 'erab',
}

export function versionForName(name) {
  const m = /^(?:tanstack-)?(legacy|erab)-/i.exec(name)
  return m ? m[1].toLowerCase() : 'current'
}

function isSSE(text) {
  return text.split('\n').some((l) => l.startsWith('data:'))
}

function parseLoose(text, file) {
  // legacy / erab path (see header comment)
  const chunks = []
  const sse = isSSE(text)
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (!line.trim()) continue
    let data
    if (sse) {
      if (!line.startsWith('data:')) continue
      data = line.slice(5)
      if (data.startsWith(' ')) data = data.slice(1)
    } else {
      data = line
    }
    if (data === '[DONE]') break
    let parsed
    try {
      parsed = JSON.parse(data)
    } catch (e) {
      throw new Error(`${file}: bad JSON line: ${line.slice(0, 120)}`)
    }
    if (parsed && parsed.type === undefined && 'id' in parsed && 'chunk' in parsed) parsed = parsed.chunk
    chunks.push(parsed)
  }
  return chunks
}

async function* fromArray(items) {
  for (const item of items) yield item
}

/** Collect every string that occurs in the input, to tell stream ids from generated ones. */
function collectStrings(value, out = new Set()) {
  if (typeof value === 'string') out.add(value)
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, out)
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collectStrings(v, out)
  return out
}

function makeNormalizer(inputStrings) {
  const generated = new Map()
  const ID_KEYS = new Set(['id', 'messageId', 'toolCallId', 'approvalId', 'stepId', 'parentMessageId'])
  const norm = (value, key) => {
    if (value instanceof Date) {
      const iso = Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()
      return inputStrings.has(iso) ? iso : '<generated-date>'
    }
    if (typeof value === 'string' && ID_KEYS.has(key) && !inputStrings.has(value)) {
      if (!generated.has(value)) generated.set(value, `<generated-${generated.size + 1}>`)
      return generated.get(value)
    }
    if (Array.isArray(value)) return value.map((v) => norm(v, key))
    if (value && typeof value === 'object') {
      const out = {}
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue
        out[k] = k === 'createdAt' ? norm(v instanceof Date ? v : new Date(v), k) : norm(v, k)
      }
      return out
    }
    return value
  }
  return norm
}

function summarizeError(err) {
  const out = { message: err?.message ?? String(err) }
  if (err?.code !== undefined) out.code = err.code
  if (err?.name && err.name !== 'Error') out.name = err.name
  return out
}

async function clientIterable(mod, kind, bytes) {
  // The real @tanstack/ai-client transport, fed from a fetchClient that serves the file.
  const client = await import('@tanstack/ai-client')
  let calls = 0
  const fetchClient = async () => {
    calls += 1
    if (calls > 1) {
      // A resumable transport may try to reconnect (Last-Event-ID); a recording has no more bytes.
      return new Response('', { status: 204 })
    }
    return new Response(bytes, {
      status: 200,
      headers: { 'content-type': kind === 'sse' ? 'text/event-stream' : 'application/x-ndjson' },
    })
  }
  const adapter =
    kind === 'sse'
      ? client.fetchServerSentEvents('http://reference.invalid/api/chat', { fetchClient, reconnect: { maxAttempts: 1, delayMs: 0 } })
      : client.fetchHttpStream('http://reference.invalid/api/chat', { fetchClient, reconnect: { maxAttempts: 1, delayMs: 0 } })
  return adapter.connect([], undefined, undefined, undefined)
}

function loadInitial(file, initialFile) {
  const sidecar = file.replace(SCENARIO_EXT, '.initial.json')
  const chosen = initialFile ?? (sidecar !== file && fs.existsSync(sidecar) ? sidecar : null)
  if (!chosen) return null
  const loaded = JSON.parse(fs.readFileSync(chosen, 'utf8'))
  return Array.isArray(loaded) ? loaded : loaded.messages
}

export async function runOne(version, file, initialFile) {
  const initialMessages = loadInitial(file, initialFile)
  const pkg = VERSIONS[version]
  if (!pkg) throw new Error(`unknown version ${version} (expected current|legacy|erab)`)
  const mod = await import(pkg)
  const text = fs.readFileSync(file, 'utf8')
  const isRecordingJson = file.endsWith('.json')

  let chunks = null // array when parsed here
  let source // async iterable fed to process()
  if (isRecordingJson) {
    const rec = JSON.parse(text)
    chunks = rec.chunks.map((c) => c.chunk)
    if (version === 'current') {
      const { restoreInboundChunk } = await import('@tanstack/ai/client')
      chunks = chunks.map((c) => restoreInboundChunk(structuredClone(c)))
    }
  } else if (version === 'current') {
    source = await clientIterable(mod, isSSE(text) ? 'sse' : 'ndjson', Buffer.from(text, 'utf8'))
  } else {
    chunks = parseLoose(text, file)
  }

  const inputStrings = collectStrings(isRecordingJson ? JSON.parse(text) : text.split('\n').flatMap((l) => {
    const d = l.startsWith('data:') ? l.slice(5).trim() : l.trim()
    try { return [JSON.parse(d)] } catch { return [] }
  }))
  if (initialMessages) collectStrings(initialMessages, inputStrings)
  const norm = makeNormalizer(inputStrings)

  const callbacks = []
  const lastState = new Map()
  const events = {
    onStreamStart: () => callbacks.push({ event: 'onStreamStart' }),
    onStreamEnd: (message) => callbacks.push({ event: 'onStreamEnd', args: { messageId: message?.id } }),
    onError: (error) => callbacks.push({ event: 'onError', args: summarizeError(error) }),
    onToolCall: (args) => callbacks.push({ event: 'onToolCall', args }),
    onApprovalRequest: (args) => callbacks.push({ event: 'onApprovalRequest', args }),
    onCustomEvent: (eventType, data, context) =>
      callbacks.push({ event: 'onCustomEvent', args: { eventType, data, context } }),
    onToolCallStateChange: (messageId, toolCallId, state) => {
      if (lastState.get(toolCallId) === state) return
      lastState.set(toolCallId, state)
      callbacks.push({ event: 'onToolCallStateChange', args: { messageId, toolCallId, state } })
    },
  }
  const processor = new mod.StreamProcessor(
    initialMessages ? { events, initialMessages: structuredClone(initialMessages) } : { events },
  )
  if (version === 'legacy') processor.startAssistantMessage()
  else processor.prepareAssistantMessage()

  let transportError
  let result
  const iterable = source ?? fromArray(chunks)
  // Wrap so a transport error (e.g. StreamTruncatedError) still lets the processor finalize,
  // exactly like process() would see an ended stream; the error is reported separately.
  const guarded = (async function* () {
    try {
      yield* iterable
    } catch (error) {
      transportError = summarizeError(error)
    }
  })()
  result = await processor.process(guarded)

  const out = {
    messages: norm(processor.getMessages(), 'messages'),
    result: norm(result, 'result'),
    callbacks: norm(callbacks, 'callbacks'),
    areAllToolsComplete: processor.areAllToolsComplete(),
  }
  if (transportError) out.transportError = transportError

  const actionsFile = file.replace(SCENARIO_EXT, '.actions.json')
  if (actionsFile !== file && fs.existsSync(actionsFile)) {
    const before = callbacks.length
    for (const action of JSON.parse(fs.readFileSync(actionsFile, 'utf8'))) {
      if (action.action === 'addToolApprovalResponse') {
        processor.addToolApprovalResponse(action.approvalId, action.approved)
      } else if (action.action === 'addToolResult') {
        processor.addToolResult(action.toolCallId, action.output, action.error)
      } else {
        throw new Error(`${actionsFile}: unknown action ${action.action}`)
      }
    }
    out.afterActions = {
      messages: norm(processor.getMessages(), 'messages'),
      areAllToolsComplete: processor.areAllToolsComplete(),
      callbacks: norm(callbacks.slice(before), 'callbacks'),
    }
  }
  return out
}

const SCENARIO_EXT = /\.(ndjson|jsonl|sse|json)$/

export async function runBatch(dir) {
  const out = {}
  // *.manifest.json files describe recordings; they are not chunk streams.
  // *.actions.json files are client actions applied after a scenario (see the header).
  const files = fs
    .readdirSync(dir)
    .filter(
      (f) =>
        SCENARIO_EXT.test(f) &&
        !f.endsWith('.manifest.json') &&
        !f.endsWith('.actions.json') &&
        !f.endsWith('.initial.json'),
    )
    .sort()
  for (const f of files) {
    const name = f.replace(SCENARIO_EXT, '')
    if (name in out) throw new Error(`duplicate scenario name ${name} in ${dir}`)
    try {
      out[name] = await runOne(versionForName(name), path.join(dir, f))
    } catch (error) {
      out[name] = { runnerError: summarizeError(error) }
    }
  }
  return out
}

export async function runJobs(jobs) {
  const out = {}
  for (const { key, version, file } of jobs) {
    try {
      out[key] = await runOne(version, file)
    } catch (error) {
      out[key] = { runnerError: summarizeError(error) }
    }
  }
  return out
}

async function main(argv) {
  if (argv[0] === '--batch' && argv[1]) {
    process.stdout.write(JSON.stringify(await runBatch(argv[1])) + '\n')
    return
  }
  if (argv[0] === '--jobs' && argv[1]) {
    const jobs = JSON.parse(fs.readFileSync(argv[1], 'utf8'))
    process.stdout.write(JSON.stringify(await runJobs(jobs)) + '\n')
    return
  }
  let initialFile
  const flag = argv.indexOf('--initial-messages')
  if (flag !== -1) {
    initialFile = argv[flag + 1]
    argv = [...argv.slice(0, flag), ...argv.slice(flag + 2)]
  }
  if (argv.length !== 2 || !VERSIONS[argv[0]] || (flag !== -1 && !initialFile)) {
    process.stderr.write(
      'usage: run_reference.mjs <current|legacy|erab> <file> [--initial-messages <UIMessage[].json>]' +
        ' | --batch <dir> | --jobs <jobs.json>\n',
    )
    process.exit(2)
  }
  process.stdout.write(JSON.stringify(await runOne(argv[0], argv[1], initialFile)) + '\n')
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('run_reference.mjs')) {
  await main(process.argv.slice(2))
}
