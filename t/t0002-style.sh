#!/usr/bin/env bash
# House rules no compiler checks (t/check-style.py): no assignment inside a
# condition, no banned call.  Checks lib/ and daemon/, then small files
# that break each rule, so the check can fail.
. "$(dirname "$0")/test-lib.sh"

CHECK="$PY $TICKETD_SRC/t/check-style.py"

test_expect_success 'lib/ and daemon/ keep the rules' '
	$CHECK "$TICKETD_SRC"/lib/*/*.[ch] "$TICKETD_SRC"/daemon/*.[ch] >out &&
	test_line_count = 0 out
'

test_expect_success 'comparisons, strings, comments and plain statements pass' '
	cat >ok.c <<-\EOF &&
	int f(int a, int b, const char *s)
	{
		int i;

		/* if (a = b) in a comment */
		if (a == b || a <= b || a >= b || a != b || s[0] == '\''='\'')
			return 1;
		while (a < b && strcmp(s, "x = y") != 0)
			a++;
		for (i = 0; i < b; i++)
			a += i;
		return a;
	}
	EOF
	$CHECK ok.c >out &&
	test_line_count = 0 out
'

test_expect_success 'an assignment in if, while or a for test fails, by file and line' '
	cat >bad.c <<-\EOF &&
	int f(int a, int b)
	{
		if ((a = b) != 0)
			return 1;
		while ((a = g()) > 0)
			b++;
		for (; (b = g()) != 0;)
			a++;
		if (a++ > 3 || --b == 0)
			return 2;
		return 0;
	}
	EOF
	test_expect_code 1 $CHECK bad.c >out &&
	test_grep "^bad.c:3: assignment inside a condition" out &&
	test_grep "^bad.c:5: assignment inside a condition" out &&
	test_grep "^bad.c:7: assignment inside a condition" out &&
	test_grep "^bad.c:9: assignment inside a condition" out &&
	test_line_count = 4 out
'

test_expect_success 'a banned call fails' '
	printf "void f(char *d) { sprintf(d, \"x\"); strcpy(d, \"y\"); }\n" >banned.c &&
	test_expect_code 1 $CHECK banned.c >out &&
	test_grep "banned.c:1: sprintf is banned" out &&
	test_grep "banned.c:1: strcpy is banned" out &&
	printf "void f(char *d) { snprintf(d, 2, \"x\"); }\n" >fine.c &&
	$CHECK fine.c >out &&
	test_line_count = 0 out
'

test_done
