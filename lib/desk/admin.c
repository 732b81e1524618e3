#include "admin.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "compose.h"
#include "conf.h"
#include "csv.h"
#include "lang.h"
#include "store.h"
#include "utf8.h"
#include "xmalloc.h"

int
admin_name_valid(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	unsigned int cp;
	size_t len, i, n;

	if (name == NULL)
		return 0;
	len = strlen(name);
	if (len == 0 || len > ADMIN_MAX_NAME)
		return 0;
	for (i = 0; i < len; i += n) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return 0;
		n = utf8_decode(s + i, len - i, &cp, NULL);
		/* C1 controls (U+0080-U+009F) are controls too. */
		if (n == 0 || (cp >= 0x80 && cp <= 0x9f))
			return 0;
	}
	/* Not only blanks. */
	return strspn(name, " ") != len;
}

int
admin_domain_valid(const char *domain)
{
	const char *p = domain, *label;
	size_t len;

	if (domain == NULL || *domain == '\0' || strlen(domain) > 253)
		return 0;
	for (;;) {
		label = p;
		while (isalnum((unsigned char)*p) || *p == '-')
			p++;
		len = (size_t)(p - label);
		if (len == 0 || len > 63 || label[0] == '-' || p[-1] == '-')
			return 0;
		if (*p == '\0')
			return 1;
		if (*p != '.')
			return 0;
		p++;
	}
}

int
admin_address_valid(const char *address)
{
	const char *at;

	if (address == NULL || !compose_address_valid(address))
		return 0;
	at = strrchr(address, '@');
	return at[1] != '\0' && strchr(at + 1, '.') != NULL && admin_domain_valid(at + 1) &&
		address[0] != '.' && at[-1] != '.';
}

static enum admin_rc
db_error(struct store *st, char **error_r)
{
	*error_r = xstrdup(store_error(st));
	return ADMIN_ERROR;
}

/* Commit when res is ADMIN_OK, else roll back; the result to return. */
static enum admin_rc
tx_finish(struct store *st, enum admin_rc res, char **error_r)
{
	if (res != ADMIN_OK) {
		store_rollback(st);
		return res;
	}
	if (store_commit(st) < 0)
		return db_error(st, error_r);
	return ADMIN_OK;
}

/* ---- organisations ---- */

enum admin_rc
admin_org_add(const struct conf *conf, struct store *st, const struct org *o, char **error_r)
{
	const struct conf_plan *plan = conf_plan(conf, o->plan);
	const struct conf_region *region = conf_region(conf, o->region);
	struct org copy, existing;
	char **domains;
	size_t i, j;
	enum admin_rc res;
	int rc;

	if (!admin_name_valid(o->name)) {
		*error_r = xstrdup("an organisation name must be 1-200 bytes of text without "
				   "control characters");
		return ADMIN_INVALID;
	}
	if (plan == NULL) {
		*error_r = xasprintf("no plan '%s' in the configuration", o->plan != NULL ? o->plan : "");
		return ADMIN_INVALID;
	}
	if (region == NULL) {
		*error_r = xasprintf("no region '%s' in the configuration",
				     o->region != NULL ? o->region : "");
		return ADMIN_INVALID;
	}
	for (i = 0; i < o->n_domains; i++)
		if (!admin_domain_valid(o->domains[i]) || strchr(o->domains[i], '.') == NULL) {
			*error_r = xasprintf("'%s' is not a mail domain", o->domains[i]);
			return ADMIN_INVALID;
		}
	if (o->auto_register && o->n_domains == 0) {
		*error_r = xstrdup("--auto-register needs at least one --domain");
		return ADMIN_INVALID;
	}
	if (store_begin(st) < 0)
		return db_error(st, error_r);
	rc = store_org_get(st, o->name, &existing);
	if (rc == 1) {
		*error_r = xasprintf("organisation '%s' already exists", existing.name);
		org_release(&existing);
		res = ADMIN_REFUSED;
		goto out;
	}
	for (i = 0; rc == 0 && i < o->n_domains; i++) {
		rc = store_org_by_domain(st, o->domains[i], &existing);
		if (rc == 1) {
			*error_r = xasprintf("domain '%s' already belongs to organisation '%s'",
					     o->domains[i], existing.name);
			org_release(&existing);
			res = ADMIN_REFUSED;
			goto out;
		}
		for (j = 0; j < i; j++)
			if (strcasecmp(o->domains[i], o->domains[j]) == 0) {
				*error_r = xasprintf("domain '%s' is given twice", o->domains[i]);
				res = ADMIN_INVALID;
				goto out;
			}
	}
	if (rc < 0) {
		res = db_error(st, error_r);
		goto out;
	}
	copy = *o;
	copy.plan = plan->name;
	copy.region = region->name;
	domains = xcalloc(o->n_domains + 1, sizeof(*domains));
	for (i = 0; i < o->n_domains; i++) {
		domains[i] = xstrdup(o->domains[i]);
		for (j = 0; domains[i][j] != '\0'; j++)
			domains[i][j] = (char)tolower((unsigned char)domains[i][j]);
	}
	copy.domains = domains;
	copy.created_at = clock_now();
	rc = store_org_add(st, &copy, NULL);
	strv_free(&domains, o->n_domains);
	if (rc < 0) {
		res = db_error(st, error_r);
		goto out;
	}
	if (store_commit(st) < 0)
		return db_error(st, error_r);
	return ADMIN_OK;
out:
	store_rollback(st);
	return res;
}

enum admin_rc
admin_org_remove(struct store *st, const char *name, char **error_r)
{
	struct org o;
	long long n = 0;
	enum admin_rc res = ADMIN_OK;
	int rc;

	if (store_begin(st) < 0)
		return db_error(st, error_r);
	rc = store_org_get(st, name, &o);
	if (rc < 0) {
		res = db_error(st, error_r);
	} else if (rc == 0) {
		*error_r = xasprintf("no organisation '%s'", name);
		res = ADMIN_REFUSED;
	} else {
		if (store_org_count_contacts(st, o.id, &n) < 0) {
			res = db_error(st, error_r);
		} else if (n > 0) {
			*error_r = xasprintf("organisation '%s' still has %lld contact%s: remove %s first",
					     o.name, n, n == 1 ? "" : "s", n == 1 ? "it" : "them");
			res = ADMIN_REFUSED;
		} else if (store_org_remove(st, o.name) < 0) {
			res = db_error(st, error_r);
		}
		org_release(&o);
	}
	return tx_finish(st, res, error_r);
}

/* ---- contacts ---- */

/* Checks that need no store; ADMIN_OK or ADMIN_INVALID. */
static enum admin_rc
contact_check_input(const struct conf *conf, const char *email, const char *name,
		    const char *lang, char **error_r)
{
	if (!admin_address_valid(email)) {
		*error_r = xasprintf("'%s' is not a valid mail address", email != NULL ? email : "");
		return ADMIN_INVALID;
	}
	if (strcasecmp(email, conf->support_address) == 0) {
		*error_r = xasprintf("'%s' is the support address", email);
		return ADMIN_INVALID;
	}
	if (name != NULL && !admin_name_valid(name)) {
		*error_r = xstrdup("a name must be 1-200 bytes of text without control characters");
		return ADMIN_INVALID;
	}
	if (lang != NULL && !lang_supported(lang)) {
		*error_r = xasprintf("'%s' is not a language: use en, de, es, fr, fi, ja or zh", lang);
		return ADMIN_INVALID;
	}
	return ADMIN_OK;
}

/* The store checks and the insert, inside a transaction. */
static enum admin_rc
contact_insert(const struct conf *conf, struct store *st, const char *email,
	       const char *org_name, const char *name, const char *lang, char **error_r)
{
	const struct conf_plan *plan;
	struct contact c;
	struct agent a;
	struct org o;
	long long count;
	enum admin_rc res = ADMIN_OK;
	int rc;

	rc = store_contact_get(st, email, &c);
	if (rc == 1) {
		*error_r = xasprintf("contact '%s' already exists%s%s", c.email,
				     c.org_name != NULL ? " in " : "", c.org_name != NULL ? c.org_name : "");
		contact_release(&c);
		return ADMIN_REFUSED;
	}
	if (rc == 0)
		rc = store_agent_get(st, email, &a);
	if (rc == 1) {
		*error_r = xasprintf("'%s' is a registered agent", a.email);
		agent_release(&a);
		return ADMIN_REFUSED;
	}
	if (rc == 0)
		rc = store_org_get(st, org_name, &o);
	if (rc < 0)
		return db_error(st, error_r);
	if (rc == 0) {
		*error_r = xasprintf("no organisation '%s'", org_name);
		return ADMIN_REFUSED;
	}
	plan = conf_plan(conf, o.plan);
	if (plan == NULL) {
		*error_r = xasprintf("organisation '%s' has plan '%s', which is not in the "
				     "configuration", o.name, o.plan);
		res = ADMIN_REFUSED;
	} else if (store_org_count_contacts(st, o.id, &count) < 0) {
		res = db_error(st, error_r);
	} else if (plan->max_contacts > 0 && count >= plan->max_contacts) {
		*error_r = xasprintf("organisation '%s' already has %lld contacts, the most its "
				     "plan %s allows", o.name, count, plan->name);
		res = ADMIN_REFUSED;
	} else {
		memset(&c, 0, sizeof(c));
		c.email = (char *)email;
		c.name = (char *)name;
		c.org_id = o.id;
		c.language = (char *)lang;
		c.created_at = clock_now();
		if (store_contact_add(st, &c, NULL) < 0)
			res = db_error(st, error_r);
	}
	org_release(&o);
	return res;
}

enum admin_rc
admin_contact_add(const struct conf *conf, struct store *st, const char *email,
		  const char *org, const char *name, const char *lang, int caller_tx,
		  char **error_r)
{
	enum admin_rc res;

	res = contact_check_input(conf, email, name, lang, error_r);
	if (res != ADMIN_OK)
		return res;
	if (org == NULL) {
		*error_r = xstrdup("a contact needs an organisation");
		return ADMIN_INVALID;
	}
	if (!caller_tx && store_begin(st) < 0)
		return db_error(st, error_r);
	res = contact_insert(conf, st, email, org, name, lang, error_r);
	if (caller_tx)
		return res;
	return tx_finish(st, res, error_r);
}

/* ---- agents ---- */

enum admin_rc
admin_agent_add(const struct conf *conf, struct store *st, const char *email, const char *name,
		int level, const char *region, char **error_r)
{
	const struct conf_region *r = NULL;
	struct agent a;
	struct contact c;
	enum admin_rc res = ADMIN_OK;
	int rc, contact_rc;

	if (!admin_address_valid(email)) {
		*error_r = xasprintf("'%s' is not a valid mail address", email != NULL ? email : "");
		return ADMIN_INVALID;
	}
	if (strcasecmp(email, conf->support_address) == 0) {
		*error_r = xasprintf("'%s' is the support address", email);
		return ADMIN_INVALID;
	}
	if (!admin_name_valid(name)) {
		*error_r = xstrdup("an agent needs a name: 1-200 bytes of text without control "
				   "characters");
		return ADMIN_INVALID;
	}
	if (level < 0 || level > 4) {
		*error_r = xasprintf("level must be 0-4 (0 Analyst … 4 VP), not %d", level);
		return ADMIN_INVALID;
	}
	r = region != NULL ? conf_region(conf, region) : NULL;
	if (region != NULL && r == NULL) {
		*error_r = xasprintf("no region '%s' in the configuration", region);
		return ADMIN_INVALID;
	}
	if (store_begin(st) < 0)
		return db_error(st, error_r);
	rc = store_agent_get(st, email, &a);
	contact_rc = rc == 0 ? store_contact_get(st, email, &c) : 0;
	if (rc == 1) {
		*error_r = xasprintf("agent '%s' already exists", a.email);
		agent_release(&a);
		res = ADMIN_REFUSED;
	} else if (contact_rc == 1) {
		*error_r = xasprintf("'%s' is a registered contact", c.email);
		contact_release(&c);
		res = ADMIN_REFUSED;
	} else if (rc < 0 || contact_rc < 0) {
		res = db_error(st, error_r);
	} else {
		memset(&a, 0, sizeof(a));
		a.email = (char *)email;
		a.name = (char *)name;
		a.level = level;
		a.region = r != NULL ? r->name : NULL;
		a.created_at = clock_now();
		if (store_agent_add(st, &a, NULL) < 0)
			res = db_error(st, error_r);
	}
	return tx_finish(st, res, error_r);
}

/* ---- CSV import ---- */

enum import_col { COL_EMAIL, COL_NAME, COL_ORG, COL_LANG, N_COLS };

static const char *const col_names[N_COLS] = { "email", "name", "org", "lang" };

/* Blanks at both ends go (in place). */
static char *
trim(char *s)
{
	size_t len = strlen(s);

	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		s[--len] = '\0';
	return s + strspn(s, " \t");
}

/* The header: col[c] is the field index of column c, -1 when absent. */
static int
import_header(char **fields, size_t n, int col[N_COLS], const char **error_r)
{
	size_t i, c;

	for (c = 0; c < N_COLS; c++)
		col[c] = -1;
	for (i = 0; i < n; i++) {
		const char *name = trim(fields[i]);

		for (c = 0; c < N_COLS; c++)
			if (strcasecmp(name, col_names[c]) == 0)
				break;
		if (c == N_COLS) {
			*error_r = "unknown column in the header (expected email,name,org,lang)";
			return -1;
		}
		if (col[c] >= 0) {
			*error_r = "a column is named twice in the header";
			return -1;
		}
		col[c] = (int)i;
	}
	if (col[COL_EMAIL] < 0 || col[COL_ORG] < 0) {
		*error_r = "the header needs the columns email and org (email,name,org,lang)";
		return -1;
	}
	return 0;
}

/* The field of column c, NULL when the column is absent or the field empty. */
static const char *
field(char **fields, const int col[N_COLS], enum import_col c)
{
	const char *v;

	if (col[c] < 0)
		return NULL;
	v = trim(fields[col[c]]);
	return *v != '\0' ? v : NULL;
}

struct seen {
	char *email;
	size_t line;
};

enum admin_rc
admin_import_contacts(const struct conf *conf, struct store *st, const char *file,
		      const char *data, size_t len, size_t *n_r, struct buf *errors)
{
	struct csv csv;
	struct seen *seen = NULL;
	char **fields = NULL, *error = NULL;
	const char *why, *email;
	size_t n_fields = 0, line, n_seen = 0, i, problems = 0, added = 0;
	int col[N_COLS], rc, have_header = 0;
	enum admin_rc res = ADMIN_OK;

	*n_r = 0;
	if (store_begin(st) < 0) {
		buf_addf(errors, "%s: %s\n", file, store_error(st));
		return ADMIN_ERROR;
	}
	csv_init(&csv, data, len);
	for (;;) {
		rc = csv_next(&csv, &fields, &n_fields, &line, &why);
		if (rc == 0)
			break;
		if (rc < 0) {
			buf_addf(errors, "%s:%zu: %s\n", file, line, why);
			problems++;
			continue;
		}
		if (n_fields == 1 && *trim(fields[0]) == '\0') {
			/* an empty line */
		} else if (!have_header) {
			if (import_header(fields, n_fields, col, &why) < 0) {
				buf_addf(errors, "%s:%zu: %s\n", file, line, why);
				csv_fields_free(&fields, n_fields);
				problems++;
				break;
			}
			have_header = 1;
		} else {
			size_t want = 0;

			for (i = 0; i < N_COLS; i++)
				if (col[i] >= 0)
					want++;
			email = field(fields, col, COL_EMAIL);
			if (n_fields != want) {
				buf_addf(errors, "%s:%zu: expected %zu fields, found %zu\n", file, line,
					 want, n_fields);
				problems++;
			} else if (email == NULL) {
				buf_addf(errors, "%s:%zu: no email address\n", file, line);
				problems++;
			} else {
				for (i = 0; i < n_seen; i++)
					if (strcasecmp(seen[i].email, email) == 0)
						break;
				if (i < n_seen) {
					buf_addf(errors, "%s:%zu: '%s' is already on line %zu\n", file,
						 line, email, seen[i].line);
					problems++;
				} else {
					seen = xrealloc(seen, (n_seen + 1) * sizeof(*seen));
					seen[n_seen].email = xstrdup(email);
					seen[n_seen++].line = line;
					res = admin_contact_add(conf, st, email,
								field(fields, col, COL_ORG),
								field(fields, col, COL_NAME),
								field(fields, col, COL_LANG), 1, &error);
					if (res == ADMIN_OK) {
						added++;
					} else {
						buf_addf(errors, "%s:%zu: %s\n", file, line, error);
						free(error);
						error = NULL;
						problems++;
					}
				}
			}
		}
		csv_fields_free(&fields, n_fields);
		if (res == ADMIN_ERROR)
			break;
	}
	if (!have_header && problems == 0) {
		buf_addf(errors, "%s:1: empty file: expected the header email,name,org,lang\n", file);
		problems++;
	}
	for (i = 0; i < n_seen; i++)
		free(seen[i].email);
	free(seen);
	if (res == ADMIN_ERROR || problems > 0) {
		store_rollback(st);
		return res == ADMIN_ERROR ? ADMIN_ERROR : ADMIN_REFUSED;
	}
	if (store_commit(st) < 0) {
		buf_addf(errors, "%s: %s\n", file, store_error(st));
		return ADMIN_ERROR;
	}
	*n_r = added;
	return ADMIN_OK;
}
