#!/usr/bin/env bash
# Hostile mail (t/hostile-mail.py) through the whole pipeline: every
# message gets one stored fate with its raw bytes; past a named limit
# (size, header block, depth, parts, line) the fate is too_large or
# unparseable instead of a ticket built on cut content; the too_large
# notice goes out in the sender's language; NUL, invalid UTF-8, base64
# and quoted-printable bombs and a boundary that never closes make
# ordinary tickets with all their text.  Memory and time stay bounded.
# From IMAP, such mail is moved to the quarantine folder.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

command -v sqlite3 >/dev/null || skip_all 'sqlite3 missing'
lib_servers_have_deps && test_set_prereq DOVECOT
[ -x /usr/bin/time ] && test_set_prereq TIME

hm () { "$PY" "$TICKETD_SRC/t/hostile-mail.py" "$@"; }
db () { sqlite3 "$TEST_DIR/ticketd.db" "$@"; }

# deliver KIND FATE: the hostile mail KIND through ticketctl deliver gets
# FATE; its raw bytes are stored as they came; peak memory and time in
# KIND.cost ("KB seconds").
deliver () {
	hm "$1" >"$1.eml" &&
	if test_have_prereq TIME; then
		/usr/bin/time -o "$1.cost" -f "%M %e" "$TICKETCTL" -c ticketd.conf deliver <"$1.eml" >"$1.out"
	else
		"$TICKETCTL" -c ticketd.conf deliver <"$1.eml" >"$1.out"
	fi &&
	test_grep "fate=$2 " "$1.out" &&
	id=$(db "SELECT id FROM messages WHERE direction = 'in' ORDER BY id DESC LIMIT 1") &&
	[ "$(db "SELECT fate FROM messages WHERE id = $id")" = "$2" ] &&
	db "SELECT writefile('$1.stored', raw) FROM messages WHERE id = $id" >/dev/null &&
	cmp "$1.eml" "$1.stored"
}

# bounded KIND: under 64 MB of memory and 5 seconds.
bounded () {
	test_have_prereq TIME || return 0
	read -r kb secs <"$1.cost" &&
	echo "$1: $kb KB, $secs s" >>costs.txt &&
	[ "$kb" -lt 65536 ] && [ "${secs%.*}" -lt 5 ]
}

test_expect_success 'setup: a 1M size limit, Acme registers its domain' '
	write_config ticketd.conf <<-\EOF &&
	[general]
	max_message_size = 1M
	EOF
	"$TICKETCTL" -c ticketd.conf org add Acme --plan SP2 --region EMEA --domain acme.example \
		--auto-register >/dev/null
'

test_expect_success 'over max_message_size: too_large, its bytes kept, a notice' '
	deliver oversize too_large && bounded oversize &&
	[ "$(db "SELECT COUNT(*) FROM outbox WHERE kind = '\''too_large'\''")" -eq 1 ] &&
	[ "$(db "SELECT COUNT(*) FROM tickets")" -eq 0 ]
'

test_expect_success 'the too_large notice speaks the sender'\''s language' '
	deliver german too_large &&
	db "SELECT m.raw FROM outbox o JOIN messages m ON m.id = o.message ORDER BY o.id DESC LIMIT 1" >notice.eml &&
	"$PY" "$TICKETD_SRC/t/mail-tool.py" header notice.eml Subject >subject &&
	test_grep "Nachricht nicht angenommen" subject
'

test_expect_success 'a 300 KB subject (header block over MIME_MAX_HEADER_SIZE): unparseable, no ticket' '
	deliver subject2m unparseable && bounded subject2m &&
	test_grep "MIME_MAX_HEADER_SIZE" subject2m.out &&
	deliver headers unparseable && bounded headers &&
	[ "$(db "SELECT COUNT(*) FROM tickets")" -eq 0 ]
'

test_expect_success 'nested 10,000 deep, 1,500 parts, a 100 KB line: unparseable, named limits' '
	deliver deep unparseable && bounded deep &&
	test_grep "MIME_MAX_DEPTH" deep.out &&
	deliver parts unparseable && bounded parts &&
	test_grep "MIME_MAX_PARTS" parts.out &&
	deliver longline unparseable && bounded longline &&
	test_grep "MIME_MAX_LINE" longline.out &&
	[ "$(db "SELECT COUNT(*) FROM tickets")" -eq 0 ] &&
	[ "$(db "SELECT COUNT(*) FROM outbox WHERE kind <> '\''too_large'\''")" -eq 0 ]
'

test_expect_success 'a NUL does not end the text' '
	deliver nul created &&
	"$TICKETCTL" -c ticketd.conf show --json SUP-1 >nul.json &&
	test_grep "after the nul, still read" nul.json
'

test_expect_success 'invalid UTF-8 is read as valid UTF-8 text' '
	deliver badutf8 created &&
	"$TICKETCTL" -c ticketd.conf show --json SUP-2 >bad.json &&
	"$PY" -c "import json, sys; d = json.load(open(\"bad.json\", encoding=\"utf-8\", errors=\"strict\")); assert \"sequence\" in json.dumps(d, ensure_ascii=False), d" &&
	"$TICKETCTL" -c ticketd.conf list --json >list.json &&
	"$PY" -c "open(\"list.json\", encoding=\"utf-8\", errors=\"strict\").read()"
'

test_expect_success 'base64 in base64 in message/rfc822, 12 levels, and a QP bomb: tickets, bounded' '
	deliver b64bomb created && bounded b64bomb &&
	deliver qpbomb created && bounded qpbomb
'

test_expect_success 'a boundary that never closes: its parts are read' '
	deliver noclose created &&
	"$TICKETCTL" -c ticketd.conf show --json SUP-5 >noclose.json &&
	test_grep "The question, in a part that never closes" noclose.json
'

test_expect_success DOVECOT 'from IMAP: unparseable mail is stored, then moved to the quarantine folder' '
	start_dovecot &&
	write_config imap.conf <<-EOF &&
	[general]
	database = $TEST_DIR/imap.db
	accept_unregistered = yes
	EOF
	hm deep >deep-imap.eml &&
	hm nul >nul-imap.eml &&
	imap_append deep-imap.eml &&
	imap_append nul-imap.eml &&
	"$TICKETD" -c imap.conf --once 2>imap.log &&
	test_grep "uid=1 .*fate=unparseable" imap.log &&
	test_grep "uid=2 .*fate=created" imap.log &&
	[ "$(imap_count Quarantine)" -eq 1 ] &&
	imap_uids >inbox &&
	test_grep "^2 .*Seen" inbox &&
	[ "$(sqlite3 imap.db "SELECT imap_pending FROM messages WHERE uid = 1")" -eq 0 ]
'

if [ -s "$TEST_DIR/costs.txt" ]; then
	echo "# peak memory and time per hostile mail: $(tr '\n' ';' <"$TEST_DIR/costs.txt")"
fi
test_done
