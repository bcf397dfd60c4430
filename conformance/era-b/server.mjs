// Era B server: resolves @tanstack/ai and @tanstack/ai-anthropic from era-b/node_modules
// (see era-b/package.json for the pinned versions).
import * as ai from '@tanstack/ai'
import * as anthropic from '@tanstack/ai-anthropic'
import { makeLegacyHandler } from '../lib/legacy-server.mjs'
import { pkgVersion } from '../lib/pkg-version.mjs'

export const versions = {
  '@tanstack/ai': pkgVersion(import.meta.url, '@tanstack/ai'),
  '@tanstack/ai-anthropic': pkgVersion(import.meta.url, '@tanstack/ai-anthropic'),
  '@anthropic-ai/sdk': pkgVersion(import.meta.url, '@anthropic-ai/sdk'),
}

export function makeHandler(upstream) {
  return makeLegacyHandler({ ai, anthropic }, upstream)
}
