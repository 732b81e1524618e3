#!/usr/bin/env bash
# IMAP transport security against a real Dovecot: STARTTLS on imap:// (and
# no credentials when it is not offered), SNI, pinned certificates and
# public keys, AUTHENTICATE PLAIN or LOGIN, one log line per failure kind,
# and a shutdown that never waits for a hung server.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'dovecot or aiosmtpd missing'
mt () { "$PY" "$TICKETD_SRC/t/mail-tool.py" "$@"; }
n_mail=0
# new_mail: one more customer mail in the current Dovecot's INBOX.
new_mail () {
	n_mail=$((n_mail + 1))
	mt new --from "c$n_mail@example.com" --subject "tls $n_mail" --body "hello $n_mail" >m$n_mail.eml &&
	imap_append m$n_mail.eml
}
# conf FILE URL [LINES...]: a config whose one mailbox is URL with LINES.
conf () {
	local file=$1 url=$2
	shift 2
	write_config "$file" <<-EOF &&
	[general]
	accept_unregistered = yes
	EOF
	sed -i -e "s|^url = imap://127.0.0.1:$IMAP_PORT\$|url = $url|" -e "/^tls = no$/d" "$file" &&
	printf '%s\n' "$@" >extra.lines &&
	sed -i "/^after = seen/r extra.lines" "$file"
}
logins () {
	grep -c "Login: user=<support>" "$DOVECOT_DIR/dovecot.log" || true
}

test_expect_success 'setup: a Dovecot without TLS, one with STARTTLS and SNI certificates' '
	start_smtp_sink &&
	start_dovecot &&
	PLAIN_DIR=$DOVECOT_DIR PLAIN_PORT=$IMAP_PORT &&
	start_dovecot --sni &&
	new_mail
'

test_expect_success 'imap:// without STARTTLS on offer: refused before any credential (kind=starttls)' '
	(DOVECOT_DIR=$PLAIN_DIR IMAP_PORT=$PLAIN_PORT &&
	 new_mail && conf plain.conf "imap://127.0.0.1:$PLAIN_PORT" &&
	 sed -i "s|^database = .*|database = $TEST_DIR/plain.db|" plain.conf &&
	 before=$(logins) &&
	 test_expect_code 75 "$TICKETD" -c plain.conf --once 2>log &&
	 test_grep "kind=starttls" log &&
	 test_grep "does not offer STARTTLS: not sending credentials" log &&
	 ! grep -q "fate=" log &&
	 [ "$(logins)" = "$before" ] &&
	 ! grep -q "auth: .*support" "$DOVECOT_DIR/dovecot.log")
'

test_expect_success 'tls = optional allows clear text there, and says so' '
	(DOVECOT_DIR=$PLAIN_DIR IMAP_PORT=$PLAIN_PORT &&
	 conf optional.conf "imap://127.0.0.1:$PLAIN_PORT" "tls = optional" &&
	 sed -i "s|^database = .*|database = $TEST_DIR/plain.db|" optional.conf &&
	 "$TICKETD" -d -c optional.conf --once 2>log &&
	 test_grep "event=tls_off" log &&
	 test_grep "tls=none auth=PLAIN" log &&
	 test_grep "fate=created" log)
'

test_expect_success 'STARTTLS: upgraded, verified by name (SNI picks the localhost certificate), then PLAIN' '
	conf starttls.conf "imap://localhost:$IMAP_PORT" "ca_file = $TLS_CERT" &&
	"$TICKETD" -d -c starttls.conf --once 2>log &&
	test_grep "tls=starttls auth=PLAIN" log &&
	test_grep "fate=created ticket=SUP-" log &&
	grep "Login: user=<support>" "$DOVECOT_DIR/dovecot.log" | tail -n 1 >last &&
	test_grep "method=PLAIN" last &&
	test_grep "TLS" last
'

test_expect_success 'SNI on imaps://: localhost gets its own certificate; an IP address sends none and gets the default' '
	new_mail &&
	conf sni.conf "imaps://localhost:$IMAPS_PORT" "ca_file = $TLS_CERT" &&
	"$TICKETD" -d -c sni.conf --once 2>log &&
	test_grep "tls=imaps" log &&
	test_grep "fate=created" log &&
	new_mail &&
	conf nosni.conf "imaps://127.0.0.1:$IMAPS_PORT" "ca_file = $TLS_CERT" &&
	before=$(logins) &&
	test_expect_code 75 "$TICKETD" -c nosni.conf --once 2>log2 &&
	test_grep "kind=tls_verify" log2 &&
	test_grep "not trusted" log2 &&
	[ "$(logins)" = "$before" ]
'

test_expect_success 'a pinned certificate fingerprint replaces the CA check (a certificate naming another host)' '
	fp=$(cert_fingerprint "$IMAP_DEFAULT_CERT") &&
	conf pin.conf "imaps://127.0.0.1:$IMAPS_PORT" "tls_fingerprint = $fp" &&
	"$TICKETD" -c pin.conf --once 2>log &&
	test_grep "fate=created" log &&
	! grep -q "tls_unverified" log
'

test_expect_success 'a fingerprint that does not match: kind=tls_verify, the real one in the log, no login' '
	new_mail &&
	conf badpin.conf "imaps://127.0.0.1:$IMAPS_PORT" \
		"tls_fingerprint = $(cert_fingerprint "$TLS_CERT")" &&
	before=$(logins) &&
	test_expect_code 75 "$TICKETD" -c badpin.conf --once 2>log &&
	test_grep "kind=tls_verify" log &&
	test_grep "does not match the pinned fingerprint" log &&
	test_grep -i "$(cert_fingerprint "$IMAP_DEFAULT_CERT" | tr -d :)" log &&
	[ "$(logins)" = "$before" ]
'

test_expect_success 'a pinned public key works too, and after STARTTLS' '
	conf pubkey.conf "imap://localhost:$IMAP_PORT" "tls_pubkey = $(cert_pubkey_pin "$TLS_CERT")" &&
	"$TICKETD" -d -c pubkey.conf --once 2>log &&
	test_grep "tls=starttls" log &&
	test_grep "fate=created" log
'

test_expect_success 'auth = login uses LOGIN; a wrong password is kind=auth with the server words' '
	new_mail &&
	conf login.conf "imap://localhost:$IMAP_PORT" "ca_file = $TLS_CERT" "auth = login" &&
	"$TICKETD" -d -c login.conf --once 2>log &&
	test_grep "auth=LOGIN" log &&
	test_grep "fate=created" log &&
	conf wrong.conf "imap://localhost:$IMAP_PORT" "ca_file = $TLS_CERT" &&
	sed -i "s/^password = secret/password = Tr0ub4dor-x/" wrong.conf &&
	test_expect_code 75 "$TICKETD" -c wrong.conf --once 2>log2 &&
	test_grep "kind=auth" log2 &&
	test_grep "AUTHENTICATE PLAIN refused" log2 &&
	! grep -q Tr0ub4dor log2
'

test_expect_success 'kind=dns and kind=connect name what failed' '
	conf dns.conf "imap://no-such-host.invalid:143" &&
	test_expect_code 75 "$TICKETD" -c dns.conf --once 2>log &&
	test_grep "kind=dns error=\"unable to resolve .no-such-host.invalid." log &&
	conf refused.conf "imap://127.0.0.1:$(free_port)" &&
	test_expect_code 75 "$TICKETD" -c refused.conf --once 2>log2 &&
	test_grep "kind=connect error=\"unable to connect to 127.0.0.1:[0-9]* (127.0.0.1): Connection refused" log2
'

test_expect_success 'a server that never answers: SIGTERM stops the daemon at once, no thread left behind' '
	start_fake_smtp --hang &&
	conf hung.conf "imap://127.0.0.1:$FAKE_SMTP_PORT" "tls = no" &&
	start_ticketd hung.conf &&
	wait_for "grep -q \"connect\" \"$FAKE_SMTP_DIR/log\"" 10 &&
	sleep 0.5 &&
	t0=$(date +%s%N) &&
	stop_ticketd &&
	ms=$(( ($(date +%s%N) - t0) / 1000000 )) &&
	echo "stopped after ${ms} ms" &&
	[ "$ms" -lt 2000 ] &&
	test_grep "event=stopped status=0" "$TICKETD_LOG" &&
	! grep -q "thread_abandoned" "$TICKETD_LOG"
'

test_expect_success 'a malformed pin or tls value is a configuration error' '
	conf badfp.conf "imaps://127.0.0.1:$IMAPS_PORT" "tls_fingerprint = AB:CD" &&
	test_must_fail "$TICKETD" -n -c badfp.conf 2>err &&
	test_grep "is not a SHA-256 fingerprint" err &&
	conf badkey.conf "imaps://127.0.0.1:$IMAPS_PORT" "tls_pubkey = md5//x" &&
	test_must_fail "$TICKETD" -n -c badkey.conf 2>err2 &&
	test_grep "is not a public-key pin" err2 &&
	conf badtls.conf "imaps://127.0.0.1:$IMAPS_PORT" "tls = no" &&
	test_must_fail "$TICKETD" -n -c badtls.conf 2>err3 &&
	test_grep "imaps:// is TLS from the start" err3
'

test_done
