#!/usr/bin/env node
// AG-UI verifier: run @ag-ui/client's own verifyEvents over AG-UI events and print a verdict.
//
//   node conformance/verify_agui.mjs <events.ndjson>      one stream
//   node conformance/verify_agui.mjs --jobs <jobs.json>   [{key, file}] -> {key: verdict}
//
// Input: NDJSON, one AG-UI event object per line (what `streamfold convert --to agui-ndjson`
// writes). Each event is also checked against @ag-ui/core's EventSchemas (zod).
// Verdict: {ok: true, events: N} or {ok: false, events: N, index: i, error: "..."} where index is
// the 0-based event the verifier (or the schema) refused.
import fs from 'node:fs'
import { from, lastValueFrom, tap, toArray } from 'rxjs'
import { verifyEvents } from '@ag-ui/client'
import { EventSchemas } from 'agui-core/schemas'

async function verify(file) {
  const events = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line))
  for (let i = 0; i < events.length; i++) {
    const parsed = EventSchemas.safeParse(events[i])
    if (!parsed.success) {
      return { ok: false, events: events.length, index: i, error: `schema: ${parsed.error.message}` }
    }
  }
  let seen = 0
  try {
    await lastValueFrom(
      verifyEvents(false)(from(events)).pipe(
        tap(() => {
          seen += 1
        }),
        toArray(),
      ),
    )
    return { ok: true, events: events.length }
  } catch (err) {
    return { ok: false, events: events.length, index: seen, error: String(err?.message ?? err) }
  }
}

const args = process.argv.slice(2)
if (args[0] === '--jobs') {
  const jobs = JSON.parse(fs.readFileSync(args[1], 'utf8'))
  const out = {}
  for (const job of jobs) out[job.key] = await verify(job.file)
  process.stdout.write(JSON.stringify(out) + '\n')
} else {
  process.stdout.write(JSON.stringify(await verify(args[0])) + '\n')
}
