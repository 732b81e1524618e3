#!/usr/bin/env bash
# The store is for its owner only: ticketctl and ticketd create it 0600
# in folders made 0700 whatever the umask, its -wal and -shm files and the
# reply-token key file too; files others can read are warned about at
# start (the log) and by ticketd -n.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

DATA=$TICKETD_SRC/t/data/mail

# modes FILE...: "MODE NAME" per file (octal, no leading zero).
modes () {
	stat -c '%a %n' "$@"
}

test_expect_success 'setup: a configuration with the store two folders down' '
	cat >store.conf <<-EOF
	[general]
	database = $TEST_DIR/state/sub/ticketd.db
	hmac_key_file = $TEST_DIR/state/sub/token.key
	templates = $TICKETD_SRC/conf/templates
	support_address = support@example.com
	EOF
'

test_expect_success 'ticketctl under umask 022 makes the store 0600 in 0700 folders' '
	(umask 022 && "$TICKETCTL" -c store.conf org add Acme --plan SP1 --region EMEA) &&
	modes state state/sub state/sub/ticketd.db >actual &&
	cat >expect <<-EOF &&
	700 state
	700 state/sub
	600 state/sub/ticketd.db
	EOF
	test_cmp expect actual
'

test_expect_success 'the same under umask 0277 (which would leave it unwritable)' '
	rm -rf state &&
	(umask 0277 && "$TICKETCTL" -c store.conf org add Acme --plan SP1 --region EMEA &&
	 "$TICKETCTL" -c store.conf org list) >out &&
	test_grep Acme out &&
	modes state state/sub state/sub/ticketd.db >actual &&
	test_cmp expect actual
'

test_expect_success 'an existing store keeps its mode (it is warned about, not changed)' '
	chmod 640 state/sub/ticketd.db &&
	"$TICKETCTL" -c store.conf org list >/dev/null &&
	test "$(stat -c %a state/sub/ticketd.db)" = 640 &&
	chmod 600 state/sub/ticketd.db
'

test_expect_success 'the running daemon: -wal, -shm and the key file are 0600 too (umask 022)' '
	start_dovecot &&
	start_smtp_sink &&
	write_config ticketd.conf &&
	sed -i -e "s#^database = .*#database = $TEST_DIR/state/sub/ticketd.db#" ticketd.conf &&
	sed -i -e "/^database = /a hmac_key_file = $TEST_DIR/state/sub/token.key" ticketd.conf &&
	chmod 600 ticketd.conf &&
	rm -rf state &&
	imap_append "$DATA/customer-en.eml" &&
	old_umask=$(umask) && umask 022 &&
	start_ticketd ticketd.conf &&
	umask "$old_umask" &&
	wait_for "grep -q \"kind=refusal.*result=sent\" \"\$TICKETD_LOG\"" 15 &&
	modes state state/sub/ticketd.db state/sub/ticketd.db-wal state/sub/ticketd.db-shm \
		state/sub/token.key >actual &&
	cat >expect <<-EOF &&
	700 state
	600 state/sub/ticketd.db
	600 state/sub/ticketd.db-wal
	600 state/sub/ticketd.db-shm
	600 state/sub/token.key
	EOF
	test_cmp expect actual &&
	stop_ticketd &&
	test_grep ! event=file_mode "$TICKETD_LOG"
'

test_expect_success 'at start the log warns of files others can read' '
	chmod 644 state/sub/ticketd.db state/sub/token.key ticketd.conf &&
	TICKETD_LOG=$TEST_DIR/warn.log start_ticketd ticketd.conf &&
	wait_for "grep -q event=started warn.log" 10 &&
	stop_ticketd &&
	test_grep "warn daemon event=file_mode file=$TEST_DIR/state/sub/ticketd.db what=\"the store\" mode=0644 problem=\"readable by others\" fix=\"chmod 600 .$TEST_DIR/state/sub/ticketd.db.\"" warn.log &&
	test_grep "event=file_mode file=$TEST_DIR/state/sub/token.key what=\"the reply-token key file\"" warn.log &&
	test_grep "event=file_mode file=ticketd.conf what=\"the configuration (it holds a password)\"" warn.log &&
	chmod 600 state/sub/ticketd.db state/sub/token.key ticketd.conf
'

test_expect_success 'ticketd -n warns of a secret file others can read, and still passes' '
	echo secret >imap.secret &&
	chmod 644 imap.secret &&
	sed -e "s/^password = secret$/password_file = imap.secret/" ticketd.conf >file.conf &&
	"$TICKETD" -n -c file.conf >out 2>err &&
	test_grep "^configuration OK$" out &&
	test_grep "^imap.secret: warning: a secret file is readable by others (mode 0644): chmod 640 .imap.secret.$" err &&
	chmod 640 imap.secret &&
	"$TICKETD" -n -c file.conf >out 2>err &&
	test_line_count = 0 err
'

test_expect_success 'a configuration without a password inline may be readable (no warning)' '
	chmod 644 file.conf &&
	"$TICKETD" -n -c file.conf >out 2>err &&
	test_line_count = 0 err
'

test_done
