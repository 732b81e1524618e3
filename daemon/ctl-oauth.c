/*
 * ctl-oauth.c: oauth login NAME, the first OAuth2 consent of a mailbox
 * (or of [smtp]): a person signs in once, the refresh token is stored and
 * ticketd uses it from then on.
 *
 * Two flows, as the provider allows:
 *   - device authorization (RFC 8628, Microsoft): print the URL and the
 *     code, poll the token endpoint until the person has approved;
 *   - authorization code with PKCE and a loopback redirect (RFC 8252,
 *     Google, whose device flow grants no mail scope): print the URL,
 *     take the redirect on 127.0.0.1, or the address the browser ended on
 *     pasted on standard input when the browser runs on another machine.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "clock.h"
#include "conf.h"
#include "ctl.h"
#include "oauth.h"
#include "xmalloc.h"

#define LOGIN_WAIT_MAX 900          /* seconds a browser login may take */
#define LOGIN_MAX_REQUEST 8192      /* bytes of the redirect request we read */

/* The OAuth2 settings of mailbox NAME, or of [smtp] for "smtp"; user in *user_r. */
static const struct conf_oauth *
find_oauth(const struct conf *conf, const char *name, const char **user_r)
{
	const struct conf_mailbox *mb = conf_mailbox(conf, name);

	if (mb != NULL) {
		*user_r = mb->user;
		return CONF_AUTH_IS_OAUTH(mb->auth) ? mb->oauth : NULL;
	}
	if (strcmp(name, "smtp") == 0) {
		*user_r = conf->smtp_user;
		return CONF_AUTH_IS_OAUTH(conf->smtp_auth) ? conf->smtp_oauth : NULL;
	}
	*user_r = NULL;
	return NULL;
}

static int
device_login(const struct conf_oauth *o, const char *user)
{
	struct oauth_device d;
	char *error = NULL;
	long long deadline;
	int rc;

	if (oauth_device_start(o, &d, &error) < 0) {
		rc = ctl_fail("%s", error);
		free(error);
		return rc;
	}
	printf("To sign in%s%s, open %s in a browser and enter the code %s\n",
	       user != NULL ? " as " : "", user != NULL ? user : "", d.verification_uri, d.user_code);
	if (d.verification_uri_complete != NULL)
		printf("(or open %s)\n", d.verification_uri_complete);
	printf("Waiting for the sign-in (%d minutes at most) ...\n", d.expires_in / 60);
	fflush(stdout);
	deadline = clock_mono_ms() + (long long)d.expires_in * 1000;
	for (;;) {
		poll(NULL, 0, d.interval * 1000);
		rc = oauth_device_poll(o, &d, &error);
		if (rc != 1 || clock_mono_ms() >= deadline)
			break;
	}
	oauth_device_release(&d);
	if (rc == 1)
		return ctl_fail("the code expired before the sign-in was completed");
	if (rc < 0) {
		rc = ctl_fail("%s", error);
		free(error);
		return rc;
	}
	return 0;
}

/* The value of key in a query string or URL ("...?code=X&state=Y"); caller frees. */
static char *
query_value(const char *s, const char *key)
{
	size_t klen = strlen(key), n;
	const char *p = strchr(s, '?');
	char *raw, *v;
	int len = 0;

	p = p != NULL ? p + 1 : s;
	while (*p != '\0') {
		n = strcspn(p, "&# \r\n");
		if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			raw = xstrndup(p + klen + 1, n - klen - 1);
			v = curl_easy_unescape(NULL, raw, 0, &len);
			free(raw);
			raw = v != NULL ? xstrndup(v, (size_t)len) : NULL;
			curl_free(v);
			return raw;
		}
		p += n;
		if (*p != '&')
			break;
		p++;
	}
	return NULL;
}

/* Answer the browser's redirect and return its request line (caller frees), or NULL. */
static char *
take_redirect(int lfd)
{
	char req[LOGIN_MAX_REQUEST + 1];
	static const char page[] =
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
		"ticketd: the sign-in reached ticketctl; you may close this page.\r\n";
	struct pollfd pfd;
	size_t got = 0;
	ssize_t r;
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (got < LOGIN_MAX_REQUEST && memchr(req, '\n', got) == NULL && poll(&pfd, 1, 5000) > 0) {
		r = read(fd, req + got, LOGIN_MAX_REQUEST - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	req[got] = '\0';
	if (write(fd, page, sizeof(page) - 1) < 0) {
		/* the browser went away; the code is what matters */
	}
	close(fd);
	if (strncmp(req, "GET ", 4) != 0)
		return NULL;
	req[strcspn(req, "\r\n")] = '\0';
	return xstrdup(req + 4);
}

static int
browser_login(const struct conf_oauth *o, const char *user, int port)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	struct pollfd pfd[2];
	char *verifier, *state, *url, *redirect, *got = NULL, *code, *st, *err, *error = NULL;
	char line[LOGIN_MAX_REQUEST];
	long long deadline;
	int lfd, rc, use_stdin = 1;

	if (o->auth_url == NULL)
		return ctl_fail("no authorization endpoint (oauth_auth_url) and no device endpoint "
				"(oauth_device_url) for this login");
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen) < 0) {
		rc = ctl_fail("unable to listen on 127.0.0.1:%d for the redirect: %s", port,
			      strerror(errno));
		if (lfd >= 0)
			close(lfd);
		return rc;
	}
	redirect = xasprintf("http://127.0.0.1:%u/", ntohs(sa.sin_port));
	oauth_pkce_new(&verifier, &state);
	url = oauth_authorize_url(o, redirect, verifier, state, user);
	printf("To sign in%s%s, open this address in a browser:\n\n  %s\n\n"
	       "Waiting for the browser to come back to %s ...\n"
	       "(A browser on another machine cannot reach it: paste here the address it ends on.)\n",
	       user != NULL ? " as " : "", user != NULL ? user : "", url, redirect);
	fflush(stdout);
	deadline = clock_mono_ms() + LOGIN_WAIT_MAX * 1000LL;
	while (got == NULL && clock_mono_ms() < deadline) {
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = STDIN_FILENO;
		pfd[1].events = POLLIN;
		if (poll(pfd, use_stdin ? 2 : 1, 1000) <= 0)
			continue;
		if (pfd[0].revents & POLLIN)
			got = take_redirect(lfd);
		else if (use_stdin && (pfd[1].revents & (POLLIN | POLLHUP))) {
			if (fgets(line, sizeof(line), stdin) == NULL)
				use_stdin = 0;    /* no terminal (or /dev/null): the listener only */
			else if (strcspn(line, " \r\n") > 0)
				got = xstrdup(line);
		}
	}
	close(lfd);
	rc = 1;
	if (got == NULL) {
		ctl_fail("no sign-in came back within %d minutes", LOGIN_WAIT_MAX / 60);
		goto out;
	}
	err = query_value(got, "error");
	code = query_value(got, "code");
	st = query_value(got, "state");
	if (err != NULL)
		ctl_fail("the sign-in was refused: %s", err);
	else if (code == NULL && strchr(got, '=') == NULL)
		code = xstrndup(got, strcspn(got, " \r\n"));   /* the bare code, pasted */
	if (err == NULL && code == NULL)
		ctl_fail("the address has no code in it");
	else if (err == NULL && st != NULL && strcmp(st, state) != 0)
		ctl_fail("the address belongs to another sign-in (state differs)");
	else if (err == NULL && strchr(got, '=') != NULL && st == NULL)
		ctl_fail("the address has no state: paste the whole address the browser ended on");
	else if (err == NULL && oauth_code_exchange(o, code, redirect, verifier, &error) < 0)
		ctl_fail("%s", error);
	else if (err == NULL)
		rc = 0;
	free(err);
	free(code);
	free(st);
out:
	free(got);
	free(error);
	free(url);
	free(redirect);
	free(verifier);
	free(state);
	return rc;
}

int
cmd_oauth(struct ctl *c, int argc, char **argv)
{
	const struct conf_oauth *o;
	const char *name = NULL, *user = NULL;
	char *end;
	long port = 0;
	int i, browser = 0, rc;

	if (argc < 2 || strcmp(argv[1], "login") != 0)
		return ctl_die_usage("oauth: the command is 'oauth login NAME [--browser] [--port N]'");
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--browser") == 0) {
			browser = 1;
		} else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			errno = 0;
			port = strtol(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || port < 0 || port > 65535)
				return ctl_die_usage("oauth login: --port takes a port number");
		} else if (argv[i][0] != '-' && name == NULL) {
			name = argv[i];
		} else {
			return ctl_die_usage("oauth login: unexpected '%s'", argv[i]);
		}
	}
	if (name == NULL)
		return ctl_die_usage("oauth login needs a mailbox NAME (or smtp)");
	if (ctl_load_config(c) < 0)
		return 1;
	o = find_oauth(c->conf, name, &user);
	if (o == NULL)
		return ctl_fail("'%s' is no mailbox (or smtp) that logs in with OAuth2", name);
	rc = !browser && o->device_url != NULL ? device_login(o, user) :
		browser_login(o, user, (int)port);
	if (rc == 0)
		printf("Signed in: the refresh token is in '%s'. ticketd uses it at its next "
		       "connection (send it SIGHUP to connect now).\n", o->refresh_token_file);
	return rc;
}
