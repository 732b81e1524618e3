# t/test-lib.sh: the shell test library, in the manner of git's t/test-lib.sh.
#
# Source it first thing from every t/tNNNN-topic.sh:
#
#	. "$(dirname "$0")/test-lib.sh"
#	test_expect_success 'it works' '
#		"$TICKETCTL" --help >out &&
#		test_grep usage out
#	'
#	test_done
#
# Output is TAP (run with prove, or ctest which registers every script).
# Options: -v/--verbose (show every test's commands and output as # lines),
# -x (trace the test bodies with set -x), -i/--immediate (stop at the first
# failure). The same from the environment: TEST_VERBOSE=1, TEST_TRACE=1,
# TEST_IMMEDIATE=1.
#
# Test bodies run in the current shell (so variables they set, and servers
# they start, outlive the test), inside $TEST_DIR, with stdin from /dev/null
# and their output captured; a failing test prints its commands and output.
#
# Scripts that are not TAP tests (contrib/demo.sh) may source this file for
# TEST_DIR, test_on_exit and wait_for: they set TEST_NO_TAP=1 first, and then
# the exit status is simply the script's own.

# ---- variables --------------------------------------------------------------

# Resolve our own directory before anything changes directory.
test__t_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)

TICKETD_SRC=$(cd "${TICKETD_SRC:-$test__t_dir/..}" && pwd -P)
TICKETD_BUILD=${TICKETD_BUILD:-$TICKETD_SRC/build}
case $TICKETD_BUILD in
/*) ;;
*) TICKETD_BUILD=$PWD/$TICKETD_BUILD ;;	# we cd to TEST_DIR below
esac
TICKETD=$TICKETD_BUILD/ticketd
TICKETCTL=$TICKETD_BUILD/ticketctl
CORPUS=$TICKETD_SRC/../shared/corpus
PY=/usr/bin/python3
TEST_NAME=$(basename "$0" .sh)
export TICKETD_SRC TICKETD_BUILD TICKETD TICKETCTL CORPUS PY

# A test never talks to the terminal and never uses the user's config.
exec </dev/null
# The script's own stdout/stderr, for the exit trap: a signal may arrive
# while a test body runs with its output redirected to a file.
exec {test__stdout}>&1 {test__stderr}>&2
unset TICKETD_CONFIG
export LC_ALL=C.UTF-8 TZ=UTC

# The clock every ticketd and ticketctl believes (git's test_tick): a fixed
# instant, so that no test depends on today's date. The programs start
# their clock there and run on at real speed (lib/util/clock.h). A test that
# wants another instant sets TICKETD_NOW for one command, or calls
# test_tick to move every later command's clock on.
TEST_T0=1795687200		# 2026-11-26T10:00:00Z, a Thursday
TICKETD_NOW=$TEST_T0
export TICKETD_NOW TEST_T0

# test_tick [SECONDS]: every later command starts its clock SECONDS (default
# 60) later than the one before.
test_tick () {
	TICKETD_NOW=$((TICKETD_NOW + ${1:-60}))
	export TICKETD_NOW
}

test_count=0
test_passed=0
test_failed=0
test_fixed=0
test_broken=0
test_skipped=0
test__done=
test__on_exit_cmds=()
test__verbose=${TEST_VERBOSE:-}
test__trace=${TEST_TRACE:-}
test__immediate=${TEST_IMMEDIATE:-}
test__prereqs=' '

if [ -z "${TEST_NO_TAP:-}" ]; then
	while [ $# -gt 0 ]; do
		case $1 in
		-v|--verbose) test__verbose=1 ;;
		-x) test__trace=1 ;;
		-i|--immediate) test__immediate=1 ;;
		*) echo "test-lib: unknown option '$1'" >&2; exit 2 ;;
		esac
		shift
	done
fi

# ---- the temporary directory and cleanup -------------------------------------

# A fresh directory per script. Dovecot's mail processes run as uid 65534 and
# must reach the Maildir below it, hence 0755 instead of mktemp's 0700.
TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ticketd-$TEST_NAME.XXXXXX") || {
	echo "test-lib: unable to create a temporary directory" >&2
	exit 1
}
chmod 755 "$TEST_DIR"
export TEST_DIR
cd "$TEST_DIR" || exit 1

# test_on_exit 'command': run command when the script ends, however it ends
# (normal exit, failure, Ctrl-C, SIGTERM). Commands run last-registered first,
# like a stack of defers, so a server is stopped before the dir it lives in.
test_on_exit () {
	test__on_exit_cmds+=("$1")
}

test__run_on_exit () {
	local i
	for ((i = ${#test__on_exit_cmds[@]} - 1; i >= 0; i--)); do
		eval "${test__on_exit_cmds[i]}" </dev/null >&2 || :
	done
	test__on_exit_cmds=()
}

test__exit_trap () {
	local rc=$?
	trap - EXIT INT TERM
	exec 1>&"$test__stdout" 2>&"$test__stderr"
	{ set +x; } 2>/dev/null
	cd / || :
	test__run_on_exit
	if [ -z "${TEST_NO_TAP:-}" ] && [ -z "$test__done" ]; then
		echo "# test script exited early (status $rc) after $test_count test(s)"
		[ "$rc" -eq 0 ] && rc=1
	fi
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]; then
		rm -rf "$TEST_DIR"
	else
		echo "# kept the test directory: $TEST_DIR"
	fi
	exit "$rc"
}
trap test__exit_trap EXIT
# "exit" from a signal trap runs the EXIT trap above: one cleanup path.
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- running tests ------------------------------------------------------------

# test_set_prereq NAME / test_have_prereq NAME: named conditions a test can
# require by giving them (comma-separated) as a first, extra argument:
#	test_expect_success IMAPS 'title' 'body'
test_set_prereq () {
	test__prereqs="$test__prereqs$1 "
}

test_have_prereq () {
	local p
	local IFS=,
	for p in $1; do
		case $test__prereqs in
		*" $p "*) ;;
		*) return 1 ;;
		esac
	done
}

# Prints its input as TAP diagnostics, one "#	" line per line.
test__comment () {
	sed -e 's/^/#	/'
}

# test__run TITLE BODY: runs BODY in the current shell, output captured in
# $TEST_DIR/.test-output; returns BODY's status.
test__run () {
	local out=$TEST_DIR/.test-output rc
	# The braces keep eval in this shell; set -x output goes to the capture.
	{
		if [ -n "$test__trace" ]; then
			set -x
		fi
		eval "$2"
		rc=$?
		{ set +x; } 2>/dev/null
		# Bodies may cd; the next test starts from TEST_DIR again.
		cd "$TEST_DIR" || :
		return $rc
	} </dev/null >"$out" 2>&1
}

test__show () {
	echo "#	commands:"
	printf '%s\n' "$1" | sed -e '/^[[:space:]]*$/d' | test__comment
	if [ -s "$TEST_DIR/.test-output" ]; then
		echo "#	output:"
		test__comment <"$TEST_DIR/.test-output"
	fi
}

# test__prereq_ok N TITLE PREREQS: prints the skip line and returns 1 when a
# prerequisite is missing.
test__prereq_ok () {
	if [ -n "$3" ] && ! test_have_prereq "$3"; then
		test_skipped=$((test_skipped + 1))
		echo "ok $1 # skip $2 (missing $3)"
		return 1
	fi
}

# test_expect_success [PREREQS] 'title' 'commands'
test_expect_success () {
	local prereq=
	if [ $# -eq 3 ]; then
		prereq=$1
		shift
	fi
	if [ $# -ne 2 ]; then
		echo "test-lib: bug in the test script: test_expect_success needs 2 or 3 arguments" >&2
		exit 1
	fi
	test_count=$((test_count + 1))
	test__prereq_ok "$test_count" "$1" "$prereq" || return 0
	if test__run "$1" "$2"; then
		test_passed=$((test_passed + 1))
		echo "ok $test_count - $1"
		if [ -n "$test__verbose" ]; then
			test__show "$2"
		fi
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		test__show "$2"
		if [ -n "$test__immediate" ]; then
			test_done
		fi
	fi
	return 0
}

# test_expect_failure [PREREQS] 'title' 'commands': a known breakage. Neither
# outcome fails the script; TAP marks it TODO.
test_expect_failure () {
	local prereq=
	if [ $# -eq 3 ]; then
		prereq=$1
		shift
	fi
	test_count=$((test_count + 1))
	test__prereq_ok "$test_count" "$1" "$prereq" || return 0
	if test__run "$1" "$2"; then
		test_fixed=$((test_fixed + 1))
		echo "ok $test_count - $1 # TODO known breakage vanished"
	else
		test_broken=$((test_broken + 1))
		echo "not ok $test_count - $1 # TODO known breakage"
		if [ -n "$test__verbose" ]; then
			test__show "$2"
		fi
	fi
	return 0
}

# test_skip 'title' 'reason': counts a test as skipped without running it.
test_skip () {
	test_count=$((test_count + 1))
	test_skipped=$((test_skipped + 1))
	echo "ok $test_count # skip $1${2:+ ($2)}"
}

# test_done: ends every test script. Prints the plan and a summary and exits
# 1 when a test failed, else 0.
test_done () {
	test__done=1
	echo "1..$test_count"
	echo "# $test_passed passed, $test_failed failed"
	if [ $((test_skipped + test_broken + test_fixed)) -gt 0 ]; then
		echo "# $test_skipped skipped, $test_broken known breakage(s), $test_fixed fixed"
	fi
	if [ "$test_failed" -gt 0 ]; then
		exit 1
	fi
	exit 0
}

# skip_all 'reason': skips the whole script (TAP "1..0 # SKIP", exit 77,
# which ctest reports as skipped). Call it before the first test.
skip_all () {
	test__done=1
	echo "1..0 # SKIP $1"
	exit 77
}

# ---- helpers for test bodies --------------------------------------------------

# test_cmp EXPECTED ACTUAL: the files are equal, else a unified diff.
test_cmp () {
	diff -u -- "$1" "$2"
}

# test_grep [!] [GREP-OPTIONS] PATTERN FILE: like grep -q, but when it fails
# it says what it looked for and shows the file. "!" expects no match.
test_grep () {
	local negate="" file
	if [ "${1:-}" = "!" ]; then
		negate=1
		shift
	fi
	if [ $# -lt 2 ]; then
		echo "test_grep: needs a pattern and a file" >&2
		return 1
	fi
	file=${!#}
	if [ ! -f "$file" ]; then
		echo "test_grep: no such file: '$file'"
		return 1
	fi
	if [ -z "$negate" ]; then
		grep -q "$@" && return 0
		echo "test_grep: no match for: ${*:1:$#-1}"
	else
		! grep -q "$@" && return 0
		echo "test_grep: unexpected match for: ${*:1:$#-1}"
		grep "$@" | sed -e 's/^/	> /'
	fi
	echo "test_grep: in '$file':"
	sed -e 's/^/	| /' "$file"
	return 1
}

# test_must_fail COMMAND...: COMMAND exits non-zero, but was not killed by a
# signal (status > 128) nor missing (126/127): a crash is not a clean failure.
test_must_fail () {
	local rc=0
	"$@" || rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "test_must_fail: command succeeded: $*"
		return 1
	elif [ "$rc" -gt 128 ] || [ "$rc" -eq 126 ] || [ "$rc" -eq 127 ]; then
		echo "test_must_fail: command died or was not found (status $rc): $*"
		return 1
	fi
}

# test_expect_code N COMMAND...: COMMAND exits with status N.
test_expect_code () {
	local want=$1 rc=0
	shift
	"$@" || rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "test_expect_code: expected status $want, got $rc: $*"
		return 1
	fi
}

# test_line_count OP N FILE: e.g. test_line_count = 3 out.
test_line_count () {
	local n
	n=$(wc -l <"$3") || return 1
	if ! test "$n" "$1" "$2"; then
		echo "test_line_count: expected $1 $2 lines, '$3' has $n:"
		sed -e 's/^/	| /' "$3"
		return 1
	fi
}

test_path_is_file () {
	[ -f "$1" ] || { echo "test_path_is_file: not a file: '$1'"; return 1; }
}

test_path_is_dir () {
	[ -d "$1" ] || { echo "test_path_is_dir: not a directory: '$1'"; return 1; }
}

test_path_is_missing () {
	[ ! -e "$1" ] || { echo "test_path_is_missing: exists: '$1'"; return 1; }
}

# test__now_us: microseconds since the epoch, from bash itself (no fork).
# EPOCHREALTIME's decimal point follows the locale: keep the digits only.
test__now_us () {
	local t=${EPOCHREALTIME//[!0-9]/}
	echo "${t#0}"
}

# wait_for 'command' [TIMEOUT_S]: evaluate command every 50 ms until it
# succeeds (returns 0) or TIMEOUT_S seconds (default 10, may be fractional
# like 0.5) have passed (returns 1 and says so on stderr).
wait_for () {
	local cmd=$1 timeout=${2:-10} deadline
	local sec=${timeout%%.*} frac=${timeout#*.}
	if [ "$frac" = "$timeout" ]; then
		frac=0
	fi
	frac=${frac}000000
	deadline=$(( $(test__now_us) + ${sec:-0} * 1000000 + 10#${frac:0:6} ))
	while ! eval "$cmd"; do
		if [ "$(test__now_us)" -ge "$deadline" ]; then
			echo "wait_for: timed out after ${timeout}s: $cmd" >&2
			return 1
		fi
		sleep 0.05
	done
}
