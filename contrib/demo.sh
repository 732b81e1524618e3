#!/usr/bin/env bash
# contrib/demo.sh: ticketd end to end on this machine, in a minute.
#
# Installs the dependencies, builds, starts a throwaway Dovecot (IMAP) and an
# SMTP sink on loopback, puts a Japanese customer mail (ISO-2022-JP) into the
# support mailbox, runs "ticketd --once", shows the automatic response the
# customer would get and the ticket it created, then stops everything.
# Nothing outside a temporary directory is touched (besides build/).
#
#	contrib/demo.sh [--no-build]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

build=1
case ${1:-} in
--no-build) build= ;;
"") ;;
*) echo "usage: contrib/demo.sh [--no-build]" >&2; exit 2 ;;
esac

# Headings in bold on a terminal.
if [ -t 1 ]; then
	bold=$(printf '\033[1m') plain=$(printf '\033[0m')
else
	bold='' plain=''
fi
say () {
	printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"
}

if [ -n "$build" ]; then
	say "dependencies"
	contrib/deps.sh
	say "build"
	cmake -S . -B build >/dev/null
	cmake --build build -j2
fi

# The test harness gives us a temp dir, cleanup on exit and the servers.
# TEST_NO_TAP: we are not a TAP test. The temp dir goes away at exit unless
# something failed (then its path is printed, logs inside).
export TEST_NO_TAP=1
export TICKETD_SRC=$root
export TICKETD_BUILD=$root/build
. "$root/t/test-lib.sh"
. "$root/t/lib-servers.sh"

for bin in "$TICKETD" "$TICKETCTL"; do
	if [ ! -x "$bin" ]; then
		echo "demo: '$bin' is missing: build first (contrib/demo.sh without --no-build)" >&2
		exit 1
	fi
done

say "starting Dovecot (IMAP) and an SMTP sink on 127.0.0.1"
start_dovecot
start_smtp_sink
conf=$TEST_DIR/ticketd.conf
write_config "$conf" </dev/null
echo "IMAP  127.0.0.1:$IMAP_PORT  user $IMAP_USER  (Dovecot, $DOVECOT_DIR)"
echo "SMTP  127.0.0.1:$SMTP_PORT  (every message saved in $SINK_DIR)"
echo "config $conf:"
sed -e 's/^./    &/' "$conf"

say "registering the customer's organisation (new addresses at its domain become contacts)"
echo "    ticketctl org add 'Sample Trading' --plan SP2 --region APAC --domain example.co.jp --auto-register"
"$TICKETCTL" -c "$conf" org add 'Sample Trading' --plan SP2 --region APAC \
	--domain example.co.jp --auto-register

sample=$root/contrib/demo/sample-ja.eml
say "a customer writes to support@example.com ($(basename "$sample"))"
# Decoded for people; the file itself is 7-bit ISO-2022-JP.
"$PY" - "$sample" <<'EOF'
import email, email.policy, sys
with open(sys.argv[1], 'rb') as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)
for h in ('From', 'To', 'Subject', 'Date', 'Message-ID', 'Content-Type'):
    print('    %s: %s' % (h, msg[h]))
print()
for line in msg.get_content().splitlines()[:8]:
    print('    ' + line)
print('    ...')
EOF
imap_append "$sample"
echo "appended to INBOX: $(imap_count) message(s)"

say "ticketd -c $conf --once"
if ! "$TICKETD" -c "$conf" --once; then
	echo "demo: ticketd failed" >&2
	exit 1
fi

say "what the customer received"
# --once drains the outbox before it exits; allow the sink a moment to write.
sink_wait 1 5 || { echo "demo: nothing arrived at the SMTP sink" >&2; exit 1; }
sink_files | while IFS= read -r eml; do
	echo "--- $(basename "$eml"), envelope:"
	sed -e 's/^/    /' "${eml%.eml}.env"
	echo "--- headers as sent:"
	# The raw header block, up to the first empty line, without CRs.
	sed -e 's/\r$//' -e '/^$/q' "$eml" | sed -e 's/^/    /'
	echo "--- decoded:"
	"$PY" - "$eml" <<'EOF'
import email, email.policy, sys
with open(sys.argv[1], 'rb') as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)
print('    Subject: %s' % msg['Subject'])
body = msg.get_body(preferencelist=('plain', 'html'))
print()
if body is None:
    print('    (no text part)')
else:
    for line in body.get_content().splitlines():
        print('    ' + line)
EOF
done

say "ticketctl -c $conf show SUP-1"
"$TICKETCTL" -c "$conf" show SUP-1

say "done: stopping the servers and removing $TEST_DIR"
