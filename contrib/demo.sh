#!/usr/bin/env bash
# contrib/demo.sh: ticketd end to end on this machine, in under a minute.
#
# Installs the dependencies, builds, starts a throwaway Dovecot (IMAP) and an
# SMTP sink on loopback, starts the daemon (it waits in IMAP IDLE), and
# tells a ticket's whole story, each step on screen with the daemon's own
# log lines:
#
#   1. a Japanese customer writes to support (ISO-2022-JP mail)
#   2. the daemon makes ticket SUP-1 and sends the automatic response
#   3. the customer replies to that response: threaded onto SUP-1
#   4. an agent comments (ticketctl comment)
#   5. the customer's notification arrives
#   6. the SLA clock has stopped: the first response met its target
#
# The story runs on a clock that starts on Thursday 26 November 2026 at
# 10:00 in Tokyo (the APAC desk's business hours) and then runs at real
# speed (TICKETD_NOW), so the SLA figures are the same on every run.
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
export TICKETD_BUILD=${TICKETD_BUILD:-$root/build}
. "$root/t/test-lib.sh"
. "$root/t/lib-servers.sh"

for bin in "$TICKETD" "$TICKETCTL"; do
	if [ ! -x "$bin" ]; then
		echo "demo: '$bin' is missing: build first (contrib/demo.sh without --no-build)" >&2
		exit 1
	fi
done

fail () {
	echo "demo: $*" >&2
	if [ -n "${TICKETD_LOG:-}" ] && [ -f "$TICKETD_LOG" ]; then
		echo "demo: the daemon's log:" >&2
		sed -e 's/^/    /' "$TICKETD_LOG" >&2
	fi
	exit 1
}

# The story's clock: ticketd and every ticketctl run believe the same time.
DEMO_T0=$(date -u -d 2026-11-26T01:00:00Z +%s)
demo_start=$EPOCHSECONDS
demo_now () {
	echo $((DEMO_T0 + EPOCHSECONDS - demo_start))
}
ctl () {
	local arg shown="    \$ ticketctl"
	for arg in "$@"; do
		case $arg in
		*$'\n'*) shown="$shown '${arg%%$'\n'*} …'" ;;
		*' '*) shown="$shown '$arg'" ;;
		*) shown="$shown $arg" ;;
		esac
	done
	echo "$shown"
	TICKETD_NOW=$(demo_now) "$TICKETCTL" -c "$conf" "$@" 2>&1 | sed -e 's/^/    /'
	return "${PIPESTATUS[0]}"
}

# log_new: the daemon's log lines written since the last call.
log_seen=0
log_new () {
	local n
	n=$(wc -l <"$TICKETD_LOG")
	if [ "$n" -gt "$log_seen" ]; then
		sed -n "$((log_seen + 1)),${n}p" "$TICKETD_LOG" | sed -e 's/^/    ticketd| /'
	fi
	log_seen=$n
}

# show_mail FILE: the envelope, the raw header as sent, the decoded text.
show_mail () {
	echo "    --- envelope:"
	sed -e 's/^/    /' "${1%.eml}.env"
	echo "    --- header as sent:"
	sed -e 's/\r$//' -e '/^$/q' "$1" | sed -e 's/^/    /'
	echo "    --- decoded:"
	"$PY" - "$1" <<'EOF'
import email, email.policy, sys
with open(sys.argv[1], 'rb') as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)
print('    Subject: %s' % msg['Subject'])
body = msg.get_body(preferencelist=('plain', 'html'))
print()
for line in (body.get_content() if body is not None else '(no text part)').splitlines():
    print('    ' + line)
EOF
}

mail_tool () {
	"$PY" "$root/t/mail-tool.py" "$@"
}

say "starting Dovecot (IMAP) and an SMTP sink on 127.0.0.1"
start_dovecot
start_smtp_sink
conf=$TEST_DIR/ticketd.conf
write_config "$conf" </dev/null
chmod 600 "$conf"	# it holds the mailbox password: ticketd warns otherwise
echo "IMAP  127.0.0.1:$IMAP_PORT  user $IMAP_USER  (Dovecot, $DOVECOT_DIR)"
echo "SMTP  127.0.0.1:$SMTP_PORT  (every message saved in $SINK_DIR)"
echo "config $conf:"
sed -e 's/^./    &/' "$conf"

say "the registry: the customer's organisation (its domain registers new addresses) and an agent"
ctl org add 'Sample Trading' --plan SP2 --region APAC --domain example.co.jp --auto-register
ctl agent add sato.hanako@example.com --name '佐藤 花子' --region APAC

say "starting the daemon: ticketd -c $conf (in the background; it waits in IMAP IDLE)"
TICKETD_NOW=$(demo_now) start_ticketd "$conf"
wait_for "grep -q 'event=connected.*idle=yes' '$TICKETD_LOG'" 15 ||
	fail "the daemon did not connect to the mailbox"
log_new

sample=$root/contrib/demo/sample-ja.eml
say "1. the customer writes to support@example.com ($(basename "$sample"), ISO-2022-JP)"
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
echo "    appended to INBOX; IDLE wakes the daemon"

say "2. the daemon makes the ticket and sends the automatic response"
wait_for "grep -q 'fate=created ticket=SUP-1' '$TICKETD_LOG'" 15 || fail "no ticket was created"
sink_wait 1 15 || fail "no automatic response arrived at the SMTP sink"
wait_for "grep -q 'kind=autoresponse.*result=sent' '$TICKETD_LOG'" 5 || :
log_new
autoresponse=$(sink_files | sed -n 1p)
show_mail "$autoresponse"

say "3. the customer replies to the automatic response (to its Reply-To, threaded)"
reply_to=$(mail_tool header "$autoresponse" Reply-To)
mail_tool reply "$autoresponse" --from '山田 太郎 <taro.yamada@example.co.jp>' --to "$reply_to" \
	--body "$(printf '%s\n' \
		'ご連絡ありがとうございます。' \
		'補足です。エラーは社外のネットワークからアクセスした場合も同じでした。' \
		'' \
		'2026年11月26日(木) 10:00 Example Support <support@example.com>のメッセージ:' \
		'> 山田 太郎 様' \
		'> お問い合わせを受け付けました。チケット番号は SUP-1 です。')" >reply.eml
for h in From To Subject In-Reply-To; do
	printf '    %s: %s\n' "$h" "$(mail_tool header reply.eml "$h")"
done
imap_append reply.eml
wait_for "grep -q 'fate=followup ticket=SUP-1' '$TICKETD_LOG'" 15 || fail "the reply was not threaded"
log_new
echo "    (by=token: the reply token in the address and the Message-ID it answers name SUP-1)"

say "4. an agent answers the customer (a public comment)"
ctl comment SUP-1 --as sato.hanako@example.com -m "$(printf '%s\n' \
	'山田様' \
	'' \
	'ご不便をおかけしております。認証サーバーの証明書の更新に不備があり、E1023 が発生していることを確認しました。' \
	'本日 12:00 までに修正を適用し、改めてご連絡いたします。' \
	'' \
	'佐藤')"

say "5. the customer's notification arrives (the running daemon sends the queued mail within a second)"
sink_wait 2 15 || fail "no notification arrived at the SMTP sink"
wait_for "grep -q 'kind=comment.*result=sent' '$TICKETD_LOG'" 5 || :
log_new
show_mail "$(sink_files | sed -n 2p)"

say "6. the SLA clock has stopped: the first human response met its target"
ctl show SUP-1
ctl sla

say "stopping the daemon (SIGTERM: it finishes the message in hand and exits 0)"
stop_ticketd || fail "ticketd did not stop cleanly"
log_new

say "done: stopping the servers and removing $TEST_DIR"
