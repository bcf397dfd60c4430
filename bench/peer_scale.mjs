#!/usr/bin/env node
// The JavaScript clients' folds of an AG-UI stream, for bench/bench_scale.py: the time of
// one peer over an NDJSON file of AG-UI events, as one JSON object. Not a test.
//
//   node bench/peer_scale.mjs PEER FILE [--repeat N] [--budget-s S]
//
// PEER is one of
//   tanstack     @tanstack/ai's StreamProcessor: prepareAssistantMessage(), then
//                processChunk(restoreInboundChunk(event)) per event, finalizeStream()
//                (what @tanstack/ai-client does with each inbound chunk);
//   agui-client  @ag-ui/client's AbstractAgent.runAgent() over the events (verifyEvents, then
//                defaultApplyEvents: the client's messages and state), an agent whose run()
//                replays them;
//   vercel       the AI SDK's readUIMessageStream over the same content as UI message chunks
//                (what useChat folds); the events are converted before the clock starts.
//
// The file may hold many sessions: a RUN_STARTED whose threadId differs from the current one
// starts the next, and each session gets a fresh processor, agent or stream, as a client has
// one per conversation. TanStack's server sends a tool's TOOL_CALL_RESULT after its
// RUN_FINISHED, and one RUN_FINISHED per model call of a run; AG-UI 1.0 (and @ag-ui/client's
// verifier) refuse events after a run's end, so for agui-client the results are moved before it
// and the run is started again after it (agUiOrder). Events are parsed before the clock starts.
//
// Per repeat the whole file is folded, every session's result kept (as streamfold keeps every
// session it folds); the best repeat is reported. A repeat that exceeds
// --budget-s stops there and reports how far it got (completed: false, done_events). The AI SDK's
// stream is pulled one chunk at a time, as from a network.
// Output: {peer, version, sessions, events, seconds, done_events, completed}.
// No heap figures: V8's heapUsed after gc() moved between 0.0 and 6.3 bytes per byte of text
// with the order of the folds in the process, so bench_scale.py leaves the Node clients out of
// its memory table.
// Install first: npm ci --prefix conformance

import fs from 'node:fs'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'

const here = new URL('.', import.meta.url)
const conformance = new URL('../conformance/', here)
const require = createRequire(new URL('package.json', conformance))

function usage(msg) {
  process.stderr.write(`${msg}\nusage: peer_scale.mjs tanstack|agui-client|vercel FILE [--repeat N] [--budget-s S]\n`)
  process.exit(2)
}

const args = process.argv.slice(2)
const [peer, file] = args
if (!['tanstack', 'agui-client', 'vercel'].includes(peer) || !file) usage('bad arguments')
let repeat = 1
let budgetS = 60
for (let i = 2; i < args.length; i++) {
  if (args[i] === '--repeat') repeat = Number(args[++i])
  else if (args[i] === '--budget-s') budgetS = Number(args[++i])
  else usage(`unknown argument ${args[i]}`)
}

function packageVersion(name) {
  const dir = new URL(`node_modules/${name}/package.json`, conformance)
  return JSON.parse(fs.readFileSync(dir, 'utf8')).version
}

// ------------------------------------------------------------------------------ the input

const events = fs
  .readFileSync(file, 'utf8')
  .split('\n')
  .filter((line) => line.length > 0)
  .map((line) => JSON.parse(line))

function splitSessions(all) {
  const sessions = []
  let current = null
  let thread = undefined
  for (const event of all) {
    if (event.type === 'RUN_STARTED' && (current === null || event.threadId !== thread)) {
      thread = event.threadId
      current = []
      sessions.push(current)
    }
    if (current === null) {
      current = []
      sessions.push(current)
    }
    current.push(event)
  }
  return sessions
}

// AG-UI 1.0 order: a run's tool results before its RUN_FINISHED, and a RUN_STARTED again before
// what follows a RUN_FINISHED (TanStack's server ends each model call of a run with one).
function agUiOrder(session) {
  const out = []
  let started = null
  let finished = null
  for (const event of session) {
    if (event.type === 'RUN_STARTED') {
      if (finished) out.push(finished)
      finished = null
      started = event
      out.push(event)
    } else if (event.type === 'RUN_FINISHED') {
      if (finished) out.push(finished, started)
      finished = event
    } else {
      if (finished && event.type !== 'TOOL_CALL_RESULT') {
        out.push(finished, started)
        finished = null
      }
      out.push(event)
    }
  }
  if (finished) out.push(finished)
  return out
}

// The same content as the AI SDK's UI message chunks (one assistant message per session, one
// step per run).
function uiChunks(session) {
  const out = [{ type: 'start' }]
  const args = new Map()
  const names = new Map()
  for (const e of session) {
    switch (e.type) {
      case 'RUN_STARTED': out.push({ type: 'start-step' }); break
      case 'RUN_FINISHED': out.push({ type: 'finish-step' }); break
      case 'TEXT_MESSAGE_START': out.push({ type: 'text-start', id: e.messageId }); break
      case 'TEXT_MESSAGE_CONTENT': out.push({ type: 'text-delta', id: e.messageId, delta: e.delta }); break
      case 'TEXT_MESSAGE_END': out.push({ type: 'text-end', id: e.messageId }); break
      case 'TOOL_CALL_START':
        args.set(e.toolCallId, '')
        names.set(e.toolCallId, e.toolCallName)
        out.push({ type: 'tool-input-start', toolCallId: e.toolCallId, toolName: e.toolCallName })
        break
      case 'TOOL_CALL_ARGS':
        args.set(e.toolCallId, args.get(e.toolCallId) + e.delta)
        out.push({ type: 'tool-input-delta', toolCallId: e.toolCallId, inputTextDelta: e.delta })
        break
      case 'TOOL_CALL_END':
        out.push({
          type: 'tool-input-available',
          toolCallId: e.toolCallId,
          toolName: names.get(e.toolCallId),
          input: JSON.parse(args.get(e.toolCallId) || '{}'),
        })
        break
      case 'TOOL_CALL_RESULT':
        out.push({ type: 'tool-output-available', toolCallId: e.toolCallId, output: e.content })
        break
      default: break
    }
  }
  out.push({ type: 'finish' })
  return out
}

let sessions = splitSessions(events)
if (peer === 'agui-client') sessions = sessions.map(agUiOrder)
if (peer === 'vercel') sessions = sessions.map(uiChunks)
const total = sessions.reduce((n, s) => n + s.length, 0)

// ------------------------------------------------------------------------------ the peers

// foldSession(session, deadline) -> {result, done}: the fold stops at the deadline (ms,
// performance.now()) and says how many of the session's events it took.
let foldSession
let version
if (peer === 'tanstack') {
  const dir = new URL('node_modules/@tanstack/ai/', conformance)
  const { StreamProcessor } = await import(new URL('dist/esm/index.js', dir))
  const { restoreInboundChunk } = await import(new URL('dist/esm/client.js', dir))
  version = `@tanstack/ai ${packageVersion('@tanstack/ai')}`
  foldSession = async (session, deadline) => {
    const p = new StreamProcessor({ events: {} })
    p.prepareAssistantMessage()
    let done = 0
    for (const chunk of session) {
      p.processChunk(restoreInboundChunk(chunk))
      done += 1
      if ((done & 255) === 0 && performance.now() > deadline) break
    }
    if (done === session.length) p.finalizeStream()
    return { result: p.getMessages(), done }
  }
} else if (peer === 'agui-client') {
  const { AbstractAgent } = await import(pathToFileURL(require.resolve('@ag-ui/client')).href)
  const { Observable } = await import(pathToFileURL(require.resolve('rxjs')).href)
  version = `@ag-ui/client ${packageVersion('@ag-ui/client')}`
  class Replay extends AbstractAgent {
    constructor(session, deadline) {
      super({ threadId: session[0]?.threadId ?? 'thread' })
      this.session = session
      this.deadline = deadline
      this.done = 0
    }
    // Events go out 256 at a time, each batch after the client has applied the last one
    // (its pipeline works in promise jobs), so the fold can stop at the deadline.
    run() {
      return new Observable((subscriber) => {
        const batch = () => {
          const end = Math.min(this.session.length, this.done + 256)
          while (this.done < end) subscriber.next(this.session[this.done++])
          if (this.done < this.session.length && performance.now() <= this.deadline) {
            setImmediate(batch)
          } else subscriber.complete()
        }
        batch()
      })
    }
  }
  foldSession = async (session, deadline) => {
    const agent = new Replay(session, deadline)
    try {
      await agent.runAgent()
    } catch (err) {
      if (agent.done === session.length) throw err // a stream cut at the deadline may be refused
    }
    return { result: agent.messages, done: agent.done }
  }
} else {
  const { readUIMessageStream } = await import(pathToFileURL(require.resolve('ai')).href)
  version = `ai ${packageVersion('ai')}`
  foldSession = async (session, deadline) => {
    let done = 0
    const stream = new ReadableStream({
      pull(controller) {
        if (done < session.length && (done & 255 || performance.now() <= deadline)) {
          controller.enqueue(session[done])
          done += 1
        } else controller.close()
      },
    })
    let last = null
    for await (const message of readUIMessageStream({ stream })) last = message
    return { result: last, done }
  }
}

async function foldAll() {
  const kept = [] // every session's result, as streamfold keeps every session it folds
  const deadline = performance.now() + budgetS * 1000
  let done = 0
  for (const session of sessions) {
    const { result, done: taken } = await foldSession(session, deadline)
    kept.push(result)
    done += taken
    if (taken < session.length || performance.now() > deadline) break
  }
  return { kept, done }
}

let best = null
for (let i = 0; i < repeat; i++) {
  const t0 = performance.now()
  const { done } = await foldAll()
  const seconds = (performance.now() - t0) / 1000
  if (best === null || (done === best.done && seconds < best.seconds) || done > best.done) {
    best = { seconds, done }
  }
  if (done < total) break
}

const out = {
  peer,
  version,
  sessions: sessions.length,
  events: total,
  seconds: best.seconds,
  done_events: best.done,
  completed: best.done === total,
}
process.stdout.write(JSON.stringify(out) + '\n')
