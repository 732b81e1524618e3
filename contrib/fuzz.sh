#!/usr/bin/env bash
# contrib/fuzz.sh [SECONDS] [TARGET]: build a libFuzzer target (clang,
# ASan+UBSan) and fuzz it, seeded with the mail corpora and t/data:
# fuzz-mime (the default: the MIME parser and inspect's JSON writer) or
# fuzz-authres (Authentication-Results and reply tokens). Crashers land in
# t/fuzz/crashers/ (add them to the tests). Default: 60 seconds; pass 1800
# for the 30-minute run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
secs=${1:-60}
target=${2:-fuzz-mime}
CC=clang cmake -S . -B build-fuzz -DTICKETD_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j2 --target "$target"
work=build-fuzz/fuzz-corpus
mkdir -p "$work" t/fuzz/crashers
seeds=(t/data)
[ -d ../shared/corpus ] && seeds+=(../shared/corpus)
# libFuzzer wants flat folders of files: copy the seeds in once.
if [ -z "$(ls -A "$work")" ]; then
	find "${seeds[@]}" -type f \( -name '*.eml' -o -name '*.msg' -o -path '*sisimai*' -o -path '*mail-gem*' \) \
		-size -256k -print0 | xargs -0 -I{} sh -c 'cp "$1" "$0/$(echo "$1" | md5sum | cut -c1-16)"' "$work" {}
fi
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
"./build-fuzz/t/$target" "$work" -max_total_time="$secs" -max_len=262144 -timeout=10 \
	-artifact_prefix=t/fuzz/crashers/ -print_final_stats=1
