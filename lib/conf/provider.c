#include "provider.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/*
 * Microsoft identity platform v2.0 (tenant: the directory id or domain;
 * "organizations" takes any work or school account) and Google.  Google's
 * device flow refuses mail scopes, so it has none here: ticketctl uses the
 * browser (loopback) flow for it.
 */
static const struct preset {
	const char *name;
	const char *token_url, *device_url, *auth_url;   /* %s: the tenant */
	const char *scope_imap, *scope_smtp;
} presets[] = {
	{ "microsoft",
	  "https://login.microsoftonline.com/%s/oauth2/v2.0/token",
	  "https://login.microsoftonline.com/%s/oauth2/v2.0/devicecode",
	  "https://login.microsoftonline.com/%s/oauth2/v2.0/authorize",
	  "https://outlook.office.com/IMAP.AccessAsUser.All offline_access",
	  "https://outlook.office.com/SMTP.Send offline_access" },
	{ "google",
	  "https://oauth2.googleapis.com/token",
	  NULL,
	  "https://accounts.google.com/o/oauth2/v2/auth",
	  "https://mail.google.com/",
	  "https://mail.google.com/" },
};

static const struct preset *
preset_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof(presets) / sizeof(presets[0]); i++)
		if (strcmp(presets[i].name, name) == 0)
			return &presets[i];
	return NULL;
}

int
provider_known(const char *provider)
{
	return preset_find(provider) != NULL;
}

/* The preset's URL with "%s" replaced by the tenant, unless the file gave one. */
static void
preset_url(char **dst, const char *tmpl, const char *tenant)
{
	const char *at;

	if (*dst != NULL || tmpl == NULL)
		return;
	at = strstr(tmpl, "%s");
	*dst = at != NULL ? xasprintf("%.*s%s%s", (int)(at - tmpl), tmpl, tenant, at + 2) :
		xstrdup(tmpl);
}

/* https://, or http:// to a loopback host (a test endpoint). */
static int
url_ok(const char *url)
{
	const char *h;

	if (url == NULL || strncmp(url, "https://", 8) == 0)
		return 1;
	if (strncmp(url, "http://", 7) != 0)
		return 0;
	h = url + 7;
	return strncmp(h, "127.", 4) == 0 || strncmp(h, "localhost", 9) == 0 ||
		strncmp(h, "[::1]", 5) == 0;
}

int
provider_complete(struct conf_oauth *c, enum provider_use use, const char **error_r)
{
	const struct preset *pr = preset_find(c->provider);
	const char *tenant = c->tenant != NULL ? c->tenant : "organizations";

	if (pr != NULL) {
		/* "%s" in a preset URL is the tenant: keep it to a safe path segment. */
		if (strspn(tenant, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
		    strlen(tenant)) {
			*error_r = "oauth_tenant must be a directory id or a domain name";
			return -1;
		}
		preset_url(&c->token_url, pr->token_url, tenant);
		preset_url(&c->device_url, pr->device_url, tenant);
		preset_url(&c->auth_url, pr->auth_url, tenant);
		if (c->scope == NULL)
			c->scope = xstrdup(use == PROVIDER_USE_SMTP ? pr->scope_smtp : pr->scope_imap);
	}
	if (c->token_url == NULL) {
		*error_r = "needs oauth_token_url (or oauth_provider = microsoft or google)";
		return -1;
	}
	if (c->client_id == NULL) {
		*error_r = "needs oauth_client_id (the application registered with the provider)";
		return -1;
	}
	if (!url_ok(c->token_url) || !url_ok(c->device_url) || !url_ok(c->auth_url)) {
		*error_r = "OAuth2 endpoints must be https:// (http:// only on a loopback address)";
		return -1;
	}
	return 0;
}
