#!/usr/bin/env bash
# The layers of lib/ (lib/README.md): no #include climbs one.
# t/check-layers.sh reads them from lib/CMakeLists.txt; here it checks the
# real tree, then small trees that break each rule, so it can fail.
. "$(dirname "$0")/test-lib.sh"

CHECK=$TICKETD_SRC/t/check-layers.sh

# A tree of three layers: low, mid (links low), top (links mid).
make_tree () {
	rm -rf tree &&
	mkdir -p tree/low tree/mid tree/top &&
	cat >tree/CMakeLists.txt <<-\EOF &&
	# low: the bottom
	ticketd_layer(low m)
	ticketd_layer(mid ticketd_low
	  PkgConfig::X)
	ticketd_layer(top ticketd_mid)
	EOF
	printf '#include "low.h"\n' >tree/low/low.c &&
	: >tree/low/low.h &&
	printf '#include "mid.h"\n#include "low.h"\n' >tree/mid/mid.c &&
	: >tree/mid/mid.h &&
	printf '#include "top.h"\n#include "mid.h"\n#include <stdio.h>\n' >tree/top/top.c &&
	printf '#include "low.h"\n' >tree/top/top.h
}

# expect_problem TEXT…: the check fails on tree/ and says every TEXT.
expect_problem () {
	local text
	test_expect_code 1 bash "$CHECK" tree >out || return 1
	for text in "$@"; do
		test_grep "$text" out || return 1
	done
}

test_expect_success 'lib/ keeps its layers' '
	bash "$CHECK" "$TICKETD_SRC/lib" >out &&
	test_line_count = 0 out
'

test_expect_success 'a tree that keeps its layers passes (also through two links)' '
	make_tree &&
	bash "$CHECK" tree >out &&
	test_line_count = 0 out
'

test_expect_success 'an upward include fails, naming file, line and header' '
	make_tree &&
	printf "#include \"low.h\"\n#include \"top.h\"\n" >>tree/mid/mid.c &&
	expect_problem "mid/mid.c:4: includes \"top.h\" of layer top, which mid may not use"
'

test_expect_success 'an include from the bottom to the middle fails' '
	make_tree &&
	printf "#  include \"mid.h\"\n" >tree/low/low.h &&
	expect_problem "low/low.h:1: includes \"mid.h\" of layer mid"
'

test_expect_success 'a header no layer holds fails' '
	make_tree &&
	printf "#include \"nowhere.h\"\n" >>tree/top/top.c &&
	expect_problem "top/top.c:4: includes \"nowhere.h\", which no layer holds"
'

test_expect_success 'a folder without a layer, and a file outside every folder, fail' '
	make_tree &&
	mkdir tree/stray && : >tree/stray/x.c && : >tree/loose.c &&
	expect_problem "stray/: a folder that declares no layer" "loose.c: lies outside every layer"
'

test_expect_success 'a header held by two layers fails' '
	make_tree &&
	: >tree/mid/low.h &&
	printf "#include \"low.h\"\n" >>tree/top/top.c &&
	expect_problem "includes \"low.h\", held by several layers"
'

test_done
