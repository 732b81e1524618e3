#!/usr/bin/env bash
# OAuth2 end to end: a real Dovecot whose oauth2 passdb asks the test
# authorization server (t/oauth-server.py) about every bearer token.
# First login, OAUTHBEARER and XOAUTH2, strict refresh-token rotation,
# silent refresh before expiry and after a refusal, a revoked token that
# stops one mailbox and no other, and ticketctl oauth login (device code
# and browser redirect).
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'dovecot or aiosmtpd missing'
command -v curl >/dev/null || skip_all 'curl missing'
mt () { "$PY" "$TICKETD_SRC/t/mail-tool.py" "$@"; }
n_mail=0
# new_mail USER: one more mail in USER's INBOX; prints its sender.
new_mail () {
	n_mail=$((n_mail + 1))
	mt new --from "c$n_mail@example.com" --subject "oauth $n_mail" --body "hello" >m$n_mail.eml &&
	IMAP_USER=$1 imap_append m$n_mail.eml
}
grants () {
	grep -c "grant=refresh_token user=$1 result=ok" "$OAUTH_LOG" || true
}
# oauth_mailbox NAME USER [LINES...]: a [mailbox] section logging in with OAuth2.
oauth_mailbox () {
	local name=$1 user=$2
	shift 2
	printf '%s\n' "[mailbox $name]" "url = imap://localhost:$IMAP_PORT" "ca_file = $TLS_CERT" \
		"user = $user" "oauth_token_url = $OAUTH_URL/token" "oauth_client_id = ticketd-test" \
		"oauth_client_secret_file = $TEST_DIR/client.secret" \
		"oauth_refresh_token_file = $TEST_DIR/$name.token" "oauth_scope = imap" "$@"
}

test_expect_success 'setup: token server (strict rotation), Dovecot with the oauth2 passdb' '
	start_oauth_server --rotate --client-secret s3cr3t-client &&
	echo s3cr3t-client >client.secret &&
	start_dovecot --ssl --oauth &&
	start_smtp_sink &&
	write_config ticketd.conf &&
	# The password mailbox of write_config becomes an OAuth2 one.
	sed -i "/^\[mailbox support\]/,\$d" ticketd.conf &&
	printf "%s\n" "[general]" "accept_unregistered = yes" >>ticketd.conf &&
	oauth_mailbox support support >>ticketd.conf &&
	oauth_mailbox other other "auth = xoauth2" "oauth_device_url = $OAUTH_URL/device" >>ticketd.conf &&
	"$TICKETD" -n -c ticketd.conf &&
	oauth_issue support support.token &&
	oauth_issue other other.token
'

test_expect_success 'first login: OAUTHBEARER where offered, XOAUTH2 when asked; tokens never logged' '
	new_mail support && new_mail other &&
	cp support.token support.token.0 &&
	"$TICKETD" -d -c ticketd.conf --once 2>log &&
	test_grep "mailbox=support event=token_refreshed" log &&
	test_grep "mailbox=support event=connected.*auth=OAUTHBEARER" log &&
	test_grep "mailbox=other event=connected.*auth=XOAUTH2" log &&
	[ "$(grep -c "fate=created" log)" -eq 2 ] &&
	test_grep "Login: user=<support>, method=OAUTHBEARER" "$DOVECOT_DIR/dovecot.log" &&
	test_grep "Login: user=<other>, method=XOAUTH2" "$DOVECOT_DIR/dovecot.log" &&
	! grep -q "at-\|rt-\|s3cr3t" log
'

test_expect_success 'rotation: the new refresh token was written atomically, 0600, and the old one is dead' '
	! cmp -s support.token support.token.0 &&
	[ "$(stat -c %a support.token)" = 600 ] &&
	[ "$(wc -l <support.token)" -eq 1 ] &&
	! ls support.token.?????? 2>/dev/null &&
	new_mail support &&
	"$TICKETD" -c ticketd.conf --once 2>log2 &&
	test_grep "fate=created" log2 &&
	cp support.token.0 old.token &&
	test_grep "result=ok" "$OAUTH_LOG" &&
	curl -s -d grant_type=refresh_token -d client_id=ticketd-test -d client_secret=s3cr3t-client \
		--data-urlencode "refresh_token=$(cat old.token)" "$OAUTH_URL/token" >old.json &&
	test_grep invalid_grant old.json
'

test_expect_success 'the daemon refreshes a token before it expires: no refusal on reconnect' '
	oauth_admin lifetime seconds=4 &&
	start_ticketd ticketd.conf &&
	wait_for "[ \$(grep -c \"mailbox=.* event=token_refreshed\" \"\$TICKETD_LOG\") -ge 2 ]" 10 &&
	before=$(grants support) &&
	refused=$(grep -c "auth failed" "$DOVECOT_DIR/dovecot.log" || true) &&
	sleep 3 &&
	restart_dovecot &&
	new_mail support &&
	wait_for "grep -q \"from=c$n_mail@example.com fate=created\" \"\$TICKETD_LOG\"" 30 &&
	[ "$(grants support)" -gt "$before" ] &&
	! grep -q "token_refused" "$TICKETD_LOG" &&
	[ "$(grep -c "auth failed" "$DOVECOT_DIR/dovecot.log" || true)" = "$refused" ]
'

test_expect_success 'a token the server stopped accepting early: refreshed once at once, then logged in' '
	oauth_admin lifetime seconds=3600 &&
	# The 4 s token the daemon holds runs out; its next login takes an hour-long one.
	sleep 4 &&
	restart_dovecot &&
	wait_for "grep -q \"mailbox=support event=token_refreshed expires_in=3600s\" \"\$TICKETD_LOG\"" 30 &&
	new_mail support &&
	wait_for "grep -q \"from=c$n_mail@example.com fate=created\" \"\$TICKETD_LOG\"" 30 &&
	oauth_admin expire user=support &&
	restart_dovecot &&
	new_mail support &&
	wait_for "grep -q \"from=c$n_mail@example.com fate=created\" \"\$TICKETD_LOG\"" 30 &&
	test_grep "mailbox=support event=token_refused action=refresh" "$TICKETD_LOG"
'

test_expect_success 'a revoked grant: a clear error for that mailbox, retried with backoff; the other goes on' '
	oauth_admin revoke user=other &&
	restart_dovecot &&
	wait_for "grep -q \"mailbox=other event=disconnected kind=token\" \"\$TICKETD_LOG\"" 30 &&
	test_grep "mailbox=other event=disconnected kind=token error=\"the token endpoint refused the refresh token (invalid_grant: .*): run .ticketctl oauth login other.\"" "$TICKETD_LOG" &&
	new_mail support &&
	wait_for "grep -q \"from=c$n_mail@example.com fate=created\" \"\$TICKETD_LOG\"" 30 &&
	wait_for "[ \$(grep -c \"mailbox=other event=disconnected kind=token\" \"\$TICKETD_LOG\") -ge 2 ]" 10 &&
	grep "mailbox=other event=disconnected kind=token" "$TICKETD_LOG" | sed -n "s/.*retry_in=//p" >delays &&
	[ "$(sed -n 2p delays)" != "$(sed -n 1p delays)" ]
'

test_expect_success 'ticketctl oauth login (device code): the person approves, the daemon logs in again' '
	"$TICKETCTL" -c ticketd.conf oauth login other >device.out 2>&1 &
	pid=$! &&
	wait_for "grep -q \"enter the code\" device.out" 10 &&
	code=$(sed -n "s/.*enter the code \([0-9-]*\).*/\1/p" device.out) &&
	test_grep "To sign in as other, open $OAUTH_URL/activate" device.out &&
	oauth_admin approve user_code="$code" user=other &&
	wait $pid &&
	test_grep "Signed in: the refresh token is in" device.out &&
	[ "$(stat -c %a other.token)" = 600 ] &&
	new_mail other &&
	kill -HUP "$TICKETD_PID" &&
	wait_for "grep -q \"from=c$n_mail@example.com fate=created\" \"\$TICKETD_LOG\"" 30 &&
	stop_ticketd
'

test_expect_success 'ticketctl oauth login (browser, PKCE): the redirect to 127.0.0.1, or the address pasted' '
	oauth_mailbox browser support "oauth_auth_url = $OAUTH_URL/authorize" >>ticketd.conf &&
	rm -f browser.token &&
	"$TICKETCTL" -c ticketd.conf oauth login browser >browser.out 2>&1 &
	pid=$! &&
	wait_for "grep -q \"^  http\" browser.out" 10 &&
	url=$(sed -n "s/^  //p" browser.out) &&
	case $url in *code_challenge_method=S256*) ;; *) false ;; esac &&
	back=$(curl -s -o /dev/null -w "%{redirect_url}" "$url") &&
	curl -s "$back" >page &&
	test_grep "sign-in reached ticketctl" page &&
	wait $pid &&
	test_path_is_file browser.token &&
	rm -f browser.token &&
	mkfifo paste &&
	{ "$TICKETCTL" -c ticketd.conf oauth login browser <paste >browser2.out 2>&1 & } &&
	pid=$! &&
	exec 7>paste &&
	wait_for "grep -q \"^  http\" browser2.out" 10 &&
	url=$(sed -n "s/^  //p" browser2.out) &&
	back=$(curl -s -o /dev/null -w "%{redirect_url}" "$url") &&
	echo "$back" >&7 &&
	exec 7>&- &&
	wait $pid &&
	test_path_is_file browser.token
'

test_expect_success 'bad OAuth2 settings are configuration errors' '
	oauth_mailbox bad x "oauth_token_url = http://login.example.com/token" >bad.part &&
	cat ticketd.conf bad.part >bad.conf &&
	test_must_fail "$TICKETD" -n -c bad.conf 2>err &&
	test_grep "must be https://" err &&
	printf "%s\n" "[mailbox nocid]" "url = imaps://imap.gmail.com" "user = x@example.com" \
		"auth = xoauth2" >nocid.part &&
	cat ticketd.conf nocid.part >nocid.conf &&
	test_must_fail "$TICKETD" -n -c nocid.conf 2>err2 &&
	test_grep "needs oauth_token_url" err2 &&
	printf "%s\n" "[mailbox gmail]" "url = imaps://imap.gmail.com" "user = x@example.com" \
		"oauth_provider = google" "oauth_client_id = 123.apps.googleusercontent.com" >g.part &&
	cat ticketd.conf g.part >g.conf &&
	"$TICKETD" -n -c g.conf
'

test_expect_success 'the Microsoft 365 and Google mailboxes of conf/ticketd.conf are valid as documented' '
	sed -e "s|^templates = templates|templates = $TICKETD_SRC/conf/templates|" \
		-e "s|^holidays = holidays|holidays = $TICKETD_SRC/conf/holidays|" \
		-e "s|^database = .*|database = $TEST_DIR/example.db|" \
		-e "s|/etc/ticketd/google-client.secret|$TEST_DIR/client.secret|" \
		-e "s/^#\[mailbox \(m365\|gmail\)\]/[mailbox \1]/" \
		-e "/^\[mailbox \(m365\|gmail\)\]/,/^\$/ s/^#\(url\|user\|oauth_[a-z_]*\) = /\1 = /" \
		"$TICKETD_SRC/conf/ticketd.conf" >example.conf &&
	test_grep "^oauth_provider = microsoft" example.conf &&
	test_grep "^oauth_provider = google" example.conf &&
	TICKETD_IMAP_PASSWORD=x "$TICKETD" -n -c example.conf
'

test_done
