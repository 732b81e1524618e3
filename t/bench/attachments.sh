#!/usr/bin/env bash
# t/bench/attachments.sh [MIB]: one customer mail with a MIB-MiB file
# (default 18, about the most a 25M mail holds) through `ticketctl
# deliver`, the same bytes back with `attachment get`, then an agent's
# comment carrying a file just under max_outgoing_attachments, queued and
# sent to the aiosmtpd sink.  Prints seconds and peak RSS of each step,
# the store and WAL sizes, and checks every byte on the way.  Not run by
# ctest.
TEST_NO_TAP=1
. "$(dirname "$0")/../test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"
set -e
mib=${1:-18}
ctl () { "$TICKETCTL" -c ticketd.conf "$@"; }
# timed LABEL CMD...: run CMD, print its wall time and peak RSS.
timed () {
	local label=$1
	shift
	/usr/bin/time -f "$label %e s, peak RSS %M KiB" "$@" 2>>times >/dev/null || {
		cat times; exit 1; }
}
size () { stat -c %s "$1" 2>/dev/null || echo 0; }

start_smtp_sink >/dev/null
write_config ticketd.conf <<-EOF
[general]
max_attachment_size = $((mib + 1))M
max_outgoing_attachments = 10M
EOF
ctl org add Acme --plan SP2 --region EMEA --domain acme.example >/dev/null
ctl contact add kenji@acme.example --org Acme >/dev/null
ctl agent add dana@example.com --name Dana >/dev/null
head -c $((mib * 1024 * 1024)) /dev/urandom >big.bin
head -c $((9 * 1024 * 1024)) /dev/urandom >out.bin
{
	printf 'From: kenji@acme.example\r\nTo: support@example.com\r\nSubject: dump\r\n'
	printf 'Message-ID: <bench@acme.example>\r\nMIME-Version: 1.0\r\n'
	printf 'Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nthe dump\r\n'
	printf -- '--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=big.bin\r\n'
	printf 'Content-Transfer-Encoding: base64\r\n\r\n'
	base64 -w 76 big.bin | sed 's/$/\r/'
	printf -- '--B--\r\n'
} >in.eml
[ "$(size in.eml)" -le $((25 * 1024 * 1024)) ] || { echo "in.eml over 25M: use fewer MiB"; exit 1; }
cp in.eml in1.eml
timed "deliver ($(size in.eml) bytes of mail):" "$TICKETCTL" -c ticketd.conf deliver <in1.eml
timed "deliver again (a duplicate):" "$TICKETCTL" -c ticketd.conf deliver <in.eml
timed "attachment get ($mib MiB):" "$TICKETCTL" -c ticketd.conf attachment get SUP-1 1 -o got.bin
cmp got.bin big.bin
timed "comment --attach (9 MiB, queued for 1):" "$TICKETCTL" -c ticketd.conf comment SUP-1 --as dana@example.com -m "the build" --attach out.bin
start=$(date +%s.%N)
timed "send (ticketd --once):" "$TICKETD" -c ticketd.conf --once
sink_wait 2 60
end=$(date +%s.%N)
f=$(sink_files | tail -n 1)
"$PY" - "$f" out.bin <<'EOF'
import email, hashlib, sys
m = email.message_from_bytes(open(sys.argv[1], 'rb').read())
parts = [p for p in m.walk() if p.get_filename() == 'out.bin']
want = hashlib.sha256(open(sys.argv[2], 'rb').read()).hexdigest()
got = hashlib.sha256(parts[0].get_payload(decode=True)).hexdigest() if parts else None
sys.exit(0 if got == want else 'the sink got other bytes')
EOF
echo "machine: $(nproc) CPU(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
cat times
echo "sent mail: $(size "$f") bytes; store $(size ticketd.db) bytes, WAL $(size ticketd.db-wal) bytes after the run"
echo "every byte checked: attachment get = the file; the sink's part = the attached file"
