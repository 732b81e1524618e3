#!/usr/bin/env bash
# t/bench/intake-burst.sh [N]: N customer mails (default 300) land in the
# Dovecot mailbox at once; the running daemon turns them into tickets and
# answers each.  Prints the time to the last ticket and to the last
# auto-response, and checks nothing was lost or doubled.  Not run by ctest.
TEST_NO_TAP=1
. "$(dirname "$0")/../test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"
set -e
n=${1:-300}
db () { sqlite3 "$TEST_DIR/ticketd.db" "$@" 2>/dev/null || echo 0; }

start_dovecot >/dev/null
start_smtp_sink >/dev/null
printf '[general]\naccept_unregistered = yes\nautoresponse_limit = 0\n' | write_config ticketd.conf
# Written straight into the Maildir (fast); Dovecot gives them UIDs at once.
md=$(find "$DOVECOT_DIR" -type d -name new -path '*support*' | head -n 1)
md=${md%/new}
for i in $(seq 1 "$n"); do
	printf 'From: c%d@burst.example\r\nTo: support@example.com\r\nSubject: burst %d\r\nMessage-ID: <burst-%d@burst.example>\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\nbody %d\r\n' \
		"$i" "$i" "$i" "$i" >"$md/tmp/m$i"
	mv "$md/tmp/m$i" "$md/new/m$i:2,"
done
start=$(date +%s.%N)
start_ticketd ticketd.conf
wait_for "[ \"\$(db 'SELECT COUNT(*) FROM tickets')\" -ge $n ]" 120
t1=$(date +%s.%N)
sink_wait "$n" 120
t2=$(date +%s.%N)
stop_ticketd
echo "machine: $(nproc) CPU(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "tickets $(db 'SELECT COUNT(*) FROM tickets'), auto-responses $(sink_count), flagged $(imap_uids | grep -c Seen) of $n"
awk -v a="$start" -v b="$t1" -v c="$t2" -v n="$n" \
	'BEGIN { printf "%d tickets in %.2f s (%.0f/s); every answer sent after %.2f s\n", n, b - a, n / (b - a), c - a }'
