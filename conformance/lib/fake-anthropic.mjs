// A scripted stand-in for the Anthropic Messages API (`POST /v1/messages`, streaming).
//
// Only the *upstream model* is fake. Everything between it and the recorded bytes is
// TanStack's published server code: the `@tanstack/ai-anthropic` adapter (via the real
// `@anthropic-ai/sdk` client), `chat()` (agent loop, tool execution, approvals,
// interrupts) and the `toServerSentEventsResponse` / `toHttpResponse` helpers.
//
// The wire format written here is Anthropic's documented streaming format:
//   event: message_start / content_block_start / content_block_delta / content_block_stop /
//          message_delta / message_stop / ping / error
// A "script" is a list of turns. The turn served for a request is chosen by counting the
// assistant messages already present in the request (turn 0 = first model call, turn 1 =
// the call after tool results, ...), so the server is stateless and deterministic.
//
// Turn shape:
//   { id, blocks: [Block], stopReason: 'end_turn'|'tool_use'|..., usage: {input_tokens, output_tokens},
//     errorAfterBlocks?: {type, message} }   // emit an `event: error` after the blocks (mid-stream failure)
// Block shapes:
//   { type: 'text', chunks: [string] }
//   { type: 'thinking', chunks: [string], signature: string }
//   { type: 'tool_use', id, name, chunks: [partial-json string] }

import http from 'node:http'

function sse(event, data) {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

export function renderTurn(turn, model) {
  const out = []
  out.push(
    sse('message_start', {
      type: 'message_start',
      message: {
        id: turn.id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: turn.usage?.input_tokens ?? 10, output_tokens: 1 },
      },
    }),
  )
  out.push(sse('ping', { type: 'ping' }))
  turn.blocks.forEach((block, index) => {
    if (block.type === 'text') {
      out.push(sse('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }))
      for (const text of block.chunks) {
        out.push(sse('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text } }))
      }
    } else if (block.type === 'thinking') {
      out.push(
        sse('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'thinking', thinking: '', signature: '' },
        }),
      )
      for (const thinking of block.chunks) {
        out.push(sse('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking } }))
      }
      if (block.signature) {
        out.push(
          sse('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'signature_delta', signature: block.signature },
          }),
        )
      }
    } else if (block.type === 'tool_use') {
      out.push(
        sse('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        }),
      )
      for (const partial_json of block.chunks) {
        out.push(
          sse('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } }),
        )
      }
    } else {
      throw new Error(`unknown block type ${block.type}`)
    }
    if (turn.errorAfterBlocks && index === turn.blocks.length - 1) return
    out.push(sse('content_block_stop', { type: 'content_block_stop', index }))
  })
  if (turn.errorAfterBlocks) {
    out.push(sse('error', { type: 'error', error: turn.errorAfterBlocks }))
    return out
  }
  out.push(
    sse('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: turn.stopReason, stop_sequence: null },
      usage: { input_tokens: turn.usage?.input_tokens ?? 10, output_tokens: turn.usage?.output_tokens ?? 20 },
    }),
  )
  out.push(sse('message_stop', { type: 'message_stop' }))
  return out
}

/**
 * Start the fake upstream on 127.0.0.1 (random port).
 * `setScript(turns)` selects the script for the following requests.
 * `requests` collects the parsed request bodies (for sanity checks in the recorder).
 */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * `pace` (optional): `{ firstMs, eachMs }` — wait `firstMs` before the first event of a response
 * and `eachMs` after each, so that arrival times recorded downstream look like a real model's
 * (record_tanstack.mjs --timed). Without it every event is written at once.
 */
export async function startFakeAnthropic({ pace = null } = {}) {
  let script = null
  const requests = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url.startsWith('/v1/messages')) {
        res.writeHead(404, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: req.url } }))
        return
      }
      const parsed = JSON.parse(body)
      requests.push(parsed)
      const turnIndex = parsed.messages.filter((m) => m.role === 'assistant').length
      const turn = script?.[turnIndex]
      if (!turn) {
        res.writeHead(500, { 'content-type': 'application/json' })
        res.end(
          JSON.stringify({ type: 'error', error: { type: 'api_error', message: `fake upstream: no turn ${turnIndex}` } }),
        )
        return
      }
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'request-id': `req_fake_${turn.id}`,
      })
      const frames = renderTurn(turn, parsed.model)
      if (!pace) {
        for (const frame of frames) res.write(frame)
        res.end()
        return
      }
      // Paced like a real model: a first-token latency, then one event per interval.
      void (async () => {
        await sleep(pace.firstMs)
        for (const frame of frames) {
          res.write(frame)
          await sleep(pace.eachMs)
        }
        res.end()
      })()
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  return {
    baseURL: `http://127.0.0.1:${port}`,
    requests,
    setScript(turns) {
      script = turns
      requests.length = 0
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}
