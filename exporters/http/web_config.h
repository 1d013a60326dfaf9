/* SPDX-License-Identifier: GPL-2.0-only */
/* --web.config.file, in the format Prometheus exporters share
 * (exporter-toolkit): TLS, client certificates and basic auth with bcrypt
 * hashes.
 *
 *   tls_server_config:
 *     cert_file: server.crt      # relative paths: to the config file's folder
 *     key_file: server.key
 *     client_auth_type: RequireAndVerifyClientCert
 *     client_ca_file: clients-ca.crt
 *     min_version: TLS12
 *   http_server_config:
 *     headers:
 *       Strict-Transport-Security: max-age=31536000
 *   basic_auth_users:
 *     alice: $2y$10$...          # htpasswd -nBC 10 alice
 *
 * What the toolkit has and cgscope does not (cipher_suites,
 * curve_preferences, prefer_server_cipher_suites, rate_limit) is refused by
 * name, never ignored: a setting a reader believes in must be in force.
 */
#ifndef CGSCOPE_WEB_CONFIG_H
#define CGSCOPE_WEB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct web_user {
	char *name, *hash;
};

struct web_header {
	char *name, *value;
};

/* exporter-toolkit's names, after Go's tls.ClientAuthType. */
enum web_client_auth {
	CLIENT_AUTH_NONE,		/* NoClientCert */
	CLIENT_AUTH_REQUEST,		/* RequestClientCert: asked, not checked */
	CLIENT_AUTH_REQUIRE_ANY,	/* RequireAnyClientCert: required, not checked */
	CLIENT_AUTH_VERIFY_IF_GIVEN,	/* VerifyClientCertIfGiven */
	CLIENT_AUTH_REQUIRE_VERIFY,	/* RequireAndVerifyClientCert */
};

/* TLS protocol versions as on the wire: 0x0301 is TLS 1.0, 0x0304 TLS 1.3. */
#define WEB_TLS10 0x0301
#define WEB_TLS13 0x0304

struct web_config {
	bool tls;			/* tls_server_config has a certificate */
	/* As written, NULL if absent; a file's contents go to the _pem field. */
	char *cert_file, *key_file, *client_ca_file;
	char *cert_pem, *key_pem, *client_ca_pem;	/* after web_config_load */
	enum web_client_auth client_auth;
	unsigned min_version, max_version;	/* default TLS 1.2 to 1.3 */
	char **allowed_sans;		/* client_allowed_sans; NULL: any */
	size_t nsans;
	struct web_header *headers;	/* http_server_config.headers */
	size_t nheaders;
	struct web_user *users;
	size_t nusers;
};

/* Parses the YAML text. On failure returns -EINVAL and says why in err. */
int web_config_parse(const char *buf, size_t len, struct web_config *ret,
		     char *err, size_t errsize);
/* Reads and parses the file and the certificate, key and CA files it names.
 * Any error (a directory, an unreadable file, bad YAML, an unknown key, a
 * hash that is not bcrypt) is an error, with the reason in err. */
int web_config_load(const char *path, struct web_config *ret, char *err, size_t errsize);
void web_config_free(struct web_config *c);

/* Is hash a well-formed bcrypt hash: $2a$, $2b$ or $2y$, a cost of two
 * digits from 04 to 31, then 53 characters of bcrypt's base64 (a 22
 * character salt and a 31 character hash)? */
bool web_bcrypt_valid(const char *hash);

/* Does the password match the user's bcrypt hash? Constant time in the
 * comparison; bcrypt's own cost is the point. */
bool web_config_check(const struct web_config *c, const char *user, const char *password);

/* "TLS12" for 0x0303, and so on. */
const char *web_tls_version_name(unsigned v);

#endif
