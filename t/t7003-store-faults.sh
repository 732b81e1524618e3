#!/usr/bin/env bash
# The store fails under a running daemon: a full disk, a store locked by
# another process, a deleted store, a read-only one.  Each time: one clear
# error line, nothing flagged on the IMAP server without a durable fate,
# no mail sent twice, and everything resumes once the fault clears.
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

lib_servers_have_deps || skip_all 'dovecot or aiosmtpd missing'
command -v sqlite3 >/dev/null || skip_all 'sqlite3 missing'
mount_tmpfs "$TEST_DIR/fs" 6m || skip_all 'unable to mount a tmpfs (needs root)'
test_set_prereq TMPFS

mt () { "$PY" "$TICKETD_SRC/t/mail-tool.py" "$@"; }
DB=$TEST_DIR/fs/ticketd.db
db () { sqlite3 "$DB" "$@"; }

# customer_mail, seen_count, sent_to: t/lib-servers.sh
fates () { db "SELECT COUNT(*) FROM messages WHERE direction = 'in'"; }
log_has () { grep -q "$1" "$TICKETD_LOG"; }

test_expect_success 'setup: Dovecot, the sink, a store on a 6 MB file system' '
	start_dovecot &&
	start_smtp_sink &&
	write_config ticketd.conf <<-EOF &&
	[general]
	accept_unregistered = yes
	lock_timeout = 1s
	EOF
	sed -i "s|^database = .*|database = $DB|" ticketd.conf &&
	start_ticketd ticketd.conf &&
	customer_mail 1 &&
	wait_for "[ \$(sent_to 1) -eq 1 ] && [ \$(seen_count) -eq 1 ]" 20
'

test_expect_success TMPFS 'disk full: one "disk full" error, nothing flagged, nothing sent' '
	fill_fs fs &&
	customer_mail 2 && customer_mail 3 &&
	wait_for "log_has \"event=unavailable\"" 20 &&
	sleep 3 &&
	[ "$(seen_count)" -eq 1 ] &&
	[ "$(sink_count)" -eq 1 ] &&
	test_grep "fault=\"disk full\"" "$TICKETD_LOG" &&
	test_grep ! "disk I/O error" "$TICKETD_LOG" &&
	[ "$(grep -c " error store event=unavailable" "$TICKETD_LOG")" -eq 1 ]
'

test_expect_success TMPFS 'space again: both mails get their fate, flag and one auto-response' '
	free_fs fs &&
	wait_for "[ \$(seen_count) -eq 3 ] && [ \$(sent_to 3) -eq 1 ] && [ \$(sent_to 2) -eq 1 ]" 40 &&
	[ "$(fates)" -eq 3 ] &&
	[ "$(sink_count)" -eq 3 ] &&
	test_grep "store event=recovered" "$TICKETD_LOG" &&
	[ "$(db "PRAGMA integrity_check")" = ok ]
'

# mark: the log's length now; since_mark PATTERN: matching lines after the mark.
mark () {
	wait_for "grep -q event=started \"\$TICKETD_LOG\" 2>/dev/null" 10 &&
	LOG_MARK=$(wc -l <"$TICKETD_LOG")
}
since_mark () { tail -n +$((LOG_MARK + 1)) "$TICKETD_LOG" | grep -c "$1" || :; }
# db_locked: another process holds the store's write lock now.
db_locked () { ! sqlite3 -cmd ".timeout 0" "$DB" "BEGIN IMMEDIATE; ROLLBACK;" 2>/dev/null; }
# hold_lock: a sqlite3 process takes the write lock and keeps it until
# release_lock (the test lets go once it has seen what it needs, never on
# a timer).  It waits for a lock someone else holds for a moment (a
# daemon's last checkpoint as it exits, a query of the test): BEGIN
# without a busy timeout would fail at once and hold nothing.
hold_lock () {
	rm -f lock.release &&
	lib__spawn lock.out sh -c "(echo '.timeout 10000'; echo 'BEGIN EXCLUSIVE;'; \
		while [ ! -e lock.release ]; do sleep 0.1; done; echo 'COMMIT;') | sqlite3 '$DB'" &&
	LOCK_PID=$! &&
	wait_for db_locked 15
}

release_lock () {
	touch lock.release &&
	wait_for "! db_locked" 15
}

test_expect_success 'locked by another process: held off, the result of a mail in flight held, then recorded' '
	stop_ticketd &&
	start_fake_smtp --delay-data 3 &&
	sed "s|^url = smtp://.*|url = smtp://127.0.0.1:$FAKE_SMTP_PORT|" ticketd.conf >lock.conf &&
	TICKETD_LOG=$TEST_DIR/lock.log start_ticketd lock.conf &&
	mark &&
	customer_mail 4 &&
	wait_for "grep -q \"data [0-9]* bytes\" \"\$FAKE_SMTP_DIR/log\"" 20 &&
	hold_lock &&
	customer_mail 5 &&
	wait_for "[ \$(since_mark \"recorded=no\") -eq 1 ]" 10 &&
	[ "$(seen_count)" -eq 4 ] &&
	test_grep "fault=locked" "$TICKETD_LOG" &&
	release_lock &&
	wait_for "[ \$(seen_count) -eq 5 ] && [ \$(since_mark event=reconciled) -eq 1 ]" 30 &&
	wait_for "[ \$(ls \"\$FAKE_SMTP_DIR\" | grep -c \"\\.eml\$\") -eq 2 ]" 20 &&
	sleep 1 &&
	[ "$(grep -l "c4@customer.example" "$FAKE_SMTP_DIR"/*.env | wc -l)" -eq 1 ] &&
	[ "$(grep -l "c5@customer.example" "$FAKE_SMTP_DIR"/*.env | wc -l)" -eq 1 ] &&
	[ "$(db "SELECT COUNT(*) FROM outbox WHERE status <> '\''sent'\''")" -eq 0 ] &&
	[ "$(since_mark " error store event=unavailable")" -eq 1 ]
'

test_expect_success 'started while another process holds the lock: waits, says so, then runs' '
	stop_ticketd &&
	hold_lock &&
	TICKETD_LOG=$TEST_DIR/start.log start_ticketd ticketd.conf &&
	wait_for "grep -q \"store event=locked\" \"\$TICKETD_LOG\"" 10 &&
	lib__pid_alive $TICKETD_PID &&
	release_lock &&
	wait_for "grep -q \"event=started\" \"\$TICKETD_LOG\"" 20 &&
	test_grep "store event=opened by=main waited=" "$TICKETD_LOG" &&
	customer_mail 6 &&
	wait_for "[ \$(seen_count) -eq 6 ] && [ \$(sent_to 6) -eq 1 ]" 20
'

test_expect_success 'deleted: no fate goes to the dead file unnoticed; restored, the mail is taken once' '
	mark &&
	db ".backup backup.db" &&
	rm -f "$DB" "$DB-wal" "$DB-shm" &&
	customer_mail 7 &&
	wait_for "[ \$(since_mark \"was deleted\") -ge 1 ]" 20 &&
	sleep 2 &&
	[ "$(seen_count)" -eq 6 ] &&
	[ "$(sent_to 7)" -eq 0 ] &&
	test_path_is_missing "$DB" &&
	[ "$(since_mark " error store event=unavailable.*fault=gone.*was deleted")" -eq 1 ] &&
	cp backup.db "$DB" &&
	wait_for "[ \$(seen_count) -eq 7 ] && [ \$(sent_to 7) -eq 1 ]" 60 &&
	[ "$(db "SELECT COUNT(*) FROM messages WHERE direction = '\''in'\''")" -eq 7 ] &&
	[ "$(db "PRAGMA integrity_check")" = ok ] &&
	stop_ticketd
'

# The store's disk turns read-only under the daemon, as ext4 does on an
# error (errors=remount-ro; the kernel's trigger_fs_error): the admin
# copies the store off it and mounts a healthy disk at the same place, and
# ticketd finds the store there (another file now: it reopens it).  The
# sync first: what the page cache still held is lost with the emergency,
# as in a power cut.
RO_IMG=$TEST_DIR/ro.img
if truncate -s 16M "$RO_IMG" && mkfs.ext4 -q -F "$RO_IMG" 2>/dev/null &&
   mkdir -p ro && mount -o loop,errors=remount-ro "$RO_IMG" ro 2>/dev/null; then
	test_on_exit "umount -l '$TEST_DIR/ro'"
	RO_DEV=$(findmnt -n -o SOURCE ro 2>/dev/null)
	[ -w "/sys/fs/ext4/${RO_DEV##*/}/trigger_fs_error" ] && test_set_prereq EXT4RO
fi

test_expect_success EXT4RO 'read-only disk: one "read-only" error, nothing flagged; remounted, resumed' '
	db ".backup ro/ticketd.db" &&
	sed "s|^database = .*|database = $TEST_DIR/ro/ticketd.db|" ticketd.conf >ro.conf &&
	DB=$TEST_DIR/ro/ticketd.db &&
	TICKETD_LOG=$TEST_DIR/ro.log start_ticketd ro.conf &&
	wait_for "grep -q event=started \"\$TICKETD_LOG\"" 10 &&
	mark &&
	sync &&
	echo ticketd-test >"/sys/fs/ext4/${RO_DEV##*/}/trigger_fs_error" &&
	customer_mail 8 &&
	wait_for "[ \$(since_mark \"event=unavailable\") -ge 1 ]" 20 &&
	sleep 2 &&
	[ "$(seen_count)" -eq 7 ] &&
	[ "$(sent_to 8)" -eq 0 ] &&
	[ "$(since_mark " error store event=unavailable.*fault=read-only")" -eq 1 ] &&
	mkdir rescued && cp ro/ticketd.db* rescued/ &&
	umount -l ro &&
	mount -t tmpfs -o size=16m tmpfs ro &&
	cp rescued/* ro/ &&
	wait_for "[ \$(seen_count) -eq 8 ] && [ \$(sent_to 8) -eq 1 ]" 60 &&
	[ "$(since_mark "store event=recovered")" -ge 1 ] &&
	[ "$(since_mark "error store event=unavailable.*fault=read-only")" -eq 1 ] &&
	[ "$(db "PRAGMA integrity_check")" = ok ] &&
	stop_ticketd
'

test_done
