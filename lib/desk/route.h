/*
 * route: the text rules of routing (SPEC section 5) that need no store:
 * ticket numbers in subjects, severity/priority from the mail, and
 * commands at the top of a reply.
 */
#ifndef TICKETD_ROUTE_H
#define TICKETD_ROUTE_H

#include <stddef.h>

#define ROUTE_MAX_NUMBERS 8

/*
 * Fold full-width and look-alike forms to ASCII for matching:
 * 【ＳＵＰ－１２３】 → [SUP-123], every Unicode space (U+00A0, U+202F,
 * U+3000 …) to ' ', the full-width, small and vertical colons to ':',
 * ＃ and ♯ to '#'; zero-width spaces go.  ー is a dash except after kana,
 * where it is the long vowel mark (エスカレーション keeps it).  Caller frees.
 */
char *route_normalize(const char *s);

/*
 * The ticket numbers cited in subject as PREFIX-N (bracketed or bare, any
 * case, full-width forms folded), leftmost first.  Returns how many were
 * stored in numbers[] (at most max).
 */
size_t route_subject_numbers(const char *subject, const char *prefix,
			     long long *numbers, size_t max);

/* subject without leading reply/forward prefixes (Re:, AW:, 回复：, …). Caller frees. */
char *route_strip_prefixes(const char *subject);

/*
 * subject without its ticket tags ("[SUP-1]", "【ＳＵＰ－１】", tags of
 * prefix only) and then without leading reply prefixes: the subject of a
 * new ticket that a mail citing another one opens ("Re: [SUP-1] Reports
 * are empty" gives "Reports are empty").  Caller frees.
 */
char *route_strip_tickets(const char *subject, const char *prefix);

/*
 * Severity and priority asked for in the mail: subject tags [Sev1] [S1]
 * [P2] or a labelled line in the body in any of the seven languages
 * ("Severity: 1", "Schweregrad: 1", "深刻度：1", "优先级: 2" …).  0 when
 * not given.
 */
void route_fields(const char *subject, const char *body, int *severity_r, int *priority_r);

enum route_cmd_type {
	ROUTE_CMD_ESCALATE,
	ROUTE_CMD_CLOSE,
	ROUTE_CMD_REOPEN,
	ROUTE_CMD_SEVERITY,
	ROUTE_CMD_PRIORITY,
	ROUTE_CMD_INTERNAL,
};

struct route_cmd {
	enum route_cmd_type type;
	int value;            /* severity / priority */
};

#define ROUTE_MAX_CMDS 8

/*
 * Commands on the first lines of a reply ("#escalate", "#close",
 * "#severity 1", localised synonyms).  Recognised command lines are
 * removed from the text written to *rest_r (caller frees); unknown ones
 * stay.  A subject tag [Escalate] counts as #escalate.
 */
size_t route_commands(const char *subject, const char *text, struct route_cmd *cmds, size_t max,
		      char **rest_r);
const char *route_cmd_name(enum route_cmd_type type);

#endif
