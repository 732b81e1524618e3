#!/usr/bin/env bash
# The man pages in contrib/man stay true to the programs: every option of
# ticketd --help, every command and option of ticketctl --help, every key
# of conf/ticketd.conf and every key the configuration parser accepts is
# in them, and they name nothing the programs do not have.
. "$(dirname "$0")/test-lib.sh"

MAN=$TICKETD_SRC/contrib/man
lists () {
	"$PY" "$TICKETD_SRC/t/man-lists.py" "$@"
}

test_expect_success 'the pages are valid roff (groff -ww, no warnings)' '
	for page in ticketd.8 ticketctl.8 ticketd.conf.5; do
		groff -man -ww -z -Tutf8 "$MAN/$page.in" 2>warn &&
		test_line_count = 0 warn || return 1
	done
'

test_expect_success 'ticketd(8) OPTIONS are the options of ticketd --help' '
	"$TICKETD" --help >help &&
	lists help-options help >expect &&
	lists man-options "$MAN/ticketd.8.in" OPTIONS >actual &&
	test_cmp expect actual &&
	test_grep "^--once$" actual
'

test_expect_success 'ticketctl(8) COMMANDS are the commands of ticketctl --help' '
	"$TICKETCTL" --help >help &&
	lists help-commands help >expect &&
	lists man-commands "$MAN/ticketctl.8.in" >actual &&
	test_cmp expect actual &&
	test_line_count -ge 19 actual
'

test_expect_success 'ticketctl(8) has the long options of ticketctl --help, and no others' '
	lists help-options help | grep "^--" >expect &&
	lists man-options-all "$MAN/ticketctl.8.in" >actual &&
	test_cmp expect actual
'

test_expect_success 'ticketctl(8) OPTIONS are the global options of ticketctl --help' '
	sed -n "/^Options:/,/^$/p" help >global &&
	lists help-options global >expect &&
	lists man-options "$MAN/ticketctl.8.in" OPTIONS >actual &&
	test_cmp expect actual
'

test_expect_success 'every key of conf/ticketd.conf is in ticketd.conf(5)' '
	lists example-keys "$TICKETD_SRC/conf/ticketd.conf" >example &&
	lists man-keys "$MAN/ticketd.conf.5.in" >man &&
	comm -23 example man >missing &&
	test_line_count = 0 missing &&
	test_line_count -ge 50 example
'

# The keys the parser accepts: the names key_SECTION() in lib/conf.c
# compares with, and for names it matches by prefix (password_*,
# escalationN, target_sevN) every suffix the parser takes, found by
# asking it: one config per section with every candidate, and the
# "unknown key" errors of ticketd -n say which it refused.
conf_c () {
	local f
	for f in "$TICKETD_SRC/lib/conf.c" "$TICKETD_SRC"/lib/*/conf.c; do
		[ -f "$f" ] && echo "$f"
	done | head -n 1
}

test_expect_success 'every key the parser accepts is in ticketd.conf(5), and only those' '
	lists parser-stems "$(conf_c)" >stems &&
	test_line_count -ge 40 stems &&
	while read -r section stem; do
		for suffix in "" _file _env 0 1 2 3 4 5; do
			echo "$section $stem$suffix"
		done
	done <stems | sort -u >candidates &&
	cut -d" " -f2 man | sed -e "s/^/general /; p; s/^general /smtp /; p; s/^smtp /mailbox /; p; s/^mailbox /region /; p; s/^region /plan /" |
		sort -u >>candidates &&
	sort -u -o candidates candidates &&
	for section in general smtp mailbox region plan; do
		case $section in
		general|smtp) header="[$section]" ;;
		*) header="[$section X]" ;;
		esac
		{
			echo "$header"
			grep "^$section " candidates | sed -e "s/^$section \(.*\)/\1 = 1/"
		} >probe.conf &&
		test_must_fail "$TICKETD" -n -c probe.conf 2>errors &&
		grep "^$section " candidates | cut -d" " -f2 | while read -r key; do
			grep -q "unknown key .$key.\( \|$\)" errors || echo "$section $key"
		done || return 1
	done | sort >accepted &&
	test_cmp accepted man
'

test_done
