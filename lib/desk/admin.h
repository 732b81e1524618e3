/*
 * admin: registering organisations, contacts and agents, with every check
 * the command line, the CSV import and auto-registration share: plans and
 * regions must be configured, languages one of the seven, addresses and
 * domains sane, names free of control characters, and an organisation
 * keeps within its plan's max_contacts (SPEC section 5).
 *
 * Functions that take caller_tx run inside the caller's transaction when
 * it is 1; otherwise they hold their own (the contact limit is checked and
 * the row written in one transaction, so two writers cannot both take the
 * last place).  Error texts go to *error_r (caller frees).
 */
#ifndef TICKETD_ADMIN_H
#define TICKETD_ADMIN_H

#include <stddef.h>

#include "xmalloc.h"

struct conf;
struct org;
struct store;

#define ADMIN_MAX_NAME 200      /* bytes in an organisation or person name */

enum admin_rc {
	ADMIN_OK = 0,
	ADMIN_REFUSED = 1,      /* conflicts with the store: exists, no such org, limit reached */
	ADMIN_INVALID = 2,      /* bad input: unknown plan or region, bad address, language … */
	ADMIN_ERROR = -1,       /* store error (store_error_is_temporary() says if worth retrying) */
};

/* Printable UTF-8 without control characters, 1..ADMIN_MAX_NAME bytes. */
int admin_name_valid(const char *name);
/* A host name: dot-separated labels of letters, digits and '-'. */
int admin_domain_valid(const char *domain);
/* A plain addr-spec (compose_address_valid) whose domain is admin_domain_valid. */
int admin_address_valid(const char *address);

/* o->name, plan, region, domains, auto_register; plan and region are canonicalised. */
enum admin_rc admin_org_add(const struct conf *conf, struct store *st, const struct org *o,
			    char **error_r);
/* Refused while the organisation still has contacts (they would go with it). */
enum admin_rc admin_org_remove(struct store *st, const char *name, char **error_r);

/* name and lang may be NULL. */
enum admin_rc admin_contact_add(const struct conf *conf, struct store *st, const char *email,
				const char *org, const char *name, const char *lang,
				int caller_tx, char **error_r);

/* region may be NULL; level 0-4. */
enum admin_rc admin_agent_add(const struct conf *conf, struct store *st, const char *email,
			      const char *name, int level, const char *region, char **error_r);

/*
 * Import contacts from CSV text (file names it in messages): a header line
 * naming the columns email, name, org, lang (any order; email and org
 * required), then one contact a line.  All or nothing, in one transaction:
 * every problem is appended to errors as "file:line: message\n" and then
 * nothing is imported.  *n_r gets the number imported.
 */
enum admin_rc admin_import_contacts(const struct conf *conf, struct store *st,
				    const char *file, const char *data, size_t len,
				    size_t *n_r, struct buf *errors);

#endif
