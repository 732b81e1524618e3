#!/usr/bin/env bash
# contrib/demo.sh, the README's first command, tells the whole story with
# the daemon running: mail in, ticket and automatic response, the
# customer's threaded reply, an agent's comment, the customer's
# notification, the SLA clock stopped.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'dovecot or aiosmtpd missing'

test_expect_success 'contrib/demo.sh --no-build runs to the end' '
	bash "$TICKETD_SRC/contrib/demo.sh" --no-build >demo.out 2>&1 ||
	{ cat demo.out; return 1; }
'

test_expect_success 'each step of the story is on screen' '
	test_grep "event=connected .*idle=yes" demo.out &&
	test_grep "fate=created ticket=SUP-1 lang=ja" demo.out &&
	test_grep "kind=autoresponse .*result=sent" demo.out &&
	test_grep "Subject: \[SUP-1\] 管理画面にログインできません" demo.out &&
	test_grep "fate=followup ticket=SUP-1 by=token" demo.out &&
	test_grep "comment added (first response; status new -> open), 1 notification queued" demo.out &&
	test_grep "kind=comment .*result=sent" demo.out &&
	test_grep "チケット SUP-1 に、佐藤 花子 よりコメントが追加されました" demo.out &&
	test_grep "target met with 7h 5[0-9]m of business time to spare" demo.out &&
	test_grep "1 met, 0 missed, 0 running" demo.out &&
	test_grep "event=stopped status=0" demo.out
'

test_done
