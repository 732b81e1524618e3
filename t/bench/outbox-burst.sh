#!/usr/bin/env bash
# outbox-burst.sh: queue a burst of notifications and time the drain to the
# loopback aiosmtpd sink.  Not run by ctest; by hand:
#
#	TICKETD_BUILD=/tmp/build bash t/bench/outbox-burst.sh [N]
#
# One ticket with N-1 participants gets one public comment (N mails queued
# in one transaction), then `ticketd --once` sends the outbox over one
# kept SMTP connection.  Prints the queueing time and the drain rate.
TEST_NO_TAP=1
. "$(dirname "$0")/../test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

N=${1:-1000}
"$PY" -c 'import aiosmtpd' 2>/dev/null || { echo "outbox-burst: aiosmtpd missing" >&2; exit 77; }
[ -x "$TICKETCTL" ] || { echo "outbox-burst: no $TICKETCTL (set TICKETD_BUILD)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "outbox-burst: sqlite3 missing" >&2; exit 77; }

ms () { local t=${EPOCHREALTIME//[!0-9]/}; echo $((10#$t / 1000)); }

start_smtp_sink || exit 1
write_config ticketd.conf || exit 1
ctl () { "$TICKETCTL" -c ticketd.conf "$@"; }
ctl agent add agent@example.com --name "Bench Agent" >/dev/null || exit 1
ctl org add Burst --plan Enterprise --region EMEA >/dev/null || exit 1
ctl contact add burst@customer.example --org Burst >/dev/null || exit 1
"$PY" "$TICKETD_SRC/t/mail-tool.py" new --from "Burst Customer <burst@customer.example>" \
	--subject "Burst test" --body "Please send many mails." >m.eml
ctl deliver <m.eml >deliver.out || exit 1
grep -q "fate=created ticket=SUP-1" deliver.out || { cat deliver.out >&2; exit 1; }
# Participants straight into the store: sharing 999 times through the CLI
# would time ticketctl, not the outbox.
{
	echo "BEGIN;"
	for ((i = 1; i < N; i++)); do
		echo "INSERT INTO participants (ticket, email, added_at) VALUES (1, 'p$i@customer.example', 0);"
	done
	echo "COMMIT;"
} | sqlite3 "$TEST_DIR/ticketd.db" || exit 1
# The auto-response goes first, so that it does not count.
"$TICKETD" -c ticketd.conf --once 2>/dev/null
sink_wait 1 10 || exit 1
base=$(sink_count)

t0=$(ms)
ctl comment SUP-1 --as agent@example.com -m "A comment for $N people." >queue.out || exit 1
t1=$(ms)
queued=$(sqlite3 "$TEST_DIR/ticketd.db" "SELECT COUNT(*) FROM outbox WHERE status = 'queued'")
if [ -x /usr/bin/time ]; then
	/usr/bin/time -o cpu.txt -f "%U %S" "$TICKETD" -c ticketd.conf --once 2>send.log
else
	"$TICKETD" -c ticketd.conf --once 2>send.log
fi
t2=$(ms)
sent=$(sqlite3 "$TEST_DIR/ticketd.db" "SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
sent=$((sent - base))
sink_wait $((base + queued)) 30 || echo "outbox-burst: the sink has $(sink_count) mails, expected $((base + queued))" >&2
drain=$((t2 - t1))
[ "$drain" -gt 0 ] || drain=1
echo "queued $queued notifications in one transaction: $((t1 - t0)) ms"
echo "sent $sent in $drain ms: $((sent * 1000 / drain)) messages/s (ticketd --once, one SMTP connection, aiosmtpd on loopback)"
if [ -s cpu.txt ]; then
	read -r user sys <cpu.txt
	echo "ticketd's own CPU time for the drain: user ${user}s sys ${sys}s (the rest is the sink and the wire)"
fi
echo "machine: $(nproc) CPU(s), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
[ "$sent" -eq "$queued" ]
