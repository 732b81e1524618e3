#!/usr/bin/env bash
# The holiday lists: conf/holidays/*.txt hold what contrib/holidays.py
# computes (US federal observance, Finnish Easter cycle, Japanese equinoxes
# and substitute days), through 2028; and the horizon: ticketd -n and the
# daemon at start warn when a list runs out within 90 days, and say so
# once it has run out.
. "$(dirname "$0")/test-lib.sh"

HOLIDAYS=$TICKETD_SRC/conf/holidays
gen () {
	"$PY" "$TICKETD_SRC/contrib/holidays.py" "$@"
}
# holidays_py: the Python on stdin, with contrib/holidays.py loaded as h
# (and datetime, sys imported).
holidays_py () {
	{
		cat <<-\EOF
		import datetime, importlib.util, sys
		spec = importlib.util.spec_from_file_location("h", sys.argv[1])
		h = importlib.util.module_from_spec(spec)
		spec.loader.exec_module(h)
		EOF
		cat
	} >check.py &&
	"$PY" check.py "$TICKETD_SRC/contrib/holidays.py"
}

test_expect_success 'each list holds exactly what contrib/holidays.py computes for its years' '
	for region in AMER EMEA APAC; do
		first=$(sed -n "s/^\([0-9]\{4\}\)-.*/\1/p" "$HOLIDAYS/$region.txt" | head -n 1) &&
		last=$(sed -n "s/^\([0-9]\{4\}\)-.*/\1/p" "$HOLIDAYS/$region.txt" | tail -n 1) &&
		sed -n "/^# $first/,\$p" "$HOLIDAYS/$region.txt" >have &&
		gen "$region" $(seq "$first" "$last") >want &&
		test_cmp want have || return 1
	done
'

test_expect_success 'the lists reach through 2028' '
	for region in AMER EMEA APAC; do
		test_grep "^2028-12-" "$HOLIDAYS/$region.txt" ||
		test_grep "^2028-11-" "$HOLIDAYS/$region.txt" || return 1
	done
'

test_expect_success 'the computus gives the known Easter Sundays' '
	holidays_py <<-\EOF
	known = {1818: (3, 22), 1943: (4, 25), 2000: (4, 23), 2019: (4, 21), 2024: (3, 31),
	         2025: (4, 20), 2026: (4, 5), 2027: (3, 28), 2028: (4, 16), 2038: (4, 25)}
	bad = [y for y, (m, d) in known.items() if h.easter(y) != datetime.date(y, m, d)]
	sys.exit("wrong Easter: %r" % bad if bad else 0)
	EOF
'

# The Japanese equinox days as announced (2024-2027) and as the National
# Astronomical Observatory of Japan computes them (2028-2030).
test_expect_success 'the equinoxes fall on the Japanese equinox days' '
	holidays_py <<-\EOF
	known = {2024: (20, 22), 2025: (20, 23), 2026: (20, 23), 2027: (21, 23),
	         2028: (20, 22), 2029: (20, 23), 2030: (20, 23)}
	bad = [y for y, (v, a) in known.items()
	       if (h.equinox_jst(y, True), h.equinox_jst(y, False)) !=
	          (datetime.date(y, 3, v), datetime.date(y, 9, a))]
	sys.exit("wrong equinox: %r" % bad if bad else 0)
	EOF
'

test_expect_success 'setup: a configuration with a region whose list ends with 2028' '
	cat >h.conf <<-EOF
	[general]
	database = $TEST_DIR/h.db
	templates = $TICKETD_SRC/conf/templates
	support_address = support@example.com
	default_region = APAC

	[region APAC]
	timezone = Asia/Tokyo
	hours = Mon-Fri 09:00-18:00
	holidays = $HOLIDAYS/APAC.txt
	EOF
'

test_expect_success 'ticketd -n: no word while the list reaches 90 days ahead' '
	TICKETD_NOW=2028-10-01T00:00:00Z "$TICKETD" -n -c h.conf >out 2>err &&
	test_grep "^configuration OK$" out &&
	test_line_count = 0 err
'

test_expect_success 'ticketd -n warns, at the holidays line, when the list ends within 90 days' '
	TICKETD_NOW=2028-10-15T00:00:00Z "$TICKETD" -n -c h.conf >out 2>err &&
	test_grep "^configuration OK$" out &&
	test_grep "^h.conf:10: warning: \[region APAC\] the holiday list .$HOLIDAYS/APAC.txt. ends with 2028, in 78 day(s): after it, holidays count as working days" err
'

test_expect_success 'ticketd -n says so once the list has ended' '
	TICKETD_NOW=2029-01-05T00:00:00Z "$TICKETD" -n -c h.conf >out 2>err &&
	test_grep "^configuration OK$" out &&
	test_grep "warning: \[region APAC\] the holiday list .$HOLIDAYS/APAC.txt. ended with 2028, 4 day(s) ago" err
'

test_expect_success 'the daemon warns at start, as ending and as ended' '
	TICKETD_NOW=2028-12-01T00:00:00Z "$TICKETD" -c h.conf --once 2>once1.log &&
	test_grep "warn sla region=APAC event=holidays_ending file=$HOLIDAYS/APAC.txt last_year=2028 days_left=31 " once1.log &&
	TICKETD_NOW=2029-01-05T00:00:00Z "$TICKETD" -c h.conf --once 2>once2.log &&
	test_grep "warn sla region=APAC event=holidays_ended file=$HOLIDAYS/APAC.txt last_year=2028 days_ago=4 " once2.log &&
	TICKETD_NOW=2028-09-01T00:00:00Z "$TICKETD" -c h.conf --once 2>once3.log &&
	test_grep ! "event=holidays_" once3.log
'

test_done
