# t/lib-servers.sh: throwaway servers on loopback for end-to-end tests.
# Source it after test-lib.sh (it uses TEST_DIR, test_on_exit, wait_for).
#
#	start_dovecot [--ssl] [--sni] [--oauth]  IMAP server with users
#	                        support/secret, other/secret
#	start_oauth_server [--rotate] [--lifetime S]  t/oauth-server.py, a token
#	                        endpoint with introspection
#	start_smtp_sink [--starttls|--ssl]  aiosmtpd sink saving every message
#	start_fake_smtp [OPTIONS]  t/fake-smtp.py, a scripted misbehaving server
#	write_config FILE       a ticketd config for the servers started
#	start_ticketd CONF [ARGS]  the daemon in the background, stopped at exit
#	mount_tmpfs DIR SIZE    a small file system (disk full, read-only tests)
#	maildir_add FILE...     mail straight into the Maildir (imap_append: over IMAP)
#
# Everything started here is stopped at exit, even when a test fails.

# Dovecot lives in /usr/sbin, which is not in every user's PATH.
DOVECOT_BIN=$(command -v dovecot 2>/dev/null || echo /usr/sbin/dovecot)

# lib_servers_have_deps: dovecot and aiosmtpd are installed (else tests skip).
lib_servers_have_deps () {
	[ -x "$DOVECOT_BIN" ] || return 1
	"$PY" -c 'import aiosmtpd' >/dev/null 2>&1
}

# free_port: prints a loopback TCP port that was free a moment ago. Another
# process may take it before we bind it: starters retry on a bind failure.
free_port () {
	"$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open () {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# port_greets PORT PREFIX: the server on PORT greets with a line starting
# with PREFIX ("* OK", "220") within 2 seconds.
port_greets () {
	local line=
	# A subshell, so the descriptor closes on every path.
	(
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		IFS= read -r -t 2 line <&3 || exit 1
		case $line in
		"$2"*) exit 0 ;;
		*) exit 1 ;;
		esac
	) 2>/dev/null
}

# lib__spawn LOG COMMAND...: runs COMMAND in the background, output to LOG;
# its pid is in $!. It gets none of the test script's descriptors: a server
# holding the script's stdout open would keep ctest or prove waiting.
lib__spawn () {
	local log=$1
	shift
	# shellcheck disable=SC2154 # set by test-lib.sh
	"$@" </dev/null >>"$log" 2>&1 {test__stdout}>&- {test__stderr}>&- &
}

# lib__pid_alive PID: the process exists and is not a zombie (in containers,
# orphans are not always reaped, so kill -0 alone is not enough).
lib__pid_alive () {
	local state
	IFS= read -r state 2>/dev/null <"/proc/$1/stat" || return 1
	state=${state##*) }
	state=${state%% *}
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# lib__children PID: the pids of PID's children, from /proc (no procps in a
# minimal container). /proc/N/stat is "N (comm) STATE PPID ...".
lib__children () {
	local f line rest
	for f in /proc/[0-9]*/stat; do
		IFS= read -r line 2>/dev/null <"$f" || continue
		rest=${line##*) }
		rest=${rest#* }
		if [ "${rest%% *}" = "$1" ]; then
			f=${f#/proc/}
			echo "${f%/stat}"
		fi
	done
}

# lib__stop_pids PIDS...: SIGTERM, wait up to 5 s, then SIGKILL. Reaps the
# ones that are our children.
lib__stopped=' '
lib__stop_pids () {
	local pid="" i pids=()
	# Never signal a pid twice: once reaped, the number may be reused.
	for pid in "$@"; do
		case $lib__stopped in
		*" $pid "*) ;;
		*) pids+=("$pid") lib__stopped="$lib__stopped$pid " ;;
		esac
	done
	set -- "${pids[@]}"
	[ $# -gt 0 ] || return 0
	for pid in "$@"; do
		kill -TERM "$pid" 2>/dev/null || :
	done
	for ((i = 0; i < 100; i++)); do
		for pid in "$@"; do
			lib__pid_alive "$pid" && break
			pid=
		done
		[ -z "$pid" ] && break
		sleep 0.05
	done
	for pid in "$@"; do
		if lib__pid_alive "$pid"; then
			echo "lib-servers: pid $pid ignored SIGTERM, killing it" >&2
			kill -KILL "$pid" 2>/dev/null || :
		fi
		wait "$pid" 2>/dev/null || :
	done
	return 0
}

# lib__start_server NAME LOG PORTFILE COMMAND...: spawns COMMAND (output to
# LOG), stops it at exit, and waits until it has written PORTFILE (it does
# once it listens). Sets lib__pid. Says why on stderr when it died first.
lib__start_server () {
	local name=$1 log=$2 portfile=$3
	shift 3
	lib__spawn "$log" "$@"
	lib__pid=$!
	test_on_exit "lib__stop_pids $lib__pid"
	if ! wait_for "[ -s '$portfile' ] || ! lib__pid_alive $lib__pid" 10 ||
	   ! lib__pid_alive "$lib__pid"; then
		echo "$name: it did not start; its output:" >&2
		cat "$log" >&2
		return 1
	fi
}

# ---- TLS ----------------------------------------------------------------------

# make_cert: a self-signed certificate for localhost / 127.0.0.1, once per
# script; exports TLS_CERT and TLS_KEY (PEM). An EC key: made in milliseconds.
make_cert () {
	TLS_CERT=$TEST_DIR/tls/cert.pem
	TLS_KEY=$TEST_DIR/tls/key.pem
	export TLS_CERT TLS_KEY
	[ -s "$TLS_CERT" ] && return 0
	mkdir -p "$TEST_DIR/tls" || return 1
	if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 3650 -subj /CN=localhost \
		-addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
		-keyout "$TLS_KEY" -out "$TLS_CERT" >"$TEST_DIR/tls/openssl.log" 2>&1; then
		echo "make_cert: openssl failed:" >&2
		cat "$TEST_DIR/tls/openssl.log" >&2
		return 1
	fi
	# Dovecot reads the key as root, but keep it readable for any user.
	chmod 644 "$TLS_KEY" "$TLS_CERT"
}

# make_named_cert NAME CN [SAN]: another self-signed certificate in
# $TEST_DIR/tls/NAME.pem with its key NAME.key (SAN default DNS:CN).
make_named_cert () {
	mkdir -p "$TEST_DIR/tls" || return 1
	[ -s "$TEST_DIR/tls/$1.pem" ] && return 0
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 3650 -subj "/CN=$2" -addext "subjectAltName=${3:-DNS:$2}" \
		-keyout "$TEST_DIR/tls/$1.key" -out "$TEST_DIR/tls/$1.pem" \
		>>"$TEST_DIR/tls/openssl.log" 2>&1 || return 1
	chmod 644 "$TEST_DIR/tls/$1.key" "$TEST_DIR/tls/$1.pem"
}

# cert_fingerprint FILE: the SHA-256 fingerprint of a PEM certificate,
# as openssl prints it (AB:CD:...).
cert_fingerprint () {
	openssl x509 -noout -fingerprint -sha256 -in "$1" | sed 's/^.*=//'
}

# cert_pubkey_pin FILE: "sha256//BASE64" of the certificate's public key
# (the form of curl's --pinnedpubkey).
cert_pubkey_pin () {
	echo "sha256//$(openssl x509 -noout -pubkey -in "$1" | openssl pkey -pubin -outform der |
		openssl dgst -sha256 -binary | base64)"
}

# ---- OAuth2 token endpoint (t/oauth-server.py) ---------------------------------

# start_oauth_server [ARGS]: the test authorization server (--rotate,
# --lifetime S, --client-secret S ...). Exports OAUTH_URL
# (http://127.0.0.1:PORT), OAUTH_LOG (one line per request) and OAUTH_PID.
start_oauth_server () {
	local dir=$TEST_DIR/oauth
	mkdir -p "$dir" || return 1
	lib__start_server start_oauth_server "$dir.out" "$dir/port" \
		"$PY" "$TICKETD_SRC/t/oauth-server.py" --port-file "$dir/port" --log "$dir/log" "$@" ||
		return 1
	OAUTH_URL=http://127.0.0.1:$(cat "$dir/port") OAUTH_LOG=$dir/log OAUTH_PID=$lib__pid
	export OAUTH_URL OAUTH_LOG OAUTH_PID
}

# oauth_admin WHAT [KEY=VALUE...]: calls /admin/WHAT; prints the JSON answer.
oauth_admin () {
	local what=$1 arg args=()
	shift
	for arg in "$@"; do
		args+=(--data-urlencode "$arg")
	done
	curl -sf -X POST "${args[@]}" "$OAUTH_URL/admin/$what"
}

# oauth_issue USER FILE: writes a fresh refresh token for USER to FILE (0600).
oauth_issue () {
	(umask 077 && oauth_admin issue user="$1" |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["refresh_token"])' >"$2")
}

# ---- Dovecot ------------------------------------------------------------------

# start_dovecot [--ssl]: a Dovecot on 127.0.0.1 with its config, state, log
# ($DOVECOT_DIR/dovecot.log) and Maildirs under $DOVECOT_DIR. Users:
# support/secret and other/secret. Exports IMAP_PORT, IMAP_USER, IMAP_PASS,
# DOVECOT_DIR, IMAPS_PORT (0 without --ssl) and, with --ssl, IMAP_CERT (the
# self-signed certificate, also TLS_CERT/TLS_KEY). Calling it again starts another
# instance (dovecot2, ...) and points the variables at it.
start_dovecot () {
	local ssl="" sni="" oauth="" dir n=1 user uid gid chroot_opt="" attempt
	while [ $# -gt 0 ]; do
		case $1 in
		--ssl) ssl=1 ;;
		--sni) ssl=1 sni=1 ;;
		--oauth) oauth=1 ;;
		*) echo "start_dovecot: unknown option '$1'" >&2; return 1 ;;
		esac
		shift
	done
	if [ -n "$oauth" ] && [ -z "${OAUTH_URL:-}" ]; then
		echo "start_dovecot: --oauth needs start_oauth_server first" >&2
		return 1
	fi
	dir=$TEST_DIR/dovecot
	while [ -e "$dir" ]; do
		n=$((n + 1))
		dir=$TEST_DIR/dovecot$n
	done
	mkdir -p "$dir/run" "$dir/state" || return 1

	# As root, mail belongs to nobody (65534) like a real virtual-user setup;
	# otherwise (rootless Dovecot) everything runs as the invoking user.
	if [ "$(id -u)" -eq 0 ]; then
		uid=65534 gid=65534
	else
		uid=$(id -u) gid=$(id -g)
		chroot_opt="default_login_user = $(id -un)
default_internal_user = $(id -un)
default_internal_group = $(id -gn)
service anvil {
  chroot =
}
service imap-login {
  chroot =
}"
	fi
	: >"$dir/users"
	for user in support other; do
		mkdir -p "$dir/mail/$user/Maildir/cur" "$dir/mail/$user/Maildir/new" \
			"$dir/mail/$user/Maildir/tmp" || return 1
		echo "$user:{PLAIN}secret:$uid:$gid::$dir/mail/$user::" >>"$dir/users"
	done
	chmod 755 "$dir"
	chmod 644 "$dir/users"
	if [ "$(id -u)" -eq 0 ]; then
		chown -R "$uid:$gid" "$dir/mail" || return 1
	fi

	if [ -n "$ssl" ]; then
		make_cert || return 1
		IMAP_CERT=$TLS_CERT
		export IMAP_CERT
	fi
	if [ -n "$sni" ]; then
		# The default certificate names another host; "localhost" gets
		# $TLS_CERT only when the client sends it as SNI.
		make_named_cert default default.test || return 1
		IMAP_DEFAULT_CERT=$TEST_DIR/tls/default.pem
		export IMAP_DEFAULT_CERT
	fi
	if [ -n "$oauth" ]; then
		# Dovecot's oauth2 passdb asks the test server whether a token is live.
		cat >"$dir/dovecot-oauth2.conf.ext" <<-EOF
		tokeninfo_url = $OAUTH_URL/tokeninfo?access_token=
		introspection_url = $OAUTH_URL/introspect
		introspection_mode = post
		force_introspection = yes
		username_attribute = username
		active_attribute = active
		active_value = true
		timeout_msecs = 5000
		EOF
		chmod 644 "$dir/dovecot-oauth2.conf.ext"
	fi

	# Registered first: stop_dovecot does nothing until a pid file exists.
	test_on_exit "stop_dovecot '$dir'"

	# The ports are picked before Dovecot binds them: on the rare clash with
	# a parallel test, pick again.
	for attempt in 1 2 3 4 5; do
		IMAP_PORT=$(free_port) || return 1
		IMAPS_PORT=0
		if [ -n "$ssl" ]; then
			IMAPS_PORT=$(free_port) || return 1
		fi
		lib__dovecot_conf "$dir" "$ssl" "$chroot_opt" "$sni" "$oauth" >"$dir/dovecot.conf" || return 1
		echo "$IMAP_PORT $IMAPS_PORT" >"$dir/ports"
		if lib__dovecot_run "$dir"; then
			break
		fi
		if [ "$attempt" -eq 5 ] || ! grep -q 'Address already in use' \
			"$dir/dovecot.log" "$dir/dovecot.out" 2>/dev/null; then
			echo "start_dovecot: Dovecot did not start; its log:" >&2
			cat "$dir/dovecot.out" "$dir/dovecot.log" >&2 2>/dev/null
			return 1
		fi
		rm -f "$dir/dovecot.log" "$dir/dovecot.out"
	done
	DOVECOT_DIR=$dir
	IMAP_USER=support
	IMAP_PASS=secret
	export DOVECOT_DIR IMAP_PORT IMAPS_PORT IMAP_USER IMAP_PASS
}

# lib__dovecot_conf DIR SSL EXTRA SNI OAUTH: prints the configuration (NOTES.md).
lib__dovecot_conf () {
	local dir=$1 ssl=$2 sni=${4:-} oauth=${5:-} mechs="plain login"
	[ -n "$oauth" ] && mechs="plain login xoauth2 oauthbearer"
	cat <<EOF
# written by t/lib-servers.sh
protocols = imap
listen = 127.0.0.1
base_dir = $dir/run
state_dir = $dir/state
instance_name = ticketd-test-${dir##*/}
log_path = $dir/dovecot.log
disable_plaintext_auth = no
auth_mechanisms = $mechs
EOF
	if [ -n "$oauth" ]; then
		cat <<EOF
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $dir/dovecot-oauth2.conf.ext
}
EOF
	fi
	cat <<EOF
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $dir/users
}
mail_location = maildir:~/Maildir
first_valid_uid = 100
# Tests append in bursts: do not let anvil throttle or delay logins.
auth_failure_delay = 0
mail_max_userip_connections = 100
EOF
	if [ -n "$sni" ]; then
		cat <<EOF
ssl = yes
ssl_cert = <$IMAP_DEFAULT_CERT
ssl_key = <${IMAP_DEFAULT_CERT%.pem}.key
local_name localhost {
  ssl_cert = <$TLS_CERT
  ssl_key = <$TLS_KEY
}
EOF
	elif [ -n "$ssl" ]; then
		cat <<EOF
ssl = yes
ssl_cert = <$TLS_CERT
ssl_key = <$TLS_KEY
EOF
	else
		echo "ssl = no"
	fi
	# Port 0 turns the built-in imaps listener (993) off.
	cat <<EOF
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
  }
}
$3
EOF
}

# lib__dovecot_run DIR: starts the master in the foreground mode (-F, so it
# stays our child and we know its pid) and waits for the IMAP greeting.
lib__dovecot_run () {
	local dir=$1 pid imap imaps
	read -r imap imaps <"$dir/ports"
	# Dovecot keeps the real clock when the suite runs under libfaketime
	# (faketime -f +600d ctest): its master re-execs children without
	# LD_PRELOAD and then sees time move backwards by the offset. A server
	# whose clock differs from ours is a fair test of ticketd anyway.
	lib__spawn "$dir/dovecot.out" env -u LD_PRELOAD -u FAKETIME \
		"$DOVECOT_BIN" -F -c "$dir/dovecot.conf"
	pid=$!
	echo "$pid" >"$dir/pid"
	if ! wait_for "port_greets $imap '* OK' || ! lib__pid_alive $pid" 10 ||
	   ! lib__pid_alive "$pid"; then
		lib__stop_pids "$pid"
		return 1
	fi
	if [ "$imaps" != 0 ] && ! wait_for "port_open $imaps" 5; then
		stop_dovecot "$dir"
		return 1
	fi
}

# stop_dovecot [DIR]: stops a Dovecot (default $DOVECOT_DIR) and every
# process it forked, and waits until they are gone. Harmless when stopped.
stop_dovecot () {
	local dir=${1:-$DOVECOT_DIR} pid kids
	[ -f "$dir/pid" ] || return 0
	pid=$(cat "$dir/pid")
	rm -f "$dir/pid"
	# The master's children (auth, imap, log ...) are not always gone when
	# the master is: collect them first and wait for them as well.
	kids=$(lib__children "$pid")
	# shellcheck disable=SC2086
	lib__stop_pids "$pid" $kids
}

# restart_dovecot [DIR]: starts a stopped Dovecot again, same ports and mail.
restart_dovecot () {
	local dir=${1:-$DOVECOT_DIR}
	stop_dovecot "$dir"
	rm -f "$dir/dovecot.out"
	lib__dovecot_run "$dir"
}

# ---- IMAP helpers (contrib/imap-tool.py, on $IMAP_PORT as $IMAP_USER) -------

imap_tool () {
	"$PY" "$TICKETD_SRC/contrib/imap-tool.py" "$@"
}

# imap_append FILE [FOLDER] [FLAGS]: appends FILE (created when missing);
# FLAGS like '\Seen \Flagged'. Prints nothing.
imap_append () {
	imap_tool append "$1" "${2:-INBOX}" ${3:+--flags "$3"}
}

# imap_uids [FOLDER]: one line per message, "UID FLAGS...", flags sorted,
# without \Recent: "1 \Seen", or just "2" when it has no flags.
imap_uids () {
	imap_tool uids "${1:-INBOX}"
}

# imap_count [FOLDER]: the number of messages in FOLDER.
imap_count () {
	imap_tool count "${1:-INBOX}"
}

# imap_folders: the folder names, one a line, sorted.
imap_folders () {
	imap_tool folders
}

# maildir_add FILE...: puts each file straight into the INBOX of
# $IMAP_USER (tmp/, then new/, as a delivery agent does): much faster than
# APPEND for many mails; Dovecot gives them UIDs in the order given at its
# next look at the folder.
lib__maildir_seq=0
maildir_add () {
	local md=$DOVECOT_DIR/mail/$IMAP_USER/Maildir f name base
	base=$(date +%s)
	for f in "$@"; do
		# Unique names (Dovecot knows a message by its name), in order.
		lib__maildir_seq=$((lib__maildir_seq + 1))
		name=$base.M$(printf %08d "$lib__maildir_seq")P$$.test
		cp "$f" "$md/tmp/$name" || return 1
		if [ "$(id -u)" -eq 0 ]; then
			chown 65534:65534 "$md/tmp/$name" || return 1
		fi
		mv "$md/tmp/$name" "$md/new/$name" || return 1
	done
}

# imap_fetch UID [FOLDER]: prints the raw message (does not set \Seen).
imap_fetch () {
	imap_tool fetch "$1" "${2:-INBOX}"
}

# ---- SMTP sink (contrib/smtp-sink.py) -----------------------------------------

# start_smtp_sink [--starttls|--ssl] [SINK-OPTIONS]: an aiosmtpd sink on a
# free port; every message lands in $SINK_DIR as NNNNNN.eml (raw) +
# NNNNNN.env (envelope). Exports SMTP_PORT, SINK_DIR (and SINK_LOG,
# SINK_PID). --starttls offers STARTTLS, --ssl speaks implicit TLS (SMTPS);
# both with TLS_CERT (make_cert). SINK-OPTIONS go to contrib/smtp-sink.py
# (--auth-user U --auth-password P, --oauth-introspect URL, --close-after-data).
start_smtp_sink () {
	local tls=() dir=$TEST_DIR/sink n=1 pid port mode=${1:-}
	case $mode in
	--starttls|--ssl)
		make_cert || return 1
		tls=("$1" --cert "$TLS_CERT" --key "$TLS_KEY")
		shift ;;
	""|--auth-user|--oauth-introspect|--close-after-data) ;;
	*) echo "start_smtp_sink: unknown option '$1'" >&2; return 1 ;;
	esac
	while [ -e "$dir" ]; do
		n=$((n + 1))
		dir=$TEST_DIR/sink$n
	done
	mkdir -p "$dir" || return 1
	# Port 0: the sink binds a port the kernel picks and writes it to a file,
	# so no other process can take it in between.
	lib__start_server start_smtp_sink "$dir.log" "$dir.port" \
		"$PY" "$TICKETD_SRC/contrib/smtp-sink.py" \
		--host 127.0.0.1 --port 0 --port-file "$dir.port" --dir "$dir" "${tls[@]}" "$@" || return 1
	pid=$lib__pid
	port=$(cat "$dir.port")
	if [ "$mode" != --ssl ]; then
		wait_for "port_greets $port 220" 10 || return 1
	fi
	SMTP_PORT=$port SINK_DIR=$dir SINK_LOG=$dir.log SINK_PID=$pid
	export SMTP_PORT SINK_DIR SINK_LOG SINK_PID
}

# stop_smtp_sink: stops the sink now (its files stay).
stop_smtp_sink () {
	lib__stop_pids "$SINK_PID"
}

# sink_files [DIR]: the .eml files received, in arrival order, one a line.
sink_files () {
	local dir=${1:-$SINK_DIR} f
	for f in "$dir"/[0-9]*.eml; do
		[ -e "$f" ] && echo "$f"
	done
	return 0
}

# sink_count [DIR]: how many messages arrived.
sink_count () {
	sink_files "$@" | wc -l
}

# sink_wait N [TIMEOUT_S]: waits until at least N messages arrived.
sink_wait () {
	wait_for "[ \$(sink_count) -ge $1 ]" "${2:-10}"
}

# ---- fake SMTP (t/fake-smtp.py) -------------------------------------------------

# start_fake_smtp [OPTIONS]: the scripted SMTP server with OPTIONS (--codes,
# --rcpt-codes, --hang ...); exports FAKE_SMTP_PORT and FAKE_SMTP_DIR (log in
# $FAKE_SMTP_DIR/log, accepted mail as NNNNNN.eml there). Point a config at
# it with: SMTP_PORT=$FAKE_SMTP_PORT write_config FILE
start_fake_smtp () {
	local dir=$TEST_DIR/fake-smtp n=1
	while [ -e "$dir" ]; do
		n=$((n + 1))
		dir=$TEST_DIR/fake-smtp$n
	done
	mkdir -p "$dir" || return 1
	# It writes DIR/port once it listens (probing would count as a
	# connection in its log, and would hang with --hang).
	lib__start_server start_fake_smtp "$dir.out" "$dir/port" \
		"$PY" "$TICKETD_SRC/t/fake-smtp.py" --port 0 --dir "$dir" "$@" || return 1
	FAKE_SMTP_PORT=$(cat "$dir/port") FAKE_SMTP_DIR=$dir FAKE_SMTP_PID=$lib__pid
	export FAKE_SMTP_PORT FAKE_SMTP_DIR FAKE_SMTP_PID
}

stop_fake_smtp () {
	lib__stop_pids "$FAKE_SMTP_PID"
}

# ---- ticketd configuration and daemon -------------------------------------------

# write_config FILE: a ticketd config for the servers started above (no
# [mailbox] section without Dovecot, no smtp url without SMTP_PORT). Lines
# on stdin are appended, so a test can add sections:
#	write_config conf <<-EOF
#	[mailbox other]
#	...
#	EOF
write_config () {
	local file=$1 extra=
	{
		cat <<EOF
[general]
database = $TEST_DIR/ticketd.db
templates = $TICKETD_SRC/conf/templates
support_address = support@example.com
support_name = Example Support
ticket_prefix = SUP
poll_interval = 1

[smtp]
EOF
		if [ -n "${SMTP_PORT:-}" ]; then
			echo "url = smtp://127.0.0.1:$SMTP_PORT"
		fi
		echo "timeout = 10"
		if [ -n "${IMAP_PORT:-}" ]; then
			cat <<EOF

[mailbox support]
url = imap://127.0.0.1:$IMAP_PORT
# The test Dovecot speaks clear text on loopback unless a test says otherwise.
tls = no
user = support
password = secret
folder = INBOX
after = seen
EOF
		fi
		# Appended lines; never wait on a terminal.
		if [ ! -t 0 ]; then
			extra=$(cat 2>/dev/null)
			if [ -n "$extra" ]; then
				printf '\n%s\n' "$extra"
			fi
		fi
	} >"$file"
}

# start_ticketd CONF [ARGS...]: runs "$TICKETD -c CONF ARGS" in the background
# with stderr in $TICKETD_LOG (default $TEST_DIR/ticketd.log, appended);
# exports TICKETD_PID; stopped with SIGTERM at exit (stop_ticketd).
start_ticketd () {
	local conf=$1
	shift
	TICKETD_LOG=${TICKETD_LOG:-$TEST_DIR/ticketd.log}
	lib__spawn "$TICKETD_LOG" "$TICKETD" -c "$conf" "$@"
	TICKETD_PID=$!
	export TICKETD_LOG TICKETD_PID
	test_on_exit "stop_ticketd $TICKETD_PID"
}

# stop_ticketd [PID]: SIGTERM, then waits for it; returns its exit status
# (or 1 if it had to be killed after 10 s). Harmless when already stopped.
stop_ticketd () {
	local pid=${1:-${TICKETD_PID:-}} i rc=0
	[ -n "$pid" ] || return 0
	case $lib__stopped in
	*" $pid "*) return 0 ;;
	esac
	lib__stopped="$lib__stopped$pid "
	kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return $?; }
	for ((i = 0; i < 200; i++)); do
		lib__pid_alive "$pid" || break
		sleep 0.05
	done
	if lib__pid_alive "$pid"; then
		echo "stop_ticketd: ticketd (pid $pid) ignored SIGTERM for 10 s, killing it" >&2
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 1
	fi
	wait "$pid" 2>/dev/null || rc=$?
	return $rc
}

# ---- file systems for store faults ------------------------------------------------

# mount_tmpfs DIR SIZE: a tmpfs of SIZE (e.g. 4m) at DIR, unmounted at exit;
# 1 when mounting is refused (not root, no CAP_SYS_ADMIN): the caller skips.
mount_tmpfs () {
	mkdir -p "$1" || return 1
	mount -t tmpfs -o "size=$2,mode=0755" tmpfs "$1" 2>/dev/null || return 1
	test_on_exit "umount -l '$1'"
}

# fill_fs DIR: one file takes every free byte of DIR's file system
# (free_fs gives them back).
fill_fs () {
	dd if=/dev/zero of="$1/.filler" bs=64k 2>/dev/null
	sync
	return 0
}

free_fs () {
	rm -f "$1/.filler"
}

# ---- the customers of the fault tests (t7003, t7007) -----------------------

# customer_mail N: a new mail from customer N (its own address, so each
# auto-response can be counted per recipient), appended to the INBOX.
customer_mail () {
	"$PY" "$TICKETD_SRC/t/mail-tool.py" new --from "Customer $1 <c$1@customer.example>" \
		--subject "Problem $1" --body "Something is broken ($1)." \
		--msgid "c$1@customer.example" >"c$1.eml" &&
	imap_append "c$1.eml"
}
# seen_count: messages in INBOX flagged \Seen.
seen_count () { imap_uids | grep -c 'Seen' || :; }
# sent_to N: auto-responses the sink got for customer N.
sent_to () { grep -l "^RCPT TO:<c$1@customer.example>" "$SINK_DIR"/*.env 2>/dev/null | wc -l; }
