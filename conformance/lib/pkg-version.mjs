// Version of a package as node resolves it from `fromUrl` (works for packages whose
// "exports" do not expose ./package.json).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export function pkgVersion(fromUrl, name) {
  let dir = path.dirname(fileURLToPath(fromUrl))
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name, 'package.json')
    if (fs.existsSync(candidate)) return JSON.parse(fs.readFileSync(candidate, 'utf8')).version
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`cannot resolve ${name} from ${fromUrl}`)
    dir = parent
  }
}
