#!/usr/bin/env bash
# Log lines carry their priority where one is read: with standard error
# the systemd journal ($JOURNAL_STREAM names it) each line starts with
# "<N>" (sd-daemon(3)), so journalctl -p warning shows warnings; with
# log = syslog they go to syslog(3), facility daemon, each at its
# priority.  The syslog test runs ticketd in a private mount namespace
# whose /dev/log is a listener of ours (root and unshare needed).
. "$(dirname "$0")/test-lib.sh"
. "$TICKETD_SRC/t/lib-servers.sh"

if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1 &&
   unshare -m --propagation private true 2>/dev/null; then
	test_set_prereq NAMESPACE
fi

# A mailbox on a closed port: --once logs a warning and exits 75.
test_expect_success 'setup: a configuration whose mailbox cannot be reached' '
	port=$(free_port) &&
	cat >log.conf <<-EOF
	[general]
	database = $TEST_DIR/log.db
	templates = $TICKETD_SRC/conf/templates
	support_address = support@example.com

	[mailbox support]
	url = imap://127.0.0.1:$port
	user = support
	password = secret
	EOF
'

test_expect_success 'stderr is the journal: every line starts with its priority' '
	: >journal &&
	JOURNAL_STREAM=$(stat -c "%d:%i" journal) test_expect_code 75 \
		"$TICKETD" -c log.conf --once 2>>journal &&
	grep -n "" journal &&
	test_grep "^<6>2026-11-26T10:00:00\.[0-9]*Z info daemon event=started " journal &&
	test_grep "^<4>2026-11-26T10:00:00\.[0-9]*Z warn imap mailbox=support event=disconnected " journal &&
	test_grep "^<6>[0-9T:.-]*Z info daemon event=stopped status=75$" journal &&
	test "$(grep -cv "^<[3467]>" journal)" = 0
'

test_expect_success 'an error is <3>: the store cannot be opened' '
	: >journal2 &&
	sed -e "s#^database = .*#database = /dev/null/log.db#" log.conf >broken.conf &&
	JOURNAL_STREAM=$(stat -c "%d:%i" journal2) test_expect_code 1 \
		"$TICKETD" -c broken.conf --once 2>>journal2 &&
	test_grep "^<3>[0-9T:.-]*Z error store event=open_failed file=/dev/null/log.db error=" journal2
'

test_expect_success 'stderr is not the journal (another stream is named): no prefixes' '
	: >other &&
	JOURNAL_STREAM=$(stat -c "%d:%i" other) test_expect_code 75 \
		"$TICKETD" -c log.conf --once 2>plain &&
	test_grep "^2026-11-26T10:00:00\.[0-9]*Z info daemon event=started " plain &&
	test_grep ! "^<" plain
'

test_expect_success 'log = syslog and log_file exclude each other' '
	{ cat log.conf && printf "\n[general]\nlog = syslog\nlog_file = t.log\n"; } >both.conf &&
	test_expect_code 1 "$TICKETD" -n -c both.conf 2>err &&
	test_grep "^both.conf:12: log = syslog and log_file exclude each other" err &&
	printf "[general]\nlog = journal\n" >bad.conf &&
	test_expect_code 1 "$TICKETD" -n -c bad.conf 2>err &&
	test_grep "^bad.conf:2: log must be stderr or syslog, not .journal." err
'

# in_private_dev COMMAND...: COMMAND in a mount namespace whose /dev is a
# tmpfs with null, zero, random, urandom, shm and a /dev/log listener
# writing to $TEST_DIR/syslog.out.
in_private_dev () {
	# The namespace is built without libfaketime (it needs /dev/shm before
	# there is one); only COMMAND gets it back.
	env -u LD_PRELOAD TEST_LD_PRELOAD="${LD_PRELOAD:-}" \
	unshare -m --propagation private bash -c '
		set -e
		dir=$1 py=$2 listener=$3
		shift 3
		mkdir -p "$dir/olddev"
		mount --rbind /dev "$dir/olddev"
		mount -t tmpfs -o mode=755 tmpfs /dev
		for node in null zero random urandom; do
			touch "/dev/$node"
			mount --bind "$dir/olddev/$node" "/dev/$node"
		done
		ln -s /proc/self/fd /dev/fd
		# libfaketime (the suite run 600 days ahead) keeps its state in /dev/shm.
		if [ -d "$dir/olddev/shm" ]; then
			mkdir /dev/shm
			mount --bind "$dir/olddev/shm" /dev/shm
		fi
		"$py" "$listener" /dev/log "$dir/syslog.out" </dev/null >/dev/null 2>&1 &
		pid=$!
		for i in $(seq 100); do
			[ -S /dev/log ] && [ -s "$dir/syslog.out" ] && break
			sleep 0.05
		done
		rc=0
		if [ -n "$TEST_LD_PRELOAD" ]; then
			LD_PRELOAD=$TEST_LD_PRELOAD "$@" || rc=$?
		else
			"$@" || rc=$?
		fi
		sleep 0.2
		kill "$pid"
		wait "$pid" 2>/dev/null || :
		exit "$rc"
	' in_private_dev "$TEST_DIR" "$PY" "$TICKETD_SRC/t/dgram-listen.py" "$@"
}

test_expect_success NAMESPACE 'log = syslog: each line at its priority, facility daemon' '
	sed -e "/^support_address/a log = syslog" log.conf >syslog.conf &&
	test_expect_code 75 in_private_dev "$TICKETD" -c syslog.conf --once 2>stderr &&
	grep -n "" syslog.out &&
	test_line_count = 0 stderr &&
	test_grep "^[0-9]* <30>.* ticketd\[[0-9]*\]: info daemon event=started " syslog.out &&
	test_grep "^[0-9]* <28>.* ticketd\[[0-9]*\]: warn imap mailbox=support event=disconnected " syslog.out &&
	test_grep "^[0-9]* <30>.* ticketd\[[0-9]*\]: info daemon event=stopped status=75$" syslog.out
'

test_done
