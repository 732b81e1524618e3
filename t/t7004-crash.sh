#!/usr/bin/env bash
# The crash test: a seeded, realistic mix of mail (new mails, replies by
# thread and by reply token, out-of-office answers, bounces, strangers,
# re-deliveries) lands while the daemon is killed with SIGKILL again and
# again, each time in the middle of intake or of sending (t/crash-load.py
# kills it right after a fate or a send line).  Then one clean run, and
# the judge: one fate per mail, tickets = new mails, follow-ups on their
# tickets, every mail flagged on the server, every outbox row sent, none
# twice unless the log says dup=possible for it, PRAGMA integrity_check.
#
#   TICKETD_CRASH_SEED=N   another seed (default 1)
#   TICKETD_CRASH_KILLS=N  how many kills (default 50; TICKETD_LONG=1: 500)
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'dovecot or aiosmtpd missing'
command -v sqlite3 >/dev/null || skip_all 'sqlite3 missing'

SEED=${TICKETD_CRASH_SEED:-1}
KILLS=${TICKETD_CRASH_KILLS:-$([ -n "${TICKETD_LONG:-}" ] && echo 500 || echo 50)}
CL () { "$PY" "$TICKETD_SRC/t/crash-load.py" "$@"; }
db () { sqlite3 "$TEST_DIR/ticketd.db" "$@"; }
LOG=$TEST_DIR/crash.log

test_expect_success 'setup: Dovecot, the sink, Acme and its twenty customers' '
	start_dovecot &&
	start_smtp_sink &&
	write_config ticketd.conf <<-\EOF &&
	[general]
	autoresponse_limit = 100000
	default_plan = Crash
	[plan Crash]
	max_contacts = 0
	EOF
	"$TICKETCTL" -c ticketd.conf org add Acme --plan Crash --region EMEA >/dev/null &&
	{
		echo "email,name,org,lang" &&
		for i in $(seq 1 20); do echo "c$i@acme.example,Customer $i,Acme,en"; done
	} >contacts.csv &&
	"$TICKETCTL" -c ticketd.conf import contacts contacts.csv >/dev/null &&
	: >"$LOG"
'

# One round: new mail lands, the daemon starts, and dies by SIGKILL 0-14 ms
# after its next fate line, or its next send line, or (every third
# round) at a random moment 0-0.39 s after its start.
crash_round () {
	local k=$1 pattern delay timeout out
	# Each restart starts later than the one before: time never runs back.
	test_tick 30
	CL gen --state state.json --seed "$SEED" --round "$k" --count $((2 + RANDOM % 6)) \
		--sink "$SINK_DIR" || return 1
	delay=$((RANDOM % 15))
	timeout=10
	case $((k % 3)) in
	1) pattern=' info ingest ' ;;
	2) pattern=' info send ' ;;
	*) pattern='^never$' timeout=0.$((RANDOM % 4))$((RANDOM % 10)) ;;
	esac
	out=$(CL killer --log "$LOG" --pattern "$pattern" --delay-ms "$delay" --timeout "$timeout" \
		-- "$TICKETD" -c ticketd.conf)
	# What the kill interrupted: mail waiting on the server, rows queued, a row in flight.
	echo "kill=$k after=${pattern// /} delay=${delay}ms unseen=$(imap_uids | grep -vc Seen)" \
		"queued=$(db "SELECT COUNT(*) FROM outbox WHERE status = 'queued'")" \
		"in_flight=$(db "SELECT COALESCE(group_concat(id), '') FROM outbox WHERE claimed_by IS NOT NULL")" \
		"$out" >>kills.txt
}

test_expect_success "$KILLS kills with SIGKILL while mail arrives and goes out (seed $SEED)" '
	RANDOM=$SEED &&
	for k in $(seq 1 $KILLS); do
		crash_round $k || return 1
	done &&
	[ "$(grep -c "killed on" kills.txt)" -ge $((KILLS * 9 / 10)) ]
'

test_expect_success 'a clean run finishes the work: every mail flagged, the outbox empty' '
	n=$("$PY" -c "import json; print(len(json.load(open(\"state.json\"))[\"mails\"]))") &&
	TICKETD_LOG=$LOG start_ticketd ticketd.conf &&
	wait_for "[ \$(db \"SELECT COUNT(*) FROM messages WHERE direction = '\''in'\''\") -eq $n ] &&
		[ \$(db \"SELECT COUNT(*) FROM outbox WHERE status = '\''queued'\''\") -eq 0 ] &&
		[ \$(imap_uids | grep -vc Seen) -eq 0 ]" 60 &&
	stop_ticketd
'

test_expect_success 'the judge: one fate each, tickets = new mails, at most once, integrity' '
	CL check --state state.json --db "$TEST_DIR/ticketd.db" --sink "$SINK_DIR" --log "$LOG" \
		--kills kills.txt --report crash.json >check.out &&
	cat check.out
'

if [ -s "$TEST_DIR/crash.json" ]; then
	echo "# crash test, seed $SEED, $KILLS kills: $(cat "$TEST_DIR/crash.json")"
	grep "^# kill" "$TEST_DIR/check.out"
fi
test_done
