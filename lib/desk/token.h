/*
 * token: reply tokens, one per recipient of our mail.
 *
 * A token says which ticket a reply belongs to and proves that we wrote
 * it, for whom, and when:
 *
 *   r<number>-<version>-<day><mac>      e.g. r42-1-aujprivhsqzyyjevezfn
 *
 *   number   the ticket, decimal
 *   version  the key that made it, decimal (keys rotate; old ones stay to verify)
 *   day      the issue day, days since 1970-01-01 UTC, 4 base32 letters
 *   mac      the first 80 bits of HMAC-SHA256(key[version],
 *            "ticketd-reply-token 1\n<number>\n<version>\n<day>\n<recipient>")
 *            in 16 base32 letters; the recipient address in lowercase
 *
 * (base32: RFC 4648's a-z2-7, read in either case, since some mail
 * servers fold local parts.)  23 characters plus the digits: 26 for
 * ticket 42 under key 1, at most 39, so "support+TOKEN" fits the 64
 * octets of a local part (conf checks the support address) and the
 * Message-ID <uuid.TOKEN@domain> stays on one line.
 *
 * It rides in our Message-IDs and in the Reply-To plus-address.  The
 * recipient is not written in the token: a reply is checked against its
 * From first, and else against the addresses the ticket's mail went to.
 * A token routes a reply to its ticket; what the sender may do there is
 * the sender check's to say (decide.c).
 *
 * The old format "t<number>-<20 hex>" (HMAC over the number alone, key
 * version 1, no recipient, no date) is still read for one release.
 *
 * Keys: 32 random bytes per version.  Kept in the store (meta
 * reply_token_key for version 1, reply_token_key.N after it) or, with
 * hmac_key_file, one per line in a 0600 file ("N HEX"; a bare HEX line
 * is version 1).  The newest version makes tokens; every version
 * verifies.
 */
#ifndef TICKETD_TOKEN_H
#define TICKETD_TOKEN_H

#include <stddef.h>
#include <time.h>

struct store;

#define TOKEN_KEY_LEN 32
#define TOKEN_MAC_CHARS 16        /* base32 letters of MAC: 80 bits */
#define TOKEN_DAY_CHARS 4         /* base32 letters of the issue day */
#define TOKEN_MAX_VERSION 999
#define TOKEN_MAX_NUMBER 9999999999999LL   /* 13 digits */
#define TOKEN_MAX_LEN 39          /* r + 13 digits + - + 3 digits + - + 4 + 16 */
#define TOKEN_MAX (TOKEN_MAX_LEN + 1)
#define TOKEN_OLD_MAC_HEX 20      /* the old format's MAC */

struct token_key_version {
	unsigned int version;
	unsigned char key[TOKEN_KEY_LEN];
};

/* Every key version, oldest first; the last one makes tokens. */
struct token_key {
	struct token_key_version *v;
	size_t n;
};

/*
 * Load every key version, or make and keep version 1 when there is none.
 * -1 with *error_r (caller frees).
 */
int token_key_load(struct token_key *k, struct store *st, const char *key_file, char **error_r);
/* Wipe and free the keys. */
void token_key_wipe(struct token_key *k);
/* The version that makes tokens now. */
unsigned int token_key_current(const struct token_key *k);
/*
 * Make a new key version and keep it beside the others (store or file);
 * processes already running make tokens with it after their next load
 * (SIGHUP), and verify it as soon as a token names it.  -1 with *error_r.
 */
int token_key_rotate(struct store *st, const char *key_file, unsigned int *version_r,
		     char **error_r);

/* The token for ticket number, made for rcpt at now, into out (TOKEN_MAX bytes). */
void token_make(const struct token_key *k, long long number, const char *rcpt, time_t now,
		char *out, size_t outlen);

enum token_format {
	TOKEN_FORMAT_NEW = 1,     /* r…: per recipient, versioned, dated */
	TOKEN_FORMAT_OLD,         /* t…: the number alone (read for one release) */
};

/* A token as written (nothing verified yet). */
struct token {
	enum token_format format;
	long long number;
	unsigned int version;     /* old format: 1 */
	long long day;            /* issue day, days since 1970; old format: 0 */
	char mac[TOKEN_MAC_CHARS + 5];  /* lowercase (old format: 20 hex digits) */
};

/*
 * The tokens written in text (an address, a Message-ID), at most max,
 * leftmost first: syntax only.  A token starts the text or follows '+',
 * '.', '<' or a blank, and ends at a byte that cannot continue it.
 */
size_t token_scan(const char *text, struct token *out, size_t max);

enum token_check {
	TOKEN_GENUINE = 1,        /* we made it (new format: for rcpt) */
	TOKEN_WRONG = 0,          /* forged, altered, or made for someone else */
	TOKEN_KEY_UNKNOWN = -1,   /* no key of its version here (reload the keys) */
};

/* Is t ours?  rcpt: the address it should have been made for (ignored by the old format). */
enum token_check token_verify(const struct token_key *k, const struct token *t, const char *rcpt);

/* 1 when t is older than lifetime seconds at now (the old format has no date: never). */
int token_expired(const struct token *t, time_t now, long lifetime);

#endif
