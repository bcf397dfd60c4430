// Records Vercel AI SDK UI message streams: the `ai` package's own server helpers
// (streamText → toUIMessageStreamResponse, createUIMessageStream) driven by its mock model
// (MockLanguageModelV3 from `ai/test`), so every byte is what the AI SDK sends. Deterministic:
// message ids, tool call ids and usage are fixed, and no chunk carries a time.
//
//   node conformance/vercel-ui/record.mjs examples/recordings
//
// writes vercel-ui-*.sse there (examples/recordings/README.md, "Vercel UI message streams").
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  streamText,
  tool,
  stepCountIs,
  createUIMessageStream,
  createUIMessageStreamResponse,
  simulateReadableStream,
} from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';

const out = process.argv[2] ?? 'examples/recordings';

const usage = (input, output, reasoning = 0, cached = 0) => ({
  inputTokens: { total: input, noCache: input - cached, cacheRead: cached, cacheWrite: 0 },
  outputTokens: { total: output, text: output - reasoning, reasoning },
});
const finish = (unified, u) => ({ type: 'finish', finishReason: { unified, raw: unified }, usage: u });
const stream = (chunks) => ({ stream: simulateReadableStream({ chunks, chunkDelayInMs: null }) });
const text = (id, pieces) => [
  { type: 'text-start', id },
  ...pieces.map((delta) => ({ type: 'text-delta', id, delta })),
  { type: 'text-end', id },
];
const reasoning = (id, pieces) => [
  { type: 'reasoning-start', id },
  ...pieces.map((delta) => ({ type: 'reasoning-delta', id, delta })),
  { type: 'reasoning-end', id },
];
const toolCall = (toolCallId, toolName, pieces) => [
  { type: 'tool-input-start', id: toolCallId, toolName },
  ...pieces.map((delta) => ({ type: 'tool-input-delta', id: toolCallId, delta })),
  { type: 'tool-input-end', id: toolCallId },
  { type: 'tool-call', toolCallId, toolName, input: pieces.join('') },
];
const start = { type: 'stream-start', warnings: [] };
const meta = { type: 'response-metadata', id: 'resp-1', modelId: 'mock-model-id', timestamp: new Date(0) };

// Usage goes out in the finish chunk's message metadata, the AI SDK's documented way.
const usageMetadata = ({ part }) =>
  part.type === 'finish' ? { totalUsage: part.totalUsage, finishReason: part.finishReason } : undefined;

const weather = tool({
  description: 'The weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, temperature: city === 'Paris' ? 18 : 21, unit: 'C' }),
});
const failing = tool({
  description: 'Always fails',
  inputSchema: z.object({ ticker: z.string() }),
  execute: async () => {
    throw new Error('stock service unavailable');
  },
});

async function body(response) {
  return Buffer.from(await response.arrayBuffer());
}

function textResponse(model, opts = {}) {
  const result = streamText({ model, prompt: 'hi', ...opts });
  return result.toUIMessageStreamResponse({
    sendReasoning: true,
    generateMessageId: () => 'msg-1',
    messageMetadata: usageMetadata,
  });
}

const recordings = {
  // Reasoning, then text in three deltas; one step.
  'vercel-ui-reasoning-text': () =>
    textResponse(
      new MockLanguageModelV3({
        doStream: stream([
          start,
          meta,
          ...reasoning('r1', ['The user ', 'greets me.']),
          ...text('t1', ['Hello', ', ', 'world!']),
          finish('stop', usage(12, 9, 4, 2)),
        ]),
      }),
    ),
  // Two parallel tool calls executed on the server (one fails), then a second step of text.
  'vercel-ui-tools-multistep': () =>
    textResponse(
      new MockLanguageModelV3({
        doStream: [
          stream([
            start,
            meta,
            ...text('t0', ['Let me check.']),
            ...toolCall('call-1', 'weather', ['{"city":', '"Paris"}']),
            ...toolCall('call-2', 'stock', ['{"ticker":"ACME"}']),
            finish('tool-calls', usage(20, 15)),
          ]),
          stream([start, meta, ...text('t1', ['Paris is 18', '°C.']), finish('stop', usage(40, 6))]),
        ],
      }),
      { tools: { weather, stock: failing }, stopWhen: stepCountIs(2) },
    ),
  // A client-side tool (no execute): the stream ends with the input available.
  'vercel-ui-client-tool': () =>
    textResponse(
      new MockLanguageModelV3({
        doStream: stream([
          start,
          meta,
          ...toolCall('call-9', 'askUser', ['{"question":"Which city?"}']),
          finish('tool-calls', usage(8, 5)),
        ]),
      }),
      { tools: { askUser: tool({ description: 'Ask', inputSchema: z.object({ question: z.string() }) }) } },
    ),
  // The model's stream fails mid-way: an error chunk.
  'vercel-ui-error': () =>
    textResponse(
      new MockLanguageModelV3({
        doStream: stream([start, meta, ...text('t1', ['Partial']), { type: 'error', error: new Error('upstream overloaded') }]),
      }),
      { onError: () => {} },
    ),
  // A custom stream: data parts, a source, a file, then a merged model stream.
  'vercel-ui-data-sources': () =>
    createUIMessageStreamResponse({
      stream: createUIMessageStream({
        generateId: () => 'msg-1',
        execute: ({ writer }) => {
          writer.write({ type: 'data-status', id: 'status-1', data: { state: 'searching' } });
          writer.write({ type: 'source-url', sourceId: 'src-1', url: 'https://example.com/a', title: 'A' });
          writer.write({ type: 'file', url: 'data:text/plain;base64,aGk=', mediaType: 'text/plain' });
          writer.write({ type: 'data-status', id: 'status-1', data: { state: 'done' } });
          const result = streamText({
            model: new MockLanguageModelV3({
              doStream: stream([start, meta, ...text('t1', ['Found ', 'it.']), finish('stop', usage(5, 3))]),
            }),
            prompt: 'hi',
          });
          writer.merge(result.toUIMessageStream({ sendStart: false, messageMetadata: usageMetadata }));
        },
      }),
    }),
};

for (const [name, make] of Object.entries(recordings)) {
  const data = await body(await make());
  writeFileSync(join(out, `${name}.sse`), data);
  console.log(`${name}.sse: ${data.length} bytes`);
}
