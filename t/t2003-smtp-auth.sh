#!/usr/bin/env bash
# SMTP submission with credentials: STARTTLS required before AUTH (no
# password to a server without it), a pinned public key instead of a CA,
# and OAuth2 (XOAUTH2, OAUTHBEARER) against an aiosmtpd sink that checks
# bearer tokens with the test authorization server.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'aiosmtpd missing'
command -v curl >/dev/null || skip_all 'curl missing'
mt () { "$PY" "$TICKETD_SRC/t/mail-tool.py" "$@"; }
n_mail=0
# queue: a customer mail through ticketctl deliver; its auto-response waits in the outbox.
queue () {
	n_mail=$((n_mail + 1))
	mt new --from "c$n_mail@example.com" --subject "smtp $n_mail" --body "hello" >in$n_mail.eml &&
	"$TICKETCTL" -c "$1" deliver <in$n_mail.eml >deliver$n_mail.out &&
	test_grep "fate=created" deliver$n_mail.out
}
# smtp_conf FILE LINES...: a config with no mailbox and [smtp] LINES.
smtp_conf () {
	local file=$1
	shift
	(unset IMAP_PORT && SMTP_PORT= write_config "$file") &&
	printf '%s\n' "[smtp]" "url = smtp://localhost:$SMTP_PORT" "$@" \
		"[general]" "accept_unregistered = yes" >>"$file"
}
sink_auth () {
	grep -c "sink: auth mech=$1 user=$2 result=$3" "$SINK_LOG" || true
}

test_expect_success 'setup: token server, a STARTTLS sink that wants AUTH (password or bearer)' '
	start_oauth_server &&
	start_smtp_sink --starttls --auth-user ticketd --auth-password pw-Zq9 \
		--oauth-introspect "$OAUTH_URL/introspect" &&
	oauth_issue support support.token
'

test_expect_success 'password AUTH after STARTTLS, certificate checked through ca_file' '
	smtp_conf pw.conf "user = ticketd" "password = pw-Zq9" "ca_file = $TLS_CERT" &&
	queue pw.conf &&
	"$TICKETD" -c pw.conf --once 2>log &&
	test_grep "result=sent" log &&
	[ "$(sink_auth PLAIN ticketd ok)" -eq 1 ] &&
	! grep -q pw-Zq9 log
'

test_expect_success 'a server without STARTTLS never gets the password (tls = starttls by default with a user)' '
	start_smtp_sink --auth-user ticketd --auth-password pw-Zq9 &&
	smtp_conf clear.conf "user = ticketd" "password = pw-Zq9" &&
	queue clear.conf &&
	"$TICKETD" -c clear.conf --once 2>log &&
	test_grep "result=deferred" log &&
	! grep -q "sink: auth" "$SINK_LOG" &&
	[ "$(sink_count)" -eq 0 ] &&
	stop_smtp_sink
'

test_expect_success 'the first sink again: a pinned public key replaces the CA check; a wrong pin fails' '
	SINK_DIR=$TEST_DIR/sink SINK_LOG=$TEST_DIR/sink.log SMTP_PORT=$(cat "$TEST_DIR/sink.port") &&
	smtp_conf pin.conf "user = ticketd" "password = pw-Zq9" "tls_pubkey = $(cert_pubkey_pin "$TLS_CERT")" &&
	queue pin.conf &&
	"$TICKETD" -c pin.conf --once 2>log &&
	test_grep "result=sent" log &&
	make_named_cert other other.test &&
	smtp_conf badpin.conf "user = ticketd" "password = pw-Zq9" \
		"tls_pubkey = $(cert_pubkey_pin "$TEST_DIR/tls/other.pem")" &&
	queue badpin.conf &&
	"$TICKETD" -c badpin.conf --once 2>log2 &&
	test_grep "result=deferred.*pinned public key" log2
'

oauth_lines () {
	printf '%s\n' "user = support" "ca_file = $TLS_CERT" "oauth_token_url = $OAUTH_URL/token" \
		"oauth_client_id = ticketd-test" "oauth_refresh_token_file = $TEST_DIR/support.token" \
		"oauth_scope = smtp" "$@"
}

test_expect_success 'XOAUTH2: the sender refreshes a token and AUTHs with it' '
	mapfile -t lines < <(oauth_lines "auth = xoauth2") && smtp_conf x.conf "${lines[@]}" &&
	queue x.conf &&
	"$TICKETD" -c x.conf --once 2>log &&
	test_grep "smtp event=token_refreshed" log &&
	test_grep "result=sent" log &&
	[ "$(sink_auth XOAUTH2 support ok)" -eq 1 ] &&
	! grep -q "at-" log
'

test_expect_success 'auth = oauth2 (the default with oauth keys) takes OAUTHBEARER when offered' '
	mapfile -t lines < <(oauth_lines) && smtp_conf o.conf "${lines[@]}" &&
	queue o.conf &&
	"$TICKETD" -c o.conf --once 2>log &&
	test_grep "result=sent" log &&
	[ "$(sink_auth OAUTHBEARER support ok)" -eq 1 ]
'

test_expect_success 'a token refused mid-run is refreshed once and the mail goes out' '
	start_smtp_sink --starttls --oauth-introspect "$OAUTH_URL/introspect" --close-after-data &&
	mapfile -t lines < <(oauth_lines) && smtp_conf once.conf "${lines[@]}" &&
	start_ticketd once.conf &&
	queue once.conf &&
	wait_for "[ \$(grep -c result=sent \"\$TICKETD_LOG\") -ge 1 ]" 10 &&
	oauth_admin expire user=support &&
	queue once.conf &&
	wait_for "[ \$(grep -c result=sent \"\$TICKETD_LOG\") -ge 2 ]" 20 &&
	[ "$(sink_auth OAUTHBEARER support refused)" -eq 1 ] &&
	[ "$(sink_auth OAUTHBEARER support ok)" -eq 2 ] &&
	[ "$(grep -c "smtp event=token_refreshed" "$TICKETD_LOG")" -eq 2 ] &&
	stop_ticketd
'

test_expect_success 'a revoked grant: the outbox waits with a clear error, no mail is failed' '
	oauth_admin revoke user=support &&
	queue o.conf &&
	"$TICKETD" -c o.conf --once 2>log &&
	test_grep "result=deferred.*no OAuth2 token: the token endpoint refused the refresh token (invalid_grant" log &&
	test_grep "run .ticketctl oauth login smtp." log &&
	! grep -q "result=failed" log
'

test_done
