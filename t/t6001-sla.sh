#!/usr/bin/env bash
# The SLA clock end to end (SPEC section 8) against a real SMTP sink, with
# the injected clock (TICKETD_NOW) moving time: the due time in the
# Japanese auto-response, exactly one warning and one breach mail to the
# region's escalation contacts, catching up after downtime, a first
# response that meets the target, escalation, and `ticketctl sla`.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'aiosmtpd missing'
command -v sqlite3 >/dev/null || skip_all 'sqlite3 missing'
mt () { "$PY" "$TICKETD_SRC/t/mail-tool.py" "$@"; }
db () { sqlite3 "$TEST_DIR/ticketd.db" "$@"; }
ctl () { "$TICKETCTL" -c "$TEST_DIR/ticketd.conf" "$@"; }
# at TIME COMMAND...: run COMMAND with the clock set to TIME.
at () { local now=$1; shift; TICKETD_NOW=$now "$@"; }
# once TIME: one daemon round at TIME (monitor pass, then the outbox).
once () { TICKETD_NOW=$1 "$TICKETD" -c "$TEST_DIR/ticketd.conf" --once 2>>"$TEST_DIR/daemon.log"; }
epoch () { date -u -d "$1" +%s; }
# mails_to ADDR: how many mails the sink got for ADDR.
mails_to () { grep -l "^RCPT TO:<$1>" "$SINK_DIR"/*.env 2>/dev/null | wc -l; }
# last_mail_to ADDR: the newest .eml for ADDR.
last_mail_to () { grep -l "^RCPT TO:<$1>" "$SINK_DIR"/*.env | tail -n 1 | sed 's/\.env$/.eml/'; }

CUSTOMER=taro@yamada.example
ANALYST=analyst@apac.example
ENGINEER=engineer@apac.example
SENIOR=senior@apac.example
LEAD=lead@apac.example
VP=vp@apac.example

test_expect_success 'setup: APAC with escalation contacts, an SP2 organisation' '
	start_smtp_sink &&
	write_config ticketd.conf <<-EOF &&
	[general]
	default_region = APAC
	default_plan = SP1
	sla_warning_percent = 80

	[region APAC]
	timezone = Asia/Tokyo
	hours = Mon-Fri 09:00-18:00
	holidays = $TICKETD_SRC/conf/holidays/APAC.txt
	phone = +81 50 5050 9161
	language = ja
	escalation0 = $ANALYST
	escalation1 = $ENGINEER
	escalation2 = $SENIOR
	escalation3 = $LEAD
	escalation4 = $VP
	EOF
	"$TICKETD" -n -c ticketd.conf &&
	ctl org add "Yamada Trading" --plan SP2 --region APAC &&
	ctl contact add $CUSTOMER --org "Yamada Trading" --name "山田太郎" --lang ja &&
	ctl agent add agent@example.com --name "Sam Support" --level 0 --region APAC
'

test_expect_success 'a severity-1 mail on Friday 16:00 Tokyo is due Monday 11:00' '
	mt new --from "山田太郎 <$CUSTOMER>" --subject "[Sev1] 本番環境が停止しました" \
		--body "本番環境のサーバーが応答しません。" --msgid sev1@yamada.example >sev1.eml &&
	at 2026-11-27T07:00:00Z ctl deliver <sev1.eml >fate &&
	test_grep "fate=created ticket=SUP-1 lang=ja sev=1" fate &&
	[ "$(db "SELECT due_at FROM tickets WHERE number = 1")" = "$(epoch 2026-11-30T02:00:00Z)" ] &&
	[ "$(db "SELECT region FROM tickets WHERE number = 1")" = APAC ]
'

test_expect_success 'the auto-response gives the Tokyo phone number and the due time in Japanese' '
	once 2026-11-27T07:00:10Z &&
	sink_wait 1 &&
	[ "$(mails_to $CUSTOMER)" -eq 1 ] &&
	mt body "$(last_mail_to $CUSTOMER)" >ar.txt &&
	test_grep "+81 50 5050 9161" ar.txt &&
	test_grep "初回回答の目標期限: 2026年11月30日(月) 11:00 (Asia/Tokyo)" ar.txt
'

test_expect_success 'show: the due time and the business time left' '
	at 2026-11-28T00:00:00Z ctl show SUP-1 >show.txt &&
	test_grep "first response due Mon 30 Nov 2026 11:00 (Asia/Tokyo)" show.txt &&
	test_grep "running, 2h 00m of business time left" show.txt
'

test_expect_success 'before 80 % of the budget nothing is sent' '
	once 2026-11-30T01:10:00Z &&
	[ "$(sink_count)" -eq 1 ] &&
	[ "$(db "SELECT sla_warned FROM tickets WHERE number = 1")" = 0 ]
'

test_expect_success 'past 80 %: one warning to the level-0 contact, once' '
	once 2026-11-30T01:30:00Z &&
	sink_wait 2 &&
	[ "$(mails_to $ANALYST)" -eq 1 ] &&
	mt header "$(last_mail_to $ANALYST)" Subject >subject &&
	test_grep "^\[SUP-1\] SLA警告: 初回回答期限 2026年11月30日(月) 11:00 (Asia/Tokyo)$" subject &&
	test_grep "sla ticket=SUP-1 event=warning level=0 contact=$ANALYST due=2026-11-30T02:00:00Z" daemon.log &&
	once 2026-11-30T01:40:00Z &&
	[ "$(sink_count)" -eq 2 ] &&
	[ "$(db "SELECT COUNT(*) FROM events WHERE ticket = 1 AND type = '\''sla_warning'\''")" -eq 1 ]
'

test_expect_success 'past 100 %: one breach, level 0 -> 1, to the level-1 contact, once' '
	once 2026-11-30T02:30:00Z &&
	sink_wait 3 &&
	[ "$(mails_to $ENGINEER)" -eq 1 ] &&
	mt header "$(last_mail_to $ENGINEER)" Subject >subject &&
	test_grep "SLA違反" subject &&
	mt body "$(last_mail_to $ENGINEER)" >breach.txt &&
	test_grep "レベル: *1 - テクニカルサポートエンジニア" breach.txt &&
	test_grep "sla ticket=SUP-1 event=breach level=1 contact=$ENGINEER due=2026-11-30T02:00:00Z" daemon.log &&
	once 2026-11-30T03:00:00Z &&
	once 2026-12-07T03:00:00Z &&
	[ "$(sink_count)" -eq 3 ] &&
	[ "$(grep -c "sla ticket=SUP-1 event=" daemon.log)" -eq 2 ] &&
	[ "$(db "SELECT level, sla_warned, sla_breached FROM tickets WHERE number = 1")" = "1|1|1" ] &&
	[ "$(db "SELECT COUNT(*) FROM events WHERE ticket = 1 AND type = '\''sla_breach'\''")" -eq 1 ]
'

test_expect_success 'an agent answering the breach mail writes an internal note, never to the customer' '
	b=$(last_mail_to $ENGINEER) &&
	[ -z "$(mt rawheader "$b" Reply-To)" ] &&
	! mt rawheader "$b" Message-ID | grep -q "\.t[0-9]*-" &&
	ctl agent add $ENGINEER --name "Eng Ineer" --level 1 --region APAC &&
	n=$(sink_count) &&
	mt reply "$b" --from "$ENGINEER" --body "Who is on this? Not for the customer." >staff.eml &&
	ctl deliver <staff.eml >staff.out &&
	test_grep "fate=followup ticket=SUP-1 .*agent=internal" staff.out &&
	[ "$(db "SELECT public FROM events WHERE ticket = 1 ORDER BY id DESC LIMIT 1")" -eq 0 ] &&
	[ "$(db "SELECT first_response_at IS NULL FROM tickets WHERE number = 1")" -eq 1 ] &&
	once 2026-11-30T03:10:00Z && [ "$(sink_count)" -eq "$n" ]
'

test_expect_success 'an agent comment before the deadline meets the target' '
	mt new --from "$CUSTOMER" --subject "[Sev1] バッチが失敗します" \
		--body "夜間バッチが失敗しました。" >sev1b.eml &&
	at 2026-11-30T03:00:00Z ctl deliver <sev1b.eml >fate &&
	test_grep "fate=created ticket=SUP-2" fate &&
	[ "$(db "SELECT due_at FROM tickets WHERE number = 2")" = "$(epoch 2026-11-30T07:00:00Z)" ] &&
	at 2026-11-30T04:00:00Z ctl comment SUP-2 --as agent@example.com -m "調査を開始しました。" &&
	[ "$(db "SELECT first_response_at FROM tickets WHERE number = 2")" = "$(epoch 2026-11-30T04:00:00Z)" ] &&
	n=$(sink_count) &&
	once 2026-11-30T08:00:00Z &&
	[ "$(db "SELECT sla_warned + sla_breached FROM tickets WHERE number = 2")" -eq 0 ] &&
	! grep -q "sla ticket=SUP-2" daemon.log &&
	at 2026-11-30T08:00:00Z ctl show SUP-2 >show2.txt &&
	test_grep "target met with 3h 00m" show2.txt &&
	at 2026-11-30T08:00:00Z ctl show --json SUP-2 >show2.json &&
	test_grep "\"state\":\"met\"" show2.json &&
	test_grep "\"remaining\":10800" show2.json
'

test_expect_success 'ticketctl sla --json: the open ticket, its state, met and missed' '
	at 2026-11-30T08:00:00Z ctl sla --json >sla.json &&
	"$PY" - sla.json <<-\EOF
	import json, sys
	r = json.load(open(sys.argv[1]))
	assert [t["ticket"] for t in r["open"]] == ["SUP-1"], r["open"]
	s = r["open"][0]["sla"]
	assert s["state"] == "overdue", s
	assert s["warned"] is True and s["breached"] is True, s
	assert s["due_at"] == "2026-11-30T02:00:00Z", s
	assert s["remaining"] == -6 * 3600, s   # Mon 11:00 to 17:00 Tokyo
	assert (r["met"], r["missed"], r["running"]) == (1, 1, 0), r
	assert r["since"] == "2026-10-31T08:00:00Z", r
	EOF
	at 2026-11-30T08:00:00Z ctl sla --region APAC >sla.txt &&
	test_grep "^SUP-1 .*overdue" sla.txt &&
	test_grep "1 met, 1 missed, 0 running" sla.txt &&
	at 2026-11-30T08:00:00Z ctl sla --json --since 2026-11-30T03:00:00Z >since.json &&
	test_grep "\"met\":1,\"missed\":0" since.json &&
	test_expect_code 2 ctl sla --region MARS
'

test_expect_success 'downtime: a ticket past due while nothing ran gets only its breach' '
	mt new --from "$CUSTOMER" --subject "[Sev1] 三件目" --body "三件目です。" >sev1c.eml &&
	at 2026-11-30T05:00:00Z ctl deliver <sev1c.eml >fate &&
	test_grep "ticket=SUP-3" fate &&
	n=$(mails_to $ANALYST) &&
	once 2026-12-01T05:00:00Z &&
	once 2026-12-01T05:01:00Z &&
	[ "$(mails_to $ANALYST)" -eq "$n" ] &&
	[ "$(grep -c "sla ticket=SUP-3 event=breach" daemon.log)" -eq 1 ] &&
	! grep -q "sla ticket=SUP-3 event=warning" daemon.log &&
	test_grep "sla ticket=SUP-3 event=breach.* warning=skipped" daemon.log &&
	[ "$(db "SELECT sla_warned, sla_breached, level FROM tickets WHERE number = 3")" = "1|1|1" ]
'

test_expect_success 'escalate: one level up, the new contact and the customer are told' '
	c=$(mails_to $CUSTOMER) &&
	at 2026-12-01T06:00:00Z ctl escalate SUP-1 --as agent@example.com >out &&
	test_grep "SUP-1 escalated to level 2 (Senior Support Engineer)" out &&
	once 2026-12-01T06:00:10Z &&
	[ "$(mails_to $SENIOR)" -eq 1 ] &&
	mt header "$(last_mail_to $SENIOR)" Subject | grep -q "^\[SUP-1\] エスカレーション（シニアテクニカルサポートエンジニア）" &&
	mt body "$(last_mail_to $SENIOR)" | grep -q "実施者: agent@example.com" &&
	[ -z "$(mt rawheader "$(last_mail_to $SENIOR)" Reply-To)" ] &&
	[ "$(mails_to $CUSTOMER)" -eq $((c + 1)) ] &&
	mt body "$(last_mail_to $CUSTOMER)" >esc.txt &&
	test_grep "シニアテクニカルサポートエンジニア" esc.txt &&
	[ "$(db "SELECT data FROM events WHERE ticket = 1 AND type = '\''escalated'\'' ORDER BY id DESC LIMIT 1")" = "1->2" ]
'

test_expect_success 'escalate: up to VP and no further' '
	at 2026-12-01T06:01:00Z ctl escalate --as agent@example.com SUP-1 &&
	at 2026-12-01T06:02:00Z ctl escalate SUP-1 >out &&
	test_grep "level 4 (VP of Support)" out &&
	test_expect_code 1 ctl escalate SUP-1 2>err &&
	test_grep "already at the top level" err &&
	[ "$(db "SELECT level FROM tickets WHERE number = 1")" -eq 4 ] &&
	test_expect_code 2 ctl escalate SUP-x &&
	test_expect_code 1 ctl escalate SUP-99
'

test_expect_success 'a severity change moves the due time' '
	mt new --from "$CUSTOMER" --subject "[Sev3] 質問があります" --body "設定について質問です。" \
		--msgid sev3@yamada.example >sev3.eml &&
	at 2026-12-01T00:00:00Z ctl deliver <sev3.eml >fate &&
	test_grep "fate=created ticket=SUP-4" fate &&
	[ "$(db "SELECT due_at FROM tickets WHERE number = 4")" = "$(epoch 2026-12-02T07:00:00Z)" ] &&
	at 2026-12-01T01:00:00Z ctl severity SUP-4 1 --as agent@example.com &&
	[ "$(db "SELECT due_at FROM tickets WHERE number = 4")" = "$(epoch 2026-12-01T04:00:00Z)" ]
'

test_expect_success 'a customer reply with #escalate raises the level and tells the contact' '
	once 2026-12-01T01:00:10Z &&
	e=$(mails_to $ENGINEER) &&
	mt reply "$(last_mail_to $CUSTOMER)" --from "$CUSTOMER" --subject "Re: [SUP-4] 質問があります" \
		--body "#escalate
急いでください。" >esc.eml &&
	at 2026-12-01T01:10:00Z ctl deliver <esc.eml >fate &&
	test_grep "fate=followup ticket=SUP-4" fate &&
	[ "$(db "SELECT level FROM tickets WHERE number = 4")" -eq 1 ] &&
	[ "$(db "SELECT actor FROM events WHERE ticket = 4 AND type = '\''escalated'\''")" = "$CUSTOMER" ] &&
	once 2026-12-01T01:10:10Z &&
	[ "$(mails_to $ENGINEER)" -eq $((e + 1)) ]
'

test_expect_success 'the running daemon checks the clocks in its loop' '
	mt new --from "$CUSTOMER" --subject "[Sev2] 五件目" --body "五件目です。" >sev2.eml &&
	at 2026-12-02T00:00:00Z ctl deliver <sev2.eml >fate &&
	test_grep "ticket=SUP-5" fate &&
	TICKETD_NOW=2026-12-09T00:00:00Z start_ticketd ticketd.conf &&
	wait_for "grep -q \"sla ticket=SUP-5 event=breach\" \"\$TICKETD_LOG\"" 10 &&
	stop_ticketd &&
	[ "$(grep -c "sla ticket=SUP-5 event=" "$TICKETD_LOG")" -eq 1 ]
'

test_done
