#!/usr/bin/env bash
# Regenerate conformance/expected/ from the pinned reference StreamProcessors.
#   conformance/regen.sh            scenarios + recordings
#   conformance/regen.sh --record   first re-record examples/recordings/tanstack-* from the real servers
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

if [ ! -d "$here/node_modules/@tanstack/ai" ]; then
  npm ci --prefix "$here"
fi
if [ "${1:-}" = "--record" ]; then
  node "$here/record_tanstack.mjs"
fi

node "$here/lib/write-expected.mjs" "$here/scenarios" "$here/expected"

# Real recordings: only the tanstack-* files (others in examples/recordings belong to other decoders).
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for f in "$root"/examples/recordings/tanstack-*; do
  case "$f" in *.manifest.json) continue ;; esac
  cp "$f" "$tmp/"
done
node "$here/lib/write-expected.mjs" "$tmp" "$here/expected/recordings"
