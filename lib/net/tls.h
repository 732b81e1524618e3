/*
 * tls: verify a server's certificate chain for connections whose TLS we
 * do not run ourselves (libetpan's IMAPS does not verify anything).
 */
#ifndef TICKETD_TLS_H
#define TICKETD_TLS_H

#include <stddef.h>

struct tls_der {
	const unsigned char *data;
	size_t len;
};

/*
 * Verify chain (leaf first, DER) for host against the system trust store,
 * or against ca_file when it is set.  0 when trusted; -1 with *error_r
 * (caller frees), e.g. "certificate for '127.0.0.1' is not trusted:
 * signer not found".
 */
int tls_verify_chain(const struct tls_der *chain, size_t n, const char *host,
		     const char *ca_file, char **error_r);

#endif
