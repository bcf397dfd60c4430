// The AI SDK's own client fold of UI message streams: each .sse file's chunks through
// `readUIMessageStream` (what useChat uses), printing the final UIMessage of each file as one
// JSON object {file: message} on stdout. Used by tests/formats/vercel_ui (conformance).
//
//   node conformance/vercel-ui/read.mjs FILE.sse...
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { readUIMessageStream } from 'ai';

function chunks(text) {
  const out = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .join('\n');
    if (data && data !== '[DONE]') out.push(JSON.parse(data));
  }
  return out;
}

const result = {};
for (const file of process.argv.slice(2)) {
  const stream = new ReadableStream({
    start(controller) {
      for (const chunk of chunks(readFileSync(file, 'utf8'))) controller.enqueue(chunk);
      controller.close();
    },
  });
  let last = null;
  let error = null;
  try {
    for await (const message of readUIMessageStream({ stream, onError: (e) => { error = String(e?.message ?? e); } })) {
      last = message;
    }
  } catch (e) {
    error = String(e?.message ?? e);
  }
  result[basename(file)] = { message: last, error };
}
process.stdout.write(JSON.stringify(result));
