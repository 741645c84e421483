#!/bin/bash
# Runs one libFuzzer target for ctest (tests/fuzz/CMakeLists.txt).
#   run.sh replay TARGET CORPUS_DIR          every file once (seeds, past crashes)
#   run.sh fuzz TARGET CORPUS_DIR WORK SECS  fuzz for SECS seconds from the seeds;
#                                            new inputs go to WORK, never the source tree
# A crash leaves crash-* in WORK and fails the test; copy it into CORPUS_DIR
# once fixed, so every later run replays it.
set -euo pipefail
mode=$1 target=$2 corpus=$3
name=$(basename "$target")
dict=$(dirname "$0")/$name.dict
dict_arg=()
[ -f "$dict" ] && dict_arg=(-dict="$dict")

case "$mode" in
replay)
	shopt -s nullglob
	files=("$corpus"/*)
	[ ${#files[@]} -gt 0 ] || { echo "no seeds in $corpus" >&2; exit 1; }
	exec "$target" "${files[@]}"
	;;
fuzz)
	work=$4 secs=$5
	rm -rf "$work"
	mkdir -p "$work/new"
	cd "$work"
	exec "$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/" "${dict_arg[@]}" "$work/new" "$corpus"
	;;
*)
	echo "usage: run.sh replay|fuzz TARGET CORPUS [WORK SECS]" >&2
	exit 2
	;;
esac
