#!/usr/bin/env bash
# t/bench/inspect-speed.sh [N]: how fast `ticketctl inspect --json` parses
# typical mail, and that its peak memory does not grow with the file count.
#
# Takes the mail-gem and mime4j corpora plus t/data (mail under 64 KiB:
# "typical"), repeats them to N files (default 5000), and runs inspect once
# over N and once over N/10 files on one core, printing messages per second
# and peak RSS for both.  Not run by ctest; needs ../shared/corpus.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
n=${1:-5000}
ctl=${TICKETD_BUILD:-build}/ticketctl
[ -x "$ctl" ] || { echo "build first: $ctl missing" >&2; exit 1; }
corpus=../shared/corpus
[ -d "$corpus" ] || { echo "no $corpus: skipped" >&2; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mapfile -t seeds < <(find "$corpus/mail-gem" "$corpus/mime4j" t/data -type f \
	\( -name '*.eml' -o -name '*.msg' -o -path '*mail-gem*' \) -size -64k | sort)
i=0
while [ "$i" -lt "$n" ]; do
	for s in "${seeds[@]}"; do
		[ "$i" -lt "$n" ] || break
		ln -s "$PWD/$s" "$work/$i.eml"
		i=$((i + 1))
	done
done
run () {
	local count=$1 start end rss
	start=$(date +%s.%N)
	/usr/bin/time -f '%M' -o "$work/rss" taskset -c 0 \
		"$ctl" inspect --json $(seq -f "$work/%g.eml" 0 $((count - 1))) >/dev/null
	end=$(date +%s.%N)
	rss=$(cat "$work/rss")
	awk -v n="$count" -v s="$start" -v e="$end" -v r="$rss" \
		'BEGIN { printf "%6d files: %7.0f msg/s on one core, peak RSS %d KiB\n", n, n / (e - s), r }'
}
echo "inspect --json over ${#seeds[@]} distinct corpus messages, repeated ($(nproc) cores, $(uname -m))"
run $((n / 10))
run "$n"
