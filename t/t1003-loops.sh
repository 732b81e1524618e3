#!/usr/bin/env bash
# Mail loops, closed for real: our outgoing mail (the SMTP sink) goes back
# to whoever answers it, and their answers come back in, round after
# round, until the loop ends on its own.
#
#   - an autoresponder that answers every mail, with no headers to say
#     so: the per-sender limit (autoresponse_limit an hour) stops it;
#     one that threads, one that says Auto-Submitted, one that echoes
#     our mail back, one that keeps our X-Loop: no loop at all;
#   - two desks writing to each other (two ticketd, two stores): our
#     Auto-Submitted ends it after one answer;
#   - two ticketd instances on one mailbox and one store: every mail one
#     fate and one ticket, and each queued mail sent once (the outbox
#     claims a row in a commit before its mail goes out);
#   - a key rotated while the daemon runs: it verifies the new tokens.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'dovecot or aiosmtpd missing'
command -v sqlite3 >/dev/null || skip_all 'sqlite3 missing'

mt () { "$PY" "$TICKETD_SRC/t/mail-tool.py" "$@"; }
db () { sqlite3 "$TEST_DIR/${DB:-ticketd}.db" "$@"; }
ctl () { "$TICKETCTL" -c "$TEST_DIR/${CONF:-ticketd}.conf" "$@"; }
flush () { "$TICKETD" -c "$TEST_DIR/${CONF:-ticketd}.conf" --once 2>>"$TEST_DIR/send.log"; }

# mails_to ADDR: how many mails the sink got for ADDR.
mails_to () {
	grep -l "^RCPT TO:<$1>" "$SINK_DIR"/*.env 2>/dev/null | wc -l
}

# robot ADDR MODE: answer every mail the sink got for ADDR since the last
# call, as MODE does, into ticketctl deliver.  Prints how many it answered.
#   dumb      a new mail "Thank you for your message: SUBJECT", no headers
#   threads   a reply (In-Reply-To/References), no other header
#   submitted a reply with Auto-Submitted: auto-replied
#   echo      our mail, byte for byte
#   xloop     a new mail from ADDR that keeps our X-Loop field
robot () {
	local addr=$1 mode=$2 seen=$TEST_DIR/robot-$1.seen f n=0
	touch "$seen"
	for f in $(grep -l "^RCPT TO:<$addr>" "$SINK_DIR"/*.env 2>/dev/null | sort); do
		f=${f%.env}.eml
		grep -qxF "$f" "$seen" && continue
		echo "$f" >>"$seen"
		n=$((n + 1))
		case $mode in
		dumb) mt new --from "$addr" --subject "Thank you for your message: $(mt header "$f" Subject | sed 's/\[SUP-[0-9]*\] //')" \
			--body "We received your message." >robot.eml ;;
		threads) mt reply "$f" --from "$addr" --body "We received your message." >robot.eml ;;
		submitted) mt reply "$f" --from "$addr" --body "I am away." \
			--header "Auto-Submitted: auto-replied" >robot.eml ;;
		echo) cp "$f" robot.eml ;;
		xloop) mt new --from "$addr" --subject "Re: your mail" --body "Got it." \
			--header "X-Loop: $(mt rawheader "$f" X-Loop)" >robot.eml ;;
		esac
		ctl deliver <robot.eml >>robot.log || return 1
	done
	echo "$n"
}

# loop ADDR MODE: rounds of flush + robot until the robot has nothing to
# answer (at most 40); prints the number of rounds.
loop () {
	local rounds=0 answered
	while [ $rounds -lt 40 ]; do
		flush || return 1
		answered=$(robot "$1" "$2") || return 1
		[ "$answered" -eq 0 ] && break
		rounds=$((rounds + 1))
	done
	echo "$rounds"
}

test_expect_success 'setup' '
	start_smtp_sink &&
	write_config ticketd.conf <<-\EOF &&
	[general]
	autoresponse_limit = 10
	default_plan = Robots
	[plan Robots]
	target_sev1 = 8h
	max_contacts = 0
	EOF
	ctl org add Acme --plan Robots --region EMEA --domain acme.example &&
	for r in dumb threads submitted echo xloop; do
		ctl contact add "robot-$r@acme.example" --org Acme || return 1
	done
'

test_expect_success 'a header-less autoresponder answering every mail: stopped at the per-sender limit' '
	mt new --from "robot-dumb@acme.example" --subject "Hello" --body "first" >r.eml &&
	ctl deliver <r.eml &&
	rounds=$(loop robot-dumb@acme.example dumb) &&
	echo "# dumb robot: $rounds rounds, $(mails_to robot-dumb@acme.example) answers" &&
	[ "$rounds" -lt 40 ] && [ "$(mails_to robot-dumb@acme.example)" -eq 10 ] &&
	grep -c "noreply=rate-limited" robot.log >limited && [ "$(cat limited)" -eq 1 ]
'

test_expect_success 'an hour later the limit lets it write again, once more capped' '
	test_tick 3660 &&
	mt new --from "robot-dumb@acme.example" --subject "Hello again" --body "later" >r2.eml &&
	ctl deliver <r2.eml &&
	rounds=$(loop robot-dumb@acme.example dumb) &&
	[ "$rounds" -lt 40 ] && [ "$(mails_to robot-dumb@acme.example)" -eq 20 ]
'

# robot_once MODE FATE: a robot of MODE writes once, is answered once,
# and its answer to that is FATE, with nothing more sent to it.
robot_once () {
	mt new --from "robot-$1@acme.example" --subject "Hi" --body "first" >once.eml &&
	ctl deliver <once.eml &&
	rounds=$(loop "robot-$1@acme.example" "$1") &&
	[ "$(mails_to "robot-$1@acme.example")" -eq 1 ] && [ "$rounds" -eq 1 ] &&
	tail -n 1 robot.log | grep -q "fate=$2 "
}

test_expect_success 'an autoresponder that threads its answers: one answer, then a comment' '
	robot_once threads followup
'

test_expect_success 'an autoresponder that says Auto-Submitted: stored on the ticket, never answered' '
	robot_once submitted auto_reply
'

test_expect_success 'our own mail echoed back is a loop (our From, our Message-ID)' '
	robot_once echo loop
'

test_expect_success 'a robot that keeps our X-Loop field is a loop' '
	robot_once xloop loop
'

# ---- two desks writing to each other ----

# desk NAME: a second configuration and store, support@NAME.example, open to anyone.
desk () {
	write_config "$1.conf" <<-EOF
	[general]
	accept_unregistered = yes
	EOF
	sed -i -e "s|^database = .*|database = $TEST_DIR/$1.db|" \
		-e "s|^support_address = .*|support_address = support@$1.example|" "$1.conf"
}

# shuttle: every mail in the sink for support@a.example goes into desk a,
# for support@b.example into desk b (each once).  Prints how many moved.
shuttle () {
	local seen=$TEST_DIR/shuttle.seen f d n=0
	touch "$seen"
	for f in $(grep -l "^RCPT TO:<support@[ab].example>" "$SINK_DIR"/*.env 2>/dev/null | sort); do
		grep -qxF "$f" "$seen" && continue
		echo "$f" >>"$seen"
		d=$(sed -n "s/^RCPT TO:<support@\([ab]\).example>.*/\1/p" "$f")
		"$TICKETCTL" -c "$d.conf" deliver <"${f%.env}.eml" >>desks.log || return 1
		n=$((n + 1))
	done
	echo "$n"
}

test_expect_success 'two desks answering each other: one answer, then quiet' '
	desk a && desk b &&
	mt new --from "Desk B <support@b.example>" --to support@a.example --subject "Question from B" \
		--body "A person at desk B asks desk A." >ab.eml &&
	CONF=a ctl deliver <ab.eml >>desks.log &&
	rounds=0 moved=1 &&
	while [ "$moved" -gt 0 ] && [ $rounds -lt 20 ]; do
		CONF=a flush && CONF=b flush &&
		moved=$(shuttle) && rounds=$((rounds + 1)) || return 1
	done &&
	cat desks.log &&
	echo "# two desks: $rounds rounds, $(wc -l <shuttle.seen) mails between them" &&
	[ "$rounds" -le 3 ] && [ "$(wc -l <shuttle.seen)" -eq 1 ] &&
	[ "$(DB=a db "SELECT COUNT(*) FROM tickets")" -eq 1 ] &&
	tail -n 1 desks.log | grep -q "fate=auto_reply"
'

# ---- two ticketd on one mailbox and one store ----

test_expect_success 'two ticketd on one mailbox and one store: each mail one fate, one ticket' '
	start_dovecot &&
	write_config two.conf <<-EOF &&
	[general]
	accept_unregistered = yes
	EOF
	sed -i "s|^database = .*|database = $TEST_DIR/two.db|" two.conf &&
	before=$(sink_count) &&
	TICKETD_LOG=$TEST_DIR/one.log start_ticketd two.conf && P1=$TICKETD_PID &&
	TICKETD_LOG=$TEST_DIR/two.log start_ticketd two.conf && P2=$TICKETD_PID &&
	for i in $(seq 1 20); do
		mt new --from "cust$i@example.org" --subject "Problem $i" --body "Help $i" \
			--msgid "two-$i@example.org" >m$i.eml &&
		imap_append m$i.eml || return 1
	done &&
	wait_for "[ \$(imap_uids | grep -c Seen) -eq 20 ]" 60 &&
	wait_for "[ \$(DB=two db \"SELECT COUNT(*) FROM outbox WHERE status = '\''queued'\''\") -eq 0 ]" 30 &&
	sleep 2 &&
	stop_ticketd $P1 && stop_ticketd $P2 &&
	f1=$(grep -c "fate=" one.log; :) && f2=$(grep -c "fate=" two.log; :) &&
	a=$(cat one.log two.log | grep -c "event=already_ingested"; :) &&
	echo "# two instances: $f1 + $f2 fates, $a mails the other one had taken first" &&
	[ $((f1 + f2)) -eq 20 ] &&
	[ "$(DB=two db "SELECT COUNT(*) FROM messages WHERE direction = '\''in'\''")" -eq 20 ] &&
	[ "$(DB=two db "SELECT COUNT(DISTINCT uid) FROM messages WHERE direction = '\''in'\''")" -eq 20 ] &&
	[ "$(DB=two db "SELECT COUNT(*) FROM tickets")" -eq 20 ] &&
	[ "$(DB=two db "SELECT COUNT(*) FROM outbox")" -eq 20 ]
'

# Both sender threads read the same queued rows; each claims a row in a
# commit (claimed_by: host, pid, start) before its mail goes out, and the
# other skips a row claimed by a live process.
test_expect_success 'two ticketd on one store: each queued mail is sent once' '
	s=$(cat one.log two.log | grep -c "result=sent"; :) &&
	s1=$(grep -c "result=sent" one.log; :) && s2=$(grep -c "result=sent" two.log; :) &&
	echo "# two instances: $s sends ($s1 + $s2) for 20 queued mails, $(( $(sink_count) - before )) arrived" &&
	[ "$s" -eq 20 ] && [ $(( $(sink_count) - before )) -eq 20 ] &&
	for i in $(seq 1 20); do
		[ "$(mails_to cust$i@example.org)" -eq 1 ] || return 1
	done
'

# The daemon's mailbox thread loaded key 1 (it made SUP-21); ticketctl
# rotates and mails with key 2; the reply carries nothing but the token.
test_expect_success 'a key rotated while ticketd runs: it verifies the new version at once' '
	TICKETD_LOG=$TEST_DIR/rot.log start_ticketd two.conf && P=$TICKETD_PID &&
	mt new --from "cust21@example.org" --subject "Probe" --body "first" >p.eml &&
	imap_append p.eml &&
	wait_for "grep -q \"fate=created ticket=SUP-21\" rot.log" 20 &&
	CONF=two ctl token rotate >rot && test_grep "version 2" rot &&
	CONF=two ctl agent add agent@example.com --name Agent &&
	CONF=two ctl comment SUP-1 --as agent@example.com -m "With the new key." &&
	wait_for "grep -l \"With the new key\" \"\$SINK_DIR\"/*.eml >comment.list 2>/dev/null" 20 &&
	c=$(head -n 1 comment.list) && grep -q "^RCPT TO:<cust1@example.org>" "${c%.eml}.env" &&
	tok=$(mt rawheader "$c" Reply-To | sed "s/.*<\(.*\)>.*/\1/") &&
	case $tok in support+r1-2-*) ;; *) echo "$tok"; false ;; esac &&
	mt new --from "cust1@example.org" --to "$tok" --subject "answer" --body "Thanks." >k.eml &&
	imap_append k.eml &&
	wait_for "grep -q \"fate=followup ticket=SUP-1 .*by=token token=own\" rot.log" 20 &&
	stop_ticketd $P
'

test_done
