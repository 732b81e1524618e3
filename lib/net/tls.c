#include "tls.h"

#include <stdlib.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "xmalloc.h"

#define TLS_MAX_CHAIN 16

int
tls_verify_chain(const struct tls_der *chain, size_t n, const char *host, const char *ca_file,
		 char **error_r)
{
	gnutls_x509_crt_t crts[TLS_MAX_CHAIN];
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_typed_vdata_st vdata[2];
	gnutls_datum_t d, out = { NULL, 0 };
	unsigned int status = 0, i, count = 0;
	int rc = -1, r;

	if (n == 0) {
		*error_r = xasprintf("the server at '%s' sent no certificate", host);
		return -1;
	}
	if (n > TLS_MAX_CHAIN)
		n = TLS_MAX_CHAIN;
	for (i = 0; i < n; i++) {
		if (gnutls_x509_crt_init(&crts[i]) < 0)
			goto out;
		count++;
		d.data = (unsigned char *)chain[i].data;
		d.size = (unsigned int)chain[i].len;
		if (gnutls_x509_crt_import(crts[i], &d, GNUTLS_X509_FMT_DER) < 0) {
			*error_r = xasprintf("the server at '%s' sent an unreadable certificate", host);
			goto out;
		}
	}
	if (gnutls_x509_trust_list_init(&tl, 0) < 0)
		goto out;
	r = ca_file != NULL ?
		gnutls_x509_trust_list_add_trust_file(tl, ca_file, NULL, GNUTLS_X509_FMT_PEM, 0, 0) :
		gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	if (r <= 0) {
		*error_r = xasprintf("no trusted certificates in '%s'",
				     ca_file != NULL ? ca_file : "the system trust store");
		goto out;
	}
	vdata[0].type = GNUTLS_DT_DNS_HOSTNAME;
	vdata[0].data = (unsigned char *)host;
	vdata[0].size = 0;
	vdata[1].type = GNUTLS_DT_KEY_PURPOSE_OID;
	vdata[1].data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER;
	vdata[1].size = 0;
	r = gnutls_x509_trust_list_verify_crt2(tl, crts, count, vdata, 2, 0, &status, NULL);
	if (r < 0) {
		*error_r = xasprintf("unable to verify the certificate of '%s': %s", host,
				     gnutls_strerror(r));
		goto out;
	}
	if (status != 0) {
		gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0);
		*error_r = xasprintf("the certificate of '%s' is not trusted: %s", host,
				     out.data != NULL ? (const char *)out.data : "unknown reason");
		gnutls_free(out.data);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0 && *error_r == NULL)
		*error_r = xasprintf("unable to verify the certificate of '%s'", host);
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	for (i = 0; i < count; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return rc;
}
