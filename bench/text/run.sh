#!/bin/sh
# Replays editing traces with Rondo's text CRDT and with Yjs in one run —
# every trace in ../shared/data/editing-traces by default — and prints
# median replay time, encoded size (Yjs V1 and V2) and document memory for
# both, with ratios, then a summary table. Yjs is installed here from the
# npm registry (npm ci, pinned by package-lock.json) on the first run.
#
#   bench/text/run.sh [-reps N] [-trace NAME[,NAME…]]
set -eu
cd "$(dirname "$0")"
if [ ! -d node_modules/yjs ]; then
	npm ci --no-audit --no-fund >&2
fi
exec go run . "$@"
