/*
 * authres: what the site's own mail server found out about the sender,
 * read from its Authentication-Results header fields (RFC 8601).
 *
 * ticketd checks no signature and asks no DNS: it believes the
 * DMARC, SPF and DKIM results that a mail server it trusts wrote into
 * the message, and nothing else.  Which fields count:
 *
 *   - only those whose authserv-id is one of the trusted ids (the site's
 *     MTA); a field naming any other id is somebody's claim and is
 *     ignored, whatever it says;
 *   - only the topmost ones: fields are prepended on the way in, so the
 *     ones the site's MTA wrote sit above every header of the sender's.
 *     Reading top-down, the block of trusted fields ends at the first
 *     Received field below the first trusted one: whatever lies below
 *     it was already in the message when the MTA got it (a sender can
 *     write "Authentication-Results: mx.example.com; dmarc=pass" into
 *     its own mail; RFC 8601 section 5 asks the MTA to delete such
 *     claims, and this is the check for when it did not);
 *   - within the block, for each method the topmost field that reports
 *     it wins, but a "fail" lower in the block still counts.
 *
 * The verdict, against the From domain (as we read it):
 *   fail  DMARC fail; DMARC about another From domain (its header.from is
 *         not ours: the MTA and we read the From differently); or no
 *         DMARC verdict and SPF and DKIM both failed
 *         (SPF: fail, softfail, or a pass for some other domain; DKIM: no
 *         valid signature of the From domain, but some result);
 *   pass  DMARC pass, or an SPF or DKIM pass for the From domain (the same
 *         domain, or one a subdomain of the other: there is no public
 *         suffix list here);
 *   none  anything else: no trusted field, no result, only temporary
 *         errors, SPF or DKIM alone without a pass.
 */
#ifndef TICKETD_AUTHRES_H
#define TICKETD_AUTHRES_H

#include <stddef.h>

#include "mime.h"

#define AUTHRES_MAX_FIELDS 16     /* trusted fields read per message */
#define AUTHRES_MAX_RESULTS 32    /* results read per field */

enum authres_verdict {
	AUTHRES_OFF = 0,          /* no trusted authserv-id configured: nothing checked */
	AUTHRES_NONE,             /* nothing trusted says either way */
	AUTHRES_PASS,
	AUTHRES_FAIL,
};

struct authres {
	enum authres_verdict verdict;
	char why[96];             /* the results it rests on: "dmarc=fail", "spf=softfail dkim=none" */
	int fields;               /* trusted fields read */
	int ignored;              /* fields ignored: other ids, or below the boundary */
};

/*
 * Judge m's From by the Authentication-Results fields of the trusted ids
 * (n_trusted of them, compared without case).  n_trusted 0: AUTHRES_OFF.
 */
void authres_check(const struct mime_msg *m, const char *const *trusted, size_t n_trusted,
		   struct authres *r);

/* "off", "none", "pass", "fail". */
const char *authres_verdict_name(enum authres_verdict v);

#endif
