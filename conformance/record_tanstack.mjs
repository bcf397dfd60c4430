#!/usr/bin/env node
// Record real TanStack AI server output over HTTP into examples/recordings/tanstack-*.
//
//   node conformance/record_tanstack.mjs [--out <dir>] [--only <file-substring>]
//
// What is real and what is scripted:
//   * Scripted: only the upstream model. lib/fake-anthropic.mjs serves Anthropic's streaming
//     Messages API format on 127.0.0.1 (text/thinking/tool_use blocks, stop reasons, an
//     `event: error` for the mid-stream failure), chosen per turn from lib/scripts.mjs.
//   * Real, from npm (pinned in package.json / era-*/package.json):
//       - the provider adapter `@tanstack/ai-anthropic` (through the real `@anthropic-ai/sdk`),
//       - `chat()` from `@tanstack/ai` (agent loop, server tool execution, approvals,
//         client-tool interrupts, MESSAGES_SNAPSHOT, wire normalisation),
//       - `toServerSentEventsResponse` / `toHttpResponse` (+ `memoryStream` durability),
//       - era C only: the request is built and sent by `@tanstack/ai-client`'s own
//         `fetchServerSentEvents` / `fetchHttpStream` (AG-UI RunAgentInput body, X-Run-Id);
//         a tee in its `fetchClient` captures the raw response bytes, and the client's own
//         parser decodes the same bytes as a check.
//     served by node:http on 127.0.0.1 and captured as raw bytes from the socket.
//   * Era A/B requests are plain `fetch` POSTs of the pre-0.18 body `{messages, data}`.
//
// Ids and timestamps come from TanStack/Date.now() and are inherently random; threadId and
// runId are fixed through the API where the era allows it (era C). Re-running rewrites the
// files with fresh ids/timestamps but otherwise identical content.

import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startFakeAnthropic } from './lib/fake-anthropic.mjs'
import { serveFetchHandler } from './lib/serve.mjs'
import { scripts, toolSchemas } from './lib/scripts.mjs'
import { pkgVersion } from './lib/pkg-version.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const outDir = path.resolve(args.includes('--out') ? args[args.indexOf('--out') + 1] : path.join(here, '..', 'examples', 'recordings'))
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null
// --timed: the fake upstream is paced like a real model and each response is written as a
// streamfold recording with arrival times (docs/recording.md), `<name>.recording.ndjson`,
// in `<out>/timed/` (the untimed file and the manifest are left as they are).
const timed = args.includes('--timed')
const PACE = { firstMs: 350, eachMs: 45 }

const RECORDINGS = [
  {
    file: 'tanstack-agui-text.sse',
    era: 'C',
    script: 'text',
    query: 'transport=sse',
    prompt: 'Say hello.',
    about: 'Plain text: RUN_STARTED, TEXT_MESSAGE_START/CONTENT*/END, RUN_FINISHED (finishReason stop in metadata.tanstack).',
  },
  {
    file: 'tanstack-agui-tools.sse',
    era: 'C',
    script: 'tools',
    query: 'transport=sse',
    prompt: 'What is the weather in Paris and the time in Tokyo?',
    about:
      'Text, two tool calls (get_weather, get_time) executed server-side by chat(), RUN_FINISHED(tool_calls) of the first model call, TOOL_CALL_RESULT x2, then a second model call with a new messageId and RUN_FINISHED(stop) -- two RUN_FINISHED for one runId.',
  },
  {
    file: 'tanstack-agui-tool-error.sse',
    era: 'C',
    script: 'tool-error',
    query: 'transport=sse',
    prompt: 'Quote ACME.',
    about: 'A server tool whose execute() throws: TOOL_CALL_RESULT with metadata.tanstack.state "output-error", then the model apologises.',
  },
  {
    file: 'tanstack-agui-approval.sse',
    era: 'C',
    script: 'approval',
    query: 'transport=sse',
    prompt: 'Email Ada and say hi.',
    about: 'Tool with needsApproval: MESSAGES_SNAPSHOT then RUN_FINISHED {outcome:{type:"interrupt"}} with an approval interrupt (metadata.kind "approval").',
  },
  {
    file: 'tanstack-agui-client-tool.ndjson',
    era: 'C',
    script: 'client-tool',
    query: 'transport=ndjson&durable=1',
    prompt: 'Let me pick a colour.',
    clientTools: [{ name: 'pick_color', description: 'Ask the user to pick a colour in the UI', parameters: toolSchemas.pick_color }],
    about:
      'Client-declared tool (RunAgentInput.tools, merged with mergeAgentTools) over NDJSON with memoryStream durability: every line is a {"id": offset, "chunk": event} envelope; ends with a client_tool interrupt.',
  },
  {
    file: 'tanstack-agui-reasoning.sse',
    era: 'C',
    script: 'reasoning',
    query: 'transport=sse&thinking=1',
    prompt: 'What is six times seven? One line.',
    about:
      'Anthropic thinking block: REASONING_START/MESSAGE_START, interleaved REASONING_MESSAGE_CONTENT and legacy STEP_STARTED/STEP_FINISHED (delta/content in metadata.tanstack), REASONING_ENCRYPTED_VALUE (signature), REASONING_*_END, then text.',
  },
  {
    file: 'tanstack-agui-error.sse',
    era: 'C',
    script: 'error',
    query: 'transport=sse',
    prompt: 'Tell me something.',
    about: 'Upstream sends `event: error` (overloaded) after two text deltas: the adapter yields RUN_ERROR (code "undefined" -- String(undefined status)); no TEXT_MESSAGE_END, no RUN_FINISHED.',
  },
  {
    file: 'tanstack-legacy-tools.sse',
    era: 'A',
    script: 'tools',
    query: 'transport=sse',
    prompt: 'What is the weather in Paris and the time in Tokyo?',
    about:
      'Era A (legacy chunks): content (cumulative, new random id per chunk), tool_call fragments, TWO done chunks per model call (tool_calls from message_delta, then stop from message_stop), tool_result x2, second call content, done x2, data: [DONE].',
  },
  {
    file: 'tanstack-eraB-text-tools.sse',
    era: 'B',
    script: 'thinking-tools',
    query: 'transport=sse&thinking=1',
    prompt: 'What is the weather in Paris and the time in Tokyo?',
    about:
      'Era B (TanStack-flavoured AG-UI): thinking as STEP_STARTED + STEP_FINISHED{delta,content}, cumulative TEXT_MESSAGE_CONTENT.content and TOOL_CALL_ARGS.args, toolName (not toolCallName), TOOL_CALL_END{input} then engine TOOL_CALL_END{result} after execution, one RUN_STARTED/RUN_FINISHED pair per model call (random runIds), data: [DONE].',
  },
]

// ---------------------------------------------------------------------------------------
// Capture helpers

function teeFetch(capture) {
  return async (input, init) => {
    const started = performance.now()
    const response = await fetch(input, init)
    capture.request = {
      method: init?.method ?? 'GET',
      url: String(input).replace(/127\.0\.0\.1:\d+/, '127.0.0.1:<port>'),
      headers: Object.fromEntries(new Headers(init?.headers ?? {}).entries()),
      body: init?.body ? JSON.parse(init.body) : undefined,
    }
    capture.status = response.status
    capture.headers = Object.fromEntries(response.headers.entries())
    if (!response.body) return response
    const [mine, theirs] = response.body.tee()
    capture.done = (async () => {
      const parts = []
      capture.arrivals = [] // [seconds since the request was sent, bytes so far]
      let size = 0
      for await (const part of mine) {
        parts.push(Buffer.from(part))
        size += part.length
        capture.arrivals.push([(performance.now() - started) / 1000, size])
      }
      capture.bytes = Buffer.concat(parts)
    })()
    return new Response(theirs, { status: response.status, headers: response.headers })
  }
}

/**
 * A streamfold recording (docs/recording.md, version 1) of a captured response: one frame per
 * SSE event (its data) or NDJSON line, `t` = when the read that completed it arrived (µs).
 */
export function toStreamfoldRecording(capture, kind, meta) {
  const text = capture.bytes.toString('utf8')
  const separator = kind === 'sse' ? '\n\n' : '\n'
  const lines = [
    JSON.stringify({
      streamfold_recording: 1,
      framing: kind,
      created_at: new Date().toISOString(),
      clock: 'monotonic',
      ...meta,
    }),
  ]
  let start = 0
  let arrival = 0
  for (;;) {
    const end = text.indexOf(separator, start)
    if (end < 0) break
    const stop = Buffer.byteLength(text.slice(0, end + separator.length))
    while (capture.arrivals[arrival][1] < stop) arrival += 1
    const t = Math.round(capture.arrivals[arrival][0] * 1e6) / 1e6
    const block = text.slice(start, end)
    start = end + separator.length
    if (kind === 'sse') {
      const record = { t, frame: '' }
      const data = []
      for (const line of block.split('\n')) {
        if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5))
        else if (line.startsWith('id:')) record.id = line.slice(line.startsWith('id: ') ? 4 : 3)
        else if (line.startsWith('event:')) record.event = line.slice(line.startsWith('event: ') ? 7 : 6)
      }
      if (!data.length) continue
      record.frame = data.join('\n')
      lines.push(JSON.stringify(record))
    } else if (block.trim()) {
      lines.push(JSON.stringify({ t, frame: block }))
    }
  }
  return lines.join('\n') + '\n'
}

/** Strict frame check: every SSE event / NDJSON line must be JSON (or the [DONE] sentinel). */
export function decodeFrames(text, kind) {
  const frames = []
  if (kind === 'sse') {
    if (!text.endsWith('\n\n')) throw new Error('SSE body does not end with a blank line')
    for (const block of text.slice(0, -2).split('\n\n')) {
      const lines = block.split('\n')
      const data = lines.filter((l) => l.startsWith('data: '))
      const other = lines.filter((l) => !l.startsWith('data: ') && !l.startsWith('id: '))
      if (data.length !== 1 || other.length) throw new Error(`unexpected SSE event block: ${JSON.stringify(block).slice(0, 200)}`)
      const payload = data[0].slice(6)
      frames.push(payload === '[DONE]' ? '[DONE]' : JSON.parse(payload))
    }
  } else {
    if (!text.endsWith('\n')) throw new Error('NDJSON body does not end with a newline')
    for (const line of text.slice(0, -1).split('\n')) frames.push(JSON.parse(line))
  }
  return frames
}

async function recordEraC(app, rec, client) {
  const capture = {}
  const url = `${app.url}/api/chat?${rec.query}`
  const kind = rec.query.includes('transport=ndjson') ? 'ndjson' : 'sse'
  const connection =
    kind === 'sse'
      ? client.fetchServerSentEvents(url, { fetchClient: teeFetch(capture) })
      : client.fetchHttpStream(url, { fetchClient: teeFetch(capture) })
  const runId = `run-${rec.file.replace(/\.(sse|ndjson)$/, '')}`
  const messages = [{ id: 'user-msg-1', role: 'user', parts: [{ type: 'text', content: rec.prompt }] }]
  const decoded = []
  let clientError
  try {
    for await (const chunk of connection.connect(messages, undefined, undefined, {
      threadId: 'thread-streamfold-1',
      runId,
      ...(rec.clientTools ? { clientTools: rec.clientTools } : {}),
    })) {
      decoded.push(chunk)
    }
  } catch (error) {
    clientError = `${error?.name}: ${error?.message}`
  }
  await capture.done
  return { capture, kind, clientDecodedCount: decoded.length, clientDecodedTypes: decoded.map((c) => c.type), clientError }
}

async function recordLegacy(app, rec) {
  const capture = {}
  const kind = rec.query.includes('transport=ndjson') ? 'ndjson' : 'sse'
  const tee = teeFetch(capture)
  const response = await tee(`${app.url}/api/chat?${rec.query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: rec.prompt }], data: {} }),
  })
  // drain the returned branch
  for await (const _ of response.body) void _
  await capture.done
  return { capture, kind }
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true })
  const upstream = await startFakeAnthropic({ pace: timed ? PACE : null })
  const { makeEraCHandler } = await import('./lib/era-c-server.mjs')
  const eraA = await import('./era-a/server.mjs')
  const eraB = await import('./era-b/server.mjs')
  const apps = {
    C: await serveFetchHandler(makeEraCHandler(upstream)),
    A: await serveFetchHandler(eraA.makeHandler(upstream)),
    B: await serveFetchHandler(eraB.makeHandler(upstream)),
  }
  const client = await import('@tanstack/ai-client')
  const versions = {
    C: {
      '@tanstack/ai': pkgVersion(import.meta.url, '@tanstack/ai'),
      '@tanstack/ai-anthropic': pkgVersion(import.meta.url, '@tanstack/ai-anthropic'),
      '@tanstack/ai-client': pkgVersion(import.meta.url, '@tanstack/ai-client'),
      '@anthropic-ai/sdk': pkgVersion(import.meta.url, '@anthropic-ai/sdk'),
    },
    A: eraA.versions,
    B: eraB.versions,
  }

  const manifestPath = path.join(outDir, 'tanstack-recordings.manifest.json')
  const manifest = fs.existsSync(manifestPath) ? JSON.parse(fs.readFileSync(manifestPath, 'utf8')) : { recordings: {} }
  manifest.generator = 'conformance/record_tanstack.mjs'
  manifest.node = process.version
  manifest.note =
    'Raw HTTP response bodies from TanStack server code (chat() + provider adapter + stream-to-response helpers) with a scripted fake Anthropic upstream; see conformance/README.md.'

  let failures = 0
  for (const rec of RECORDINGS) {
    if (only && !rec.file.includes(only)) continue
    upstream.setScript(scripts[rec.script])
    const app = apps[rec.era]
    const res = rec.era === 'C' ? await recordEraC(app, rec, client) : await recordLegacy(app, rec)
    const { capture, kind } = res
    const text = capture.bytes.toString('utf8')
    let frames
    const problems = []
    if (capture.status !== 200) problems.push(`HTTP ${capture.status}: ${text.slice(0, 300)}`)
    try {
      frames = decodeFrames(text, kind)
    } catch (error) {
      problems.push(`frame decode: ${error.message}`)
    }
    if (res.clientError) problems.push(`@tanstack/ai-client decode: ${res.clientError}`)
    if (frames && res.clientDecodedCount !== undefined) {
      const expected = frames.filter((f) => f !== '[DONE]').length
      if (expected !== res.clientDecodedCount) problems.push(`client decoded ${res.clientDecodedCount} chunks, file has ${expected}`)
    }
    if (problems.length) {
      failures += 1
      process.stderr.write(`FAIL ${rec.file}:\n  ${problems.join('\n  ')}\n`)
      continue
    }
    if (timed) {
      const name = rec.file.replace(/\.(sse|ndjson)$/, '.recording.ndjson')
      const meta = {
        source: 'conformance/record_tanstack.mjs --timed',
        about: rec.about,
        server: versions[rec.era],
        upstreamPace: PACE,
        url: capture.request.url,
      }
      fs.mkdirSync(path.join(outDir, 'timed'), { recursive: true })
      fs.writeFileSync(path.join(outDir, 'timed', name), toStreamfoldRecording(capture, kind, meta))
      process.stderr.write(`ok   ${name}: ${frames.length} frames, ${capture.bytes.length} bytes, timed\n`)
      continue
    }
    fs.writeFileSync(path.join(outDir, rec.file), capture.bytes)
    const { date: _date, ...responseHeaders } = capture.headers
    manifest.recordings[rec.file] = {
      era: rec.era,
      about: rec.about,
      server: versions[rec.era],
      upstreamScript: rec.script,
      upstreamModelCalls: upstream.requests.length,
      request: capture.request,
      response: { status: capture.status, headers: responseHeaders },
      frames: frames.length,
      types: frames.map((f) => (f === '[DONE]' ? '[DONE]' : (f.type ?? `envelope:${f.chunk?.type}`))),
      ...(res.clientDecodedCount !== undefined
        ? { decodedByAiClient: { chunks: res.clientDecodedCount, version: versions.C['@tanstack/ai-client'] } }
        : {}),
    }
    process.stderr.write(`ok   ${rec.file}: ${frames.length} frames, ${capture.bytes.length} bytes\n`)
  }
  if (!timed) fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n')
  for (const app of Object.values(apps)) await app.close()
  await upstream.close()
  if (failures) process.exit(1)
}

await main()
