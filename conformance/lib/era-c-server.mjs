// Era C (spec AG-UI) route handler, written the way the @tanstack/ai 0.58 docs show a
// server route: chatParamsFromRequest -> chat() -> toServerSentEventsResponse / toHttpResponse.
// Resolves '@tanstack/ai' and '@tanstack/ai-anthropic' from conformance/node_modules
// (0.58.0 / 0.18.11).

import {
  chat,
  chatParamsFromRequest,
  memoryStream,
  mergeAgentTools,
  toHttpResponse,
  toServerSentEventsResponse,
} from '@tanstack/ai'
import { createAnthropicChat } from '@tanstack/ai-anthropic'
import { MODEL, toolImpls, toolSchemas } from './scripts.mjs'

const serverTools = [
  {
    name: 'get_weather',
    description: 'Current weather for a location',
    inputSchema: toolSchemas.get_weather,
    execute: toolImpls.get_weather,
  },
  {
    name: 'get_time',
    description: 'Local time in a city',
    inputSchema: toolSchemas.get_time,
    execute: toolImpls.get_time,
  },
  {
    name: 'lookup_stock',
    description: 'Stock quote (its backend is down: execute throws)',
    inputSchema: toolSchemas.lookup_stock,
    execute: toolImpls.lookup_stock,
  },
  {
    name: 'send_email',
    description: 'Send an email (needs user approval)',
    inputSchema: toolSchemas.send_email,
    needsApproval: true,
    execute: toolImpls.send_email,
  },
]

/**
 * @param {{baseURL: string}} upstream  fake Anthropic base URL
 * Query string: ?transport=sse|ndjson&durable=1&thinking=1
 */
export function makeEraCHandler(upstream) {
  return async (request) => {
    const url = new URL(request.url)
    const params = await chatParamsFromRequest(request)
    const adapter = createAnthropicChat(MODEL, 'sk-ant-fake-key', {
      baseURL: upstream.baseURL,
      maxRetries: 0,
    })
    const stream = chat({
      adapter,
      messages: params.messages,
      tools: mergeAgentTools(serverTools, params.tools),
      threadId: params.threadId,
      runId: params.runId,
      ...(params.parentRunId ? { parentRunId: params.parentRunId } : {}),
      ...(params.resume ? { resume: params.resume } : {}),
      ...(url.searchParams.get('thinking') === '1'
        ? { modelOptions: { thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: 4096 } }
        : {}),
    })
    const durable = url.searchParams.get('durable') === '1'
    const init = durable ? { durability: { adapter: memoryStream(request) } } : undefined
    return url.searchParams.get('transport') === 'ndjson'
      ? toHttpResponse(stream, init)
      : toServerSentEventsResponse(stream, init)
  }
}
