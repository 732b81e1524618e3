#!/usr/bin/env bash
# contrib/test.sh: install the dependencies, build, run every test.
# What CI runs (.ci/run). Works from any directory.
#
#	contrib/test.sh              build in build/, run ctest there, then
#	                             again with the clock 600 days ahead
#	contrib/test.sh --sanitize   the same with ASan+UBSan, in build-asan/
#	contrib/test.sh --one-clock  skip the run with the clock moved
#
# Extra arguments after -- go to ctest (e.g. -- -R t3000 -V).
# JOBS (default 2) sets the build and test parallelism.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=build
cmake_args=()
ctest_args=()
one_clock=
while [ $# -gt 0 ]; do
	case $1 in
	--sanitize)
		build="build-asan"
		cmake_args+=(-DTICKETD_SANITIZE=ON) ;;
	--one-clock) one_clock=1 ;;
	--) shift; ctest_args=("$@"); break ;;
	-h|--help)
		sed -n '2,11s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "test.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
jobs=${JOBS:-2}

if [ "$build" = build-asan ]; then
	# Fail on the first report, with a stack. Leak checking needs ptrace,
	# which some containers forbid: set ASAN_OPTIONS=detect_leaks=0 there.
	export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi

echo "==> dependencies"
contrib/deps.sh

echo "==> configure and build in $build/"
cmake -S . -B "$build" "${cmake_args[@]}"
cmake --build "$build" -j"$jobs"

echo "==> tests"
# The tests find the binaries through TICKETD_BUILD (ctest sets it too).
export TICKETD_SRC=$PWD TICKETD_BUILD=$PWD/$build
ctest --test-dir "$build" --output-on-failure -j"$jobs" "${ctest_args[@]}"

# No test may depend on today's date: the whole suite again with the
# machine's clock 600 days ahead (libfaketime; the harness keeps Dovecot on
# the real clock, see t/lib-servers.sh).
if [ -z "$one_clock" ]; then
	echo "==> tests, the clock 600 days ahead (faketime -f +600d)"
	faketime -f +600d ctest --test-dir "$build" --output-on-failure -j"$jobs" "${ctest_args[@]}"
fi
