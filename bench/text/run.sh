#!/bin/sh
# Replays the automerge-paper editing trace with Rondo's text CRDT and with
# Yjs (installed here from the npm registry) in one run, and prints median
# replay time, encoded size and memory for both, with ratios.
#
#   bench/text/run.sh [-reps N] [-trace NAME]
set -eu
cd "$(dirname "$0")"
if [ ! -d node_modules/yjs ]; then
	npm install --no-audit --no-fund yjs >&2
fi
exec go run . "$@"
