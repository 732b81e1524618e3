/*
 * tmpl: the mail templates in conf/templates/<lang>/<name>.txt, and the
 * localised names of severities, priorities, levels and statuses.
 *
 * A template file holds header lines ("Subject: ..." is the only one so
 * far; other names are reserved and rejected), one blank line, then the
 * body:
 *
 *   {{var}}              the value of var, inserted as-is
 *   {{#var}}...{{/var}}  shown when var is set and non-empty
 *   {{^var}}...{{/var}}  shown when var is unset or empty
 *
 * Sections may span lines and nest; a line holding only a section tag
 * (and blanks) leaves nothing behind, not even its newline.  Every
 * variable name must be one of tmpl_known_vars().  In the subject, any
 * CR, LF or other control character in a value becomes a space.
 * Files are UTF-8, LF or CRLF line ends; the rendered body uses LF.
 */
#ifndef TICKETD_TMPL_H
#define TICKETD_TMPL_H

#include <stddef.h>

#include "xmalloc.h"

/* Limits for template files (they are configuration, but still input). */
#define TMPL_MAX_SIZE (64 * 1024)	/* bytes per file */
#define TMPL_MAX_DEPTH 16		/* nested sections */
#define TMPL_MAX_NAME 64		/* variable and template name length */

struct tmpl_var {
	const char *name;
	const char *value;	/* NULL = unset */
};

/* The fixed list of variable names templates may use (static storage). */
const char *const *tmpl_known_vars(size_t *n_r);
/* The template names ticketd sends: "autoresponse", "comment", ... */
const char *const *tmpl_names(size_t *n_r);
/* The seven language codes: "en", "de", "es", "fr", "fi", "ja", "zh". */
const char *const *tmpl_langs(size_t *n_r);

/*
 * Render dir/lang/name.txt, or dir/en/name.txt when lang has no such file
 * (an invalid or NULL lang means en).  On success returns 0 and sets
 * *subject_r (one line, no CR/LF) and *body_r, both owned by the caller.
 * On failure returns -1 and sets *error_r (caller frees), e.g.
 * "/etc/ticketd/templates/ja/comment.txt:3: unclosed section 'phone'".
 * A variable in the template that is not in tmpl_known_vars(), or a name
 * in vars that is not, is an error.  Known variables missing from vars are
 * unset.  When a name appears twice in vars the first one counts.
 */
int tmpl_render(const char *dir, const char *lang, const char *name,
		const struct tmpl_var *vars, size_t n_vars,
		char **subject_r, char **body_r, char **error_r);

/*
 * The same from a cache of parsed files: each file is read and parsed
 * the first time it is asked for (a missing or broken one too: its error
 * is kept), never again while the cache lives.  The daemon makes one per
 * configuration (start, HUP), so a template edited on disk counts from
 * the next reload.  Thread-safe.  tmpl_render() is this with no cache.
 */
struct tmpl_cache;

struct tmpl_cache *tmpl_cache_new(void);
void tmpl_cache_free(struct tmpl_cache **c);
int tmpl_render_cached(struct tmpl_cache *c, const char *dir, const char *lang, const char *name,
		       const struct tmpl_var *vars, size_t n_vars,
		       char **subject_r, char **body_r, char **error_r);

/*
 * Check templates for `ticketd -n`: for every name, dir/en/name.txt must
 * exist; for every lang x name, the file, when present, must parse with
 * only known_vars (missing ones fall back to en).  Each problem is
 * appended to errors as one "file:line: message\n" line.  Returns the
 * number of problems (0 = all good).
 */
int tmpl_check(const char *dir, const char *const *langs, size_t n_langs,
	       const char *const *names, size_t n_names,
	       const char *const *known_vars, size_t n_known,
	       struct buf *errors);

/*
 * Localised display names, static strings.  kind "severity" and
 * "priority": 1 Critical, 2 High, 3 Medium, 4 Low; kind "level": 0
 * Analyst, 1 Engineer, 2 Senior Engineer, 3 Team Lead / Manager, 4 VP.
 * An unknown or NULL lang gives English ("zh-Hans" is read as "zh");
 * an unknown kind or value gives NULL.
 */
const char *tmpl_label(const char *lang, const char *kind, int value);
/* Status "new", "open", "pending", "resolved", "closed"; NULL if unknown. */
const char *tmpl_status_label(const char *lang, const char *status);

#endif
