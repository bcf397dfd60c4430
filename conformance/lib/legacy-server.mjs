// Era A / era B route handler body, shared by era-a/server.mjs and era-b/server.mjs.
// Those two files import '@tanstack/ai' and '@tanstack/ai-anthropic' from their own
// workspace node_modules (0.2.2 + 0.2.0, resp. 0.10.3 + 0.7.3) and pass them in here, so
// this file does not resolve any TanStack package itself.
//
// Request body is the pre-0.18 shape the old docs show: `{ messages, data }` with
// ModelMessage-style messages; the route does `chat({adapter, messages, tools})` and
// returns `toServerSentEventsResponse(stream)` (or `toHttpResponse` for ?transport=ndjson).

import { MODEL, toolImpls, toolSchemas } from './scripts.mjs'

export function makeLegacyHandler({ ai, anthropic }, upstream) {
  const tools = [
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
  ]
  return async (request) => {
    const url = new URL(request.url)
    const { messages } = await request.json()
    // ai-anthropic 0.2.0's createAnthropicClient only forwards `apiKey`; the Anthropic SDK
    // falls back to ANTHROPIC_BASE_URL, so set both.
    process.env.ANTHROPIC_BASE_URL = upstream.baseURL
    const adapter = anthropic.createAnthropicChat(MODEL, 'sk-ant-fake-key', {
      baseURL: upstream.baseURL,
      maxRetries: 0,
    })
    const stream = ai.chat({
      adapter,
      messages,
      tools,
      ...(url.searchParams.get('thinking') === '1'
        ? { modelOptions: { thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: 4096 } }
        : {}),
    })
    return url.searchParams.get('transport') === 'ndjson'
      ? ai.toHttpResponse(stream)
      : ai.toServerSentEventsResponse(stream)
  }
}
