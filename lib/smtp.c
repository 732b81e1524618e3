#include "smtp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "conf.h"
#include "xmalloc.h"

struct smtp {
	CURL *curl;
	const struct conf *conf;
	volatile sig_atomic_t *stop;
	char errbuf[CURL_ERROR_SIZE];
};

struct upload {
	const char *data;
	size_t len;
	size_t off;
};

static size_t
read_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct upload *u = userdata;
	size_t n = size * nmemb;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(ptr, u->data + u->off, n);
	u->off += n;
	return n;
}

static int
progress_cb(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
	    curl_off_t ulnow)
{
	struct smtp *s = userdata;

	return s->stop != NULL && *s->stop ? 1 : 0;
}

struct smtp *
smtp_new(const struct conf *conf, volatile sig_atomic_t *stop)
{
	struct smtp *s = xcalloc(1, sizeof(*s));

	s->conf = conf;
	s->stop = stop;
	s->curl = curl_easy_init();
	if (s->curl == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void
smtp_free(struct smtp **sp)
{
	struct smtp *s = *sp;

	if (s == NULL)
		return;
	curl_easy_cleanup(s->curl);
	free(s);
	*sp = NULL;
}

enum smtp_result
smtp_send(struct smtp *s, const char *mail_from, const char *rcpt, const char *raw, size_t len,
	  long *code_r, char *error, size_t errlen)
{
	const struct conf *conf = s->conf;
	struct curl_slist *rcpts = NULL;
	struct upload u = { raw, len, 0 };
	char *from = xasprintf("<%s>", mail_from), *to = xasprintf("<%s>", rcpt);
	CURL *c = s->curl;
	CURLcode rc;
	long code = 0;

	rcpts = curl_slist_append(rcpts, to);
	s->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, conf->smtp_url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)conf->smtp_timeout);
	/* The whole transaction, so a server that stops talking cannot hold us. */
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)conf->smtp_timeout + len / 65536);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, conf->smtp_tls_verify ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, conf->smtp_tls_verify ? 2L : 0L);
	if (conf->smtp_ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, conf->smtp_ca_file);
	if (conf->smtp_user != NULL) {
		curl_easy_setopt(c, CURLOPT_USERNAME, conf->smtp_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, conf->smtp_password != NULL ? conf->smtp_password : "");
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(rcpts);
	free(from);
	free(to);
	*code_r = code;
	if (rc == CURLE_OK) {
		error[0] = '\0';
		return SMTP_SENT;
	}
	snprintf(error, errlen, "%s", s->errbuf[0] != '\0' ? s->errbuf : curl_easy_strerror(rc));
	/* Reply codes decide (NOTES: rc alone does not tell 4xx from 5xx). */
	if (code >= 500 && code < 600)
		return SMTP_PERMFAIL;
	return SMTP_TEMPFAIL;
}
