// SPDX-License-Identifier: GPL-2.0-only
#include <crypt.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "http/web_config.h"

static const char *scalar(yaml_document_t *doc __attribute__((unused)), yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int fail(char *err, size_t errsize, const char *fmt, const char *what)
{
	snprintf(err, errsize, fmt, what);
	return -EINVAL;
}

static int parse_tls(yaml_document_t *doc, yaml_node_t *map, struct web_config *c,
		     char *err, size_t errsize)
{
	if (map->type != YAML_MAPPING_NODE)
		return fail(err, errsize, "%s must be a mapping", "tls_server_config");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(doc, yaml_document_get_node(doc, p->key));
		const char *v = scalar(doc, yaml_document_get_node(doc, p->value));

		if (!k || !v)
			return fail(err, errsize, "%s: keys and values must be plain strings", "tls_server_config");
		if (!strcmp(k, "cert_file"))
			c->cert_file = strdup(v);
		else if (!strcmp(k, "key_file"))
			c->key_file = strdup(v);
		else
			return fail(err, errsize, "tls_server_config: unsupported key '%s' (cert_file and key_file are)", k);
	}
	if (!c->cert_file || !c->key_file)
		return fail(err, errsize, "%s needs both cert_file and key_file", "tls_server_config");
	return 0;
}

static int parse_users(yaml_document_t *doc, yaml_node_t *map, struct web_config *c,
		       char *err, size_t errsize)
{
	size_t n;

	if (map->type != YAML_MAPPING_NODE)
		return fail(err, errsize, "%s must be a mapping of user: bcrypt hash", "basic_auth_users");
	n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
	c->users = calloc(n ? n : 1, sizeof(*c->users));
	if (!c->users)
		return -ENOMEM;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(doc, yaml_document_get_node(doc, p->key));
		const char *v = scalar(doc, yaml_document_get_node(doc, p->value));

		if (!k || !v || !*k)
			return fail(err, errsize, "%s: each entry is user: hash", "basic_auth_users");
		/* Only bcrypt, as exporter-toolkit: a fast hash would make the
		 * password file easy to crack. */
		if (strncmp(v, "$2a$", 4) && strncmp(v, "$2b$", 4) && strncmp(v, "$2y$", 4))
			return fail(err, errsize, "basic_auth_users: the hash of '%s' is not bcrypt ($2a$, $2b$ or $2y$)", k);
		c->users[c->nusers].name = strdup(k);
		c->users[c->nusers].hash = strdup(v);
		c->nusers++;
	}
	return 0;
}

int web_config_parse(const char *buf, size_t len, struct web_config *ret,
		     char *err, size_t errsize)
{
	struct web_config c = {0};
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errsize, "not YAML: %s at line %zu", parser.problem ? parser.problem : "error",
			 parser.problem_mark.line + 1);
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&doc);
	if (root && root->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
		     p < root->data.mapping.pairs.top && r == 0; p++) {
			const char *k = scalar(&doc, yaml_document_get_node(&doc, p->key));
			yaml_node_t *v = yaml_document_get_node(&doc, p->value);

			if (k && !strcmp(k, "tls_server_config"))
				r = parse_tls(&doc, v, &c, err, errsize);
			else if (k && !strcmp(k, "basic_auth_users"))
				r = parse_users(&doc, v, &c, err, errsize);
			else
				r = fail(err, errsize, "unsupported key '%s' (tls_server_config and basic_auth_users are)", k ? k : "?");
		}
	} else if (root && !(root->type == YAML_SCALAR_NODE && !root->data.scalar.length)) {
		r = fail(err, errsize, "%s", "the file must be a mapping");
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (r < 0) {
		web_config_free(&c);
		return r;
	}
	*ret = c;
	return 0;
}

static int slurp(const char *path, char **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return -errno;
	do {
		if (len + 4096 > cap) {
			char *p = realloc(buf, cap = cap * 2 + 8192);
			if (!p) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = p;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* A path in the config file is relative to the config file's folder. */
static int slurp_beside(const char *config, const char *path, char **ret,
			char *err, size_t errsize)
{
	char full[PATH_MAX], dir[PATH_MAX];
	size_t len;
	int r;

	snprintf(dir, sizeof(dir), "%s", config);
	if (path[0] == '/')
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", dirname(dir), path);
	r = slurp(full, ret, &len);
	if (r < 0)
		snprintf(err, errsize, "cannot read %s: %s", full, strerror(-r));
	return r;
}

int web_config_load(const char *path, struct web_config *ret, char *err, size_t errsize)
{
	struct web_config c;
	char *buf;
	size_t len;
	int r;

	r = slurp(path, &buf, &len);
	if (r < 0) {
		snprintf(err, errsize, "cannot read %s: %s", path, strerror(-r));
		return r;
	}
	r = web_config_parse(buf, len, &c, err, errsize);
	free(buf);
	if (r < 0)
		return r;
	if (c.cert_file &&
	    ((r = slurp_beside(path, c.cert_file, &c.cert_pem, err, errsize)) < 0 ||
	     (r = slurp_beside(path, c.key_file, &c.key_pem, err, errsize)) < 0)) {
		web_config_free(&c);
		return r;
	}
	*ret = c;
	return 0;
}

void web_config_free(struct web_config *c)
{
	for (size_t i = 0; i < c->nusers; i++) {
		free(c->users[i].name);
		free(c->users[i].hash);
	}
	free(c->users);
	free(c->cert_file);
	free(c->key_file);
	free(c->cert_pem);
	if (c->key_pem)
		explicit_bzero(c->key_pem, strlen(c->key_pem));
	free(c->key_pem);
	*c = (struct web_config){0};
}

bool web_config_check(const struct web_config *c, const char *user, const char *password)
{
	struct crypt_data *data;
	const char *hash = NULL, *out;
	unsigned char diff = 0;
	size_t n;

	for (size_t i = 0; i < c->nusers; i++)
		if (!strcmp(c->users[i].name, user))
			hash = c->users[i].hash;
	if (!hash || !password)
		return false;
	data = calloc(1, sizeof(*data));
	if (!data)
		return false;
	out = crypt_r(password, hash, data);
	n = strlen(hash);
	if (!out || strlen(out) != n) {
		free(data);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(out[i] ^ hash[i]);
	free(data);
	return diff == 0;
}
