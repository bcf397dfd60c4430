// The AI SDK's client fold of a UI message stream, timed: the file's SSE events parsed and fed
// through `readUIMessageStream` (what useChat does), best of N runs. Prints {"ms": best}.
//
//   node bench/peer_vercel.mjs FILE.sse [runs]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(new URL('../conformance/package.json', import.meta.url));
const { readUIMessageStream } = await import(pathToFileURL(require.resolve('ai')).href);

const text = readFileSync(process.argv[2], 'utf8');
const runs = Number(process.argv[3] ?? 5);

async function once() {
  const chunks = [];
  for (const block of text.split('\n\n')) {
    if (block.startsWith('data: ') && block !== 'data: [DONE]') chunks.push(JSON.parse(block.slice(6)));
  }
  const stream = new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  let last = null;
  for await (const message of readUIMessageStream({ stream })) last = message;
  return last;
}

let best = Infinity;
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  await once();
  best = Math.min(best, performance.now() - t0);
}
process.stdout.write(JSON.stringify({ ms: best }));
