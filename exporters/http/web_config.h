/* SPDX-License-Identifier: GPL-2.0-only */
/* --web.config.file, in the format Prometheus exporters share
 * (exporter-toolkit): TLS and basic auth with bcrypt hashes.
 *
 *   tls_server_config:
 *     cert_file: server.crt      # relative paths: to the config file's folder
 *     key_file: server.key
 *   basic_auth_users:
 *     alice: $2y$10$...          # htpasswd -nBC 10 alice
 */
#ifndef CGSCOPE_WEB_CONFIG_H
#define CGSCOPE_WEB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct web_user {
	char *name, *hash;
};

struct web_config {
	char *cert_file, *key_file;	/* as written, NULL if absent */
	char *cert_pem, *key_pem;	/* contents, after web_config_load */
	struct web_user *users;
	size_t nusers;
};

/* Parses the YAML text. On failure returns -EINVAL and says why in err. */
int web_config_parse(const char *buf, size_t len, struct web_config *ret,
		     char *err, size_t errsize);
/* Reads and parses the file and the certificate and key it names. */
int web_config_load(const char *path, struct web_config *ret, char *err, size_t errsize);
void web_config_free(struct web_config *c);

/* Does the password match the user's bcrypt hash? Constant time in the
 * comparison; bcrypt's own cost is the point. */
bool web_config_check(const struct web_config *c, const char *user, const char *password);

#endif
