#!/bin/sh
# bench/editor.sh - the image editor in headless Debian Chromium (playwright-
# core) against a real `cairn serve` (the release build): an image with
# 10,000 polygons of 20 vertices (time to open and first full render; frames
# per second while panning and zooming, measured in the page, beside a bare
# canvas loop drawing the same polygons in the same browser: the ceiling),
# and one 100,000-vertex polygon (dragging one vertex and redrawing).
# Prints figures, never pass/fail. Needs node, playwright-core and
# /usr/bin/chromium (scripts/install-deps); without them it says so.
set -eu
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null || [ ! -d node_modules/playwright-core ] || [ ! -x "${CAIRN_CHROMIUM:-/usr/bin/chromium}" ]; then
	echo "bench editor: skipped: needs node, node_modules/playwright-core and chromium"
	exit 0
fi
[ -x build/cairn ] || make -s build/cairn
CAIRN_TEST_BIN=${CAIRN_BIN:-build/cairn} exec node bench/editor.mjs
