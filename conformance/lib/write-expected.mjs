// Write one pretty-printed reference output per scenario: node lib/write-expected.mjs <scenario-dir> <out-dir>
// Used by regen.sh. Removes stale *.json in <out-dir> first. Fails if any scenario hit a runner error.
import fs from 'node:fs'
import path from 'node:path'
import { runBatch } from '../run_reference.mjs'

const [dir, outDir] = process.argv.slice(2)
if (!dir || !outDir) {
  process.stderr.write('usage: write-expected.mjs <scenario-dir> <out-dir>\n')
  process.exit(2)
}
const results = await runBatch(dir)
fs.mkdirSync(outDir, { recursive: true })
for (const f of fs.readdirSync(outDir)) if (f.endsWith('.json')) fs.unlinkSync(path.join(outDir, f))
let errors = 0
for (const [name, output] of Object.entries(results)) {
  if (output.runnerError) {
    errors += 1
    process.stderr.write(`runner error in ${name}: ${output.runnerError.message}\n`)
  }
  fs.writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(output, null, 2) + '\n')
}
process.stderr.write(`wrote ${Object.keys(results).length} files to ${outDir}\n`)
if (errors) process.exit(1)
