#!/usr/bin/env bash
# IMAPS: the server certificate is verified before the password is sent.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'dovecot or aiosmtpd missing'
DATA=$TICKETD_SRC/t/data/mail

# conf FILE EXTRA-MAILBOX-LINES: a config whose mailbox speaks IMAPS.
imaps_config () {
	write_config "$1" &&
	sed -i -e "s|^url = imap://127.0.0.1:$IMAP_PORT|url = imaps://$2:$IMAPS_PORT|" \
		-e "/^tls = no$/d" "$1" &&
	printf '%s\n' "${@:3}" >extra.lines &&
	sed -i "/^after = seen/r extra.lines" "$1" &&
	printf '%s\n' "[general]" "accept_unregistered = yes" >>"$1"
}

test_expect_success 'servers' '
	start_dovecot --ssl &&
	start_smtp_sink &&
	imap_append "$DATA/customer-en.eml"
'

test_expect_success 'an untrusted (self-signed) certificate is refused; nothing is fetched' '
	imaps_config untrusted.conf 127.0.0.1 &&
	logins=$(grep -c "Login: user=<support>" "$DOVECOT_DIR/dovecot.log" || true) &&
	test_expect_code 75 "$TICKETD" -c untrusted.conf --once 2>log &&
	test_grep "event=disconnected" log &&
	test_grep "not trusted" log &&
	! grep -q "fate=" log &&
	[ "$(grep -c "Login: user=<support>" "$DOVECOT_DIR/dovecot.log" || true)" = "$logins" ]
'

test_expect_success 'the certificate is trusted through ca_file: the mail is fetched' '
	imaps_config trusted.conf 127.0.0.1 "ca_file = $IMAP_CERT" &&
	"$TICKETD" -c trusted.conf --once 2>log2 &&
	test_grep "fate=created ticket=SUP-1" log2
'

test_expect_success 'the certificate names localhost too' '
	imap_append "$DATA/customer-ja.eml" &&
	imaps_config byname.conf localhost "ca_file = $IMAP_CERT" &&
	"$TICKETD" -c byname.conf --once 2>log3 &&
	test_grep "fate=created ticket=SUP-2" log3
'

# Another name of this machine that resolves to 127.0.0.1 but is not in the certificate.
other=$(hostname)
if [ "$(getent hosts "$other" | awk '{print $1; exit}')" = 127.0.0.1 ] && [ "$other" != localhost ]; then
	test_set_prereq OTHERNAME
fi
test_expect_success OTHERNAME 'a name the certificate does not carry is refused' '
	mt_file=$(mktemp -p .) && "$PY" "$TICKETD_SRC/t/mail-tool.py" new --from x@y.example \
		--subject name --body x >"$mt_file" && imap_append "$mt_file" &&
	imaps_config wrongname.conf "$other" "ca_file = $IMAP_CERT" &&
	test_expect_code 75 "$TICKETD" -c wrongname.conf --once 2>log4 &&
	test_grep "not trusted" log4
'

test_expect_success 'tls_verify = no connects anyway (and says nothing is checked)' '
	imaps_config noverify.conf 127.0.0.1 "tls_verify = no" &&
	"$TICKETD" -c noverify.conf --once 2>log5 &&
	test_grep "fate=created ticket=SUP-3" log5
'

test_done
