// SPDX-License-Identifier: GPL-2.0-only
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "http/web_config.h"
#include "lib/macros.h"
#include "lib/fileio.h"

/* A web config, a certificate chain or a CA bundle is a few KiB; this only
 * keeps a wrong path (a log, a device) from being read whole. */
#define FILE_MAX (4u << 20)

struct parser {
	yaml_document_t *doc;
	char *err;
	size_t errsize;
};

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, p->errsize, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static yaml_node_t *node(struct parser *p, int id)
{
	return yaml_document_get_node(p->doc, id);
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* `key:` with nothing after it, or `key: null`/`~`: the same as no key, as
 * Go's YAML reads it into the zero value. */
static bool is_null(yaml_node_t *n)
{
	const char *s = scalar(n);

	return s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*s || !strcmp(s, "~") || !strcasecmp(s, "null"));
}

/* A mapping with no key twice: libyaml keeps both, and which one a reader
 * of the file believes in is a guess. Keys must be plain strings. */
static int check_mapping(struct parser *p, yaml_node_t *map, const char *where)
{
	yaml_node_pair_t *a, *b;

	for (a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top; a++) {
		const char *k = scalar(node(p, a->key));

		if (!k)
			return fail(p, "%s: keys must be plain strings", where);
		for (b = map->data.mapping.pairs.start; b < a; b++)
			if (!strcmp(k, scalar(node(p, b->key))))
				return fail(p, "%s: '%s' is given twice", where, k);
	}
	return 0;
}

#define FOR_PAIRS(p, map, pair) \
	for (yaml_node_pair_t *pair = (map)->data.mapping.pairs.start; \
	     pair < (map)->data.mapping.pairs.top; pair++)

static int take_string(struct parser *p, yaml_node_t *v, const char *where, char **ret)
{
	const char *s = scalar(v);

	if (!s)
		return fail(p, "%s must be a string", where);
	free(*ret);
	*ret = NULL;
	if (is_null(v) || !*s)
		return 0;	/* "" is unset, as in the toolkit */
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int parse_version(struct parser *p, yaml_node_t *v, const char *key, unsigned *ret)
{
	const char *s = scalar(v);

	for (unsigned ver = WEB_TLS10; s && ver <= WEB_TLS13; ver++)
		if (!strcmp(s, web_tls_version_name(ver))) {
			*ret = ver;
			return 0;
		}
	return fail(p, "tls_server_config: %s '%s': want TLS10, TLS11, TLS12 or TLS13",
		    key, s ? s : "(not a string)");
}

static const struct {
	const char *name;
	enum web_client_auth v;
} client_auths[] = {
	{ "NoClientCert", CLIENT_AUTH_NONE },
	{ "RequestClientCert", CLIENT_AUTH_REQUEST },
	{ "RequireAnyClientCert", CLIENT_AUTH_REQUIRE_ANY },
	{ "RequireClientCert", CLIENT_AUTH_REQUIRE_ANY },	/* the toolkit's old name */
	{ "VerifyClientCertIfGiven", CLIENT_AUTH_VERIFY_IF_GIVEN },
	{ "RequireAndVerifyClientCert", CLIENT_AUTH_REQUIRE_VERIFY },
};

static int parse_client_auth(struct parser *p, yaml_node_t *v, struct web_config *c)
{
	const char *s = scalar(v);

	if (s && (is_null(v) || !*s)) {
		c->client_auth = CLIENT_AUTH_NONE;
		return 0;
	}
	for (size_t i = 0; s && i < ARRAY_SIZE(client_auths); i++)
		if (!strcmp(s, client_auths[i].name)) {
			c->client_auth = client_auths[i].v;
			return 0;
		}
	return fail(p, "tls_server_config: client_auth_type '%s': want NoClientCert, RequestClientCert, "
		    "RequireAnyClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert",
		    s ? s : "(not a string)");
}

static int parse_sans(struct parser *p, yaml_node_t *v, struct web_config *c)
{
	size_t n;

	if (is_null(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return fail(p, "tls_server_config: client_allowed_sans must be a list of names");
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	c->allowed_sans = calloc(n ? n : 1, sizeof(*c->allowed_sans));
	if (!c->allowed_sans)
		return -ENOMEM;
	for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
		const char *s = scalar(node(p, *i));

		if (!s || !*s)
			return fail(p, "tls_server_config: client_allowed_sans: each entry is a name, "
				    "an address, an e-mail address or a URI");
		if (!(c->allowed_sans[c->nsans] = strdup(s)))
			return -ENOMEM;
		c->nsans++;
	}
	return 0;
}

/* Keys of the toolkit that are refused, with what to do instead. */
static const struct {
	const char *key, *why;
} tls_refused[] = {
	{ "cipher_suites", "cgscope uses GnuTLS's default suites for the versions allowed (min_version, max_version)" },
	{ "curve_preferences", "cgscope uses GnuTLS's default groups" },
	{ "prefer_server_cipher_suites", "cgscope leaves the choice to GnuTLS's defaults" },
};

static int parse_tls(struct parser *p, yaml_node_t *map, struct web_config *c)
{
	bool any = false, cert_inline = false, key_inline = false, ca_inline = false;
	int r;

	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return fail(p, "tls_server_config must be a mapping");
	if ((r = check_mapping(p, map, "tls_server_config")) < 0)
		return r;
	FOR_PAIRS(p, map, pair) {
		const char *k = scalar(node(p, pair->key));
		yaml_node_t *v = node(p, pair->value);
		char where[64];

		snprintf(where, sizeof(where), "tls_server_config: %s", k);
		if (!strcmp(k, "cert_file"))
			r = take_string(p, v, where, &c->cert_file);
		else if (!strcmp(k, "key_file"))
			r = take_string(p, v, where, &c->key_file);
		else if (!strcmp(k, "client_ca_file"))
			r = take_string(p, v, where, &c->client_ca_file);
		else if (!strcmp(k, "cert"))
			r = take_string(p, v, where, &c->cert_pem);
		else if (!strcmp(k, "key"))
			r = take_string(p, v, where, &c->key_pem);
		else if (!strcmp(k, "client_ca"))
			r = take_string(p, v, where, &c->client_ca_pem);
		else if (!strcmp(k, "client_auth_type"))
			r = parse_client_auth(p, v, c);
		else if (!strcmp(k, "client_allowed_sans"))
			r = parse_sans(p, v, c);
		else if (!strcmp(k, "min_version"))
			r = parse_version(p, v, k, &c->min_version);
		else if (!strcmp(k, "max_version"))
			r = parse_version(p, v, k, &c->max_version);
		else {
			for (size_t i = 0; i < ARRAY_SIZE(tls_refused); i++)
				if (!strcmp(k, tls_refused[i].key))
					return fail(p, "tls_server_config: %s is not supported (%s): remove it", k,
						    tls_refused[i].why);
			return fail(p, "tls_server_config: unknown key '%s' (cgscope reads cert_file, key_file, cert, key, "
				    "client_auth_type, client_ca_file, client_ca, client_allowed_sans, min_version, max_version)", k);
		}
		if (r < 0)
			return r;
	}
	/* Inline PEM is in the _pem fields already; files are read later. */
	cert_inline = c->cert_pem;
	key_inline = c->key_pem;
	ca_inline = c->client_ca_pem;
	/* As the toolkit: any TLS setting turns TLS on, and then it must be whole. */
	any = c->cert_file || c->key_file || c->client_ca_file || cert_inline || key_inline ||
	      ca_inline || c->client_auth != CLIENT_AUTH_NONE;
	if (!any)
		return 0;
	if (c->cert_file && cert_inline)
		return fail(p, "tls_server_config: give cert_file or cert, not both");
	if (c->key_file && key_inline)
		return fail(p, "tls_server_config: give key_file or key, not both");
	if (c->client_ca_file && ca_inline)
		return fail(p, "tls_server_config: give client_ca_file or client_ca, not both");
	if (!c->cert_file && !cert_inline)
		return fail(p, "tls_server_config: no certificate: needs cert_file (or cert) and key_file (or key)");
	if (!c->key_file && !key_inline)
		return fail(p, "tls_server_config: no key: needs cert_file (or cert) and key_file (or key)");
	if ((c->client_ca_file || ca_inline) && c->client_auth == CLIENT_AUTH_NONE)
		return fail(p, "tls_server_config: client_ca_file is set but client_auth_type is not: "
			    "say which policy, e.g. client_auth_type: RequireAndVerifyClientCert");
	if ((c->client_auth == CLIENT_AUTH_VERIFY_IF_GIVEN || c->client_auth == CLIENT_AUTH_REQUIRE_VERIFY) &&
	    !c->client_ca_file && !ca_inline)
		return fail(p, "tls_server_config: client_auth_type %s needs client_ca_file (the CA that signs client certificates)",
			    c->client_auth == CLIENT_AUTH_VERIFY_IF_GIVEN ? "VerifyClientCertIfGiven" : "RequireAndVerifyClientCert");
	if (c->nsans && c->client_auth == CLIENT_AUTH_NONE)
		return fail(p, "tls_server_config: client_allowed_sans needs a client_auth_type that asks for a certificate");
	if (c->min_version > c->max_version)
		return fail(p, "tls_server_config: min_version %s is above max_version %s",
			    web_tls_version_name(c->min_version), web_tls_version_name(c->max_version));
	c->tls = true;
	return 0;
}

/* exporter-toolkit's list: only these, with these values where it fixes them. */
static const struct {
	const char *name, *values[3];
} headers_allowed[] = {
	{ "Strict-Transport-Security", { NULL } },
	{ "X-Content-Type-Options", { "nosniff", NULL } },
	{ "X-Frame-Options", { "deny", "sameorigin", NULL } },
	{ "X-XSS-Protection", { NULL } },
	{ "Content-Security-Policy", { NULL } },
};

static int parse_headers(struct parser *p, yaml_node_t *map, struct web_config *c)
{
	size_t n;
	int r;

	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return fail(p, "http_server_config: headers must be a mapping of header: value");
	if ((r = check_mapping(p, map, "http_server_config: headers")) < 0)
		return r;
	n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
	c->headers = calloc(n ? n : 1, sizeof(*c->headers));
	if (!c->headers)
		return -ENOMEM;
	FOR_PAIRS(p, map, pair) {
		const char *k = scalar(node(p, pair->key)), *v = scalar(node(p, pair->value));
		size_t i, j;

		for (i = 0; i < ARRAY_SIZE(headers_allowed); i++)
			if (!strcmp(k, headers_allowed[i].name))
				break;
		if (i == ARRAY_SIZE(headers_allowed))
			return fail(p, "http_server_config: header '%s' cannot be set (these can: Strict-Transport-Security, "
				    "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, Content-Security-Policy)", k);
		if (!v)
			return fail(p, "http_server_config: header %s: the value must be a string", k);
		if (is_null(node(p, pair->value)) || !*v)
			continue;	/* blank: unset */
		for (const char *q = v; *q; q++)
			if ((unsigned char)*q < 0x20 || *q == 0x7f)
				return fail(p, "http_server_config: header %s: control characters are not allowed", k);
		for (j = 0; headers_allowed[i].values[j]; j++)
			if (!strcmp(v, headers_allowed[i].values[j]))
				break;
		if (headers_allowed[i].values[0] && !headers_allowed[i].values[j])
			return fail(p, "http_server_config: header %s '%s': want %s%s%s", k, v,
				    headers_allowed[i].values[0], headers_allowed[i].values[1] ? " or " : "",
				    headers_allowed[i].values[1] ? headers_allowed[i].values[1] : "");
		c->headers[c->nheaders].name = strdup(k);
		c->headers[c->nheaders].value = strdup(v);
		if (!c->headers[c->nheaders].name || !c->headers[c->nheaders].value) {
			c->nheaders++;
			return -ENOMEM;
		}
		c->nheaders++;
	}
	return 0;
}

static int parse_http(struct parser *p, yaml_node_t *map, struct web_config *c)
{
	int r;

	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return fail(p, "http_server_config must be a mapping");
	if ((r = check_mapping(p, map, "http_server_config")) < 0)
		return r;
	FOR_PAIRS(p, map, pair) {
		const char *k = scalar(node(p, pair->key));
		yaml_node_t *v = node(p, pair->value);

		if (!strcmp(k, "headers")) {
			if ((r = parse_headers(p, v, c)) < 0)
				return r;
		} else if (!strcmp(k, "http2")) {
			/* HTTP/2 is an offer the client may take: cgscope makes
			 * none (ALPN says http/1.1), with either value. */
			const char *s = scalar(v);
			static const char *const bools[] = { "true", "false", "yes", "no", "on", "off" };
			bool ok = false;

			for (size_t i = 0; s && i < ARRAY_SIZE(bools); i++)
				ok |= !strcasecmp(s, bools[i]);
			if (!ok)
				return fail(p, "http_server_config: http2 '%s': want true or false", s ? s : "(not a string)");
		} else {
			return fail(p, "http_server_config: unknown key '%s' (cgscope reads headers and http2)", k);
		}
	}
	return 0;
}

/* Is c one of bcrypt's base64 digits (./A-Za-z0-9)? */
static bool bcrypt_digit(char c)
{
	return c == '.' || c == '/' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9');
}

bool web_bcrypt_valid(const char *h)
{
	int cost;

	/* $2?$NN$ + 22 characters of salt + 31 of hash = 60 */
	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' ||
	    (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') || h[3] != '$' ||
	    h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' || h[6] != '$')
		return false;
	cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (cost < 4 || cost > 31)
		return false;
	for (int i = 7; i < 60; i++)
		if (!bcrypt_digit(h[i]))
			return false;
	return true;
}

static int parse_users(struct parser *p, yaml_node_t *map, struct web_config *c)
{
	size_t n;
	int r;

	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return fail(p, "basic_auth_users must be a mapping of user: bcrypt hash");
	/* A user twice: which hash is in force would be a guess. */
	for (yaml_node_pair_t *a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top; a++)
		for (yaml_node_pair_t *b = map->data.mapping.pairs.start; b < a; b++) {
			const char *ka = scalar(node(p, a->key)), *kb = scalar(node(p, b->key));

			if (ka && kb && !strcmp(ka, kb))
				return fail(p, "basic_auth_users: user '%s' is listed twice", ka);
		}
	if ((r = check_mapping(p, map, "basic_auth_users")) < 0)
		return r;
	n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
	c->users = calloc(n ? n : 1, sizeof(*c->users));
	if (!c->users)
		return -ENOMEM;
	FOR_PAIRS(p, map, pair) {
		const char *k = scalar(node(p, pair->key));
		const char *v = scalar(node(p, pair->value));

		if (!*k)
			return fail(p, "basic_auth_users: a user name is empty");
		/* Basic auth sends "user:password": a ':' in the name cannot
		 * come through (RFC 7617). */
		if (strchr(k, ':'))
			return fail(p, "basic_auth_users: user '%s': a name cannot hold ':'", k);
		/* Only bcrypt, as exporter-toolkit: a fast hash would make the
		 * password file easy to crack. A malformed one would refuse
		 * every login without a word: refuse the file instead. */
		if (!v || !web_bcrypt_valid(v))
			return fail(p, "basic_auth_users: the hash of '%s' is not a bcrypt hash "
				    "($2a$, $2b$ or $2y$, a cost from 04 to 31, then 53 characters of salt "
				    "and hash: 60 in all), e.g. from htpasswd -nBC 10 %s", k, k);
		c->users[c->nusers].name = strdup(k);
		c->users[c->nusers].hash = strdup(v);
		c->nusers++;
		if (!c->users[c->nusers - 1].name || !c->users[c->nusers - 1].hash)
			return -ENOMEM;
	}
	return 0;
}

static int parse_root(struct parser *p, yaml_node_t *root, struct web_config *c)
{
	int r;

	if (!root || is_null(root))
		return 0;	/* an empty file: neither TLS nor auth */
	if (root->type != YAML_MAPPING_NODE)
		return fail(p, "the file must be a mapping (tls_server_config:, basic_auth_users:, ...)");
	if ((r = check_mapping(p, root, "the file")) < 0)
		return r;
	FOR_PAIRS(p, root, pair) {
		const char *k = scalar(node(p, pair->key));
		yaml_node_t *v = node(p, pair->value);

		if (!strcmp(k, "tls_server_config"))
			r = parse_tls(p, v, c);
		else if (!strcmp(k, "http_server_config"))
			r = parse_http(p, v, c);
		else if (!strcmp(k, "basic_auth_users"))
			r = parse_users(p, v, c);
		else if (!strcmp(k, "rate_limit"))
			r = fail(p, "rate_limit is not supported: cgscope bounds clients with --web.max-connections "
				 "and --web.max-connections-per-ip; remove it");
		else
			r = fail(p, "unknown key '%s' (cgscope reads tls_server_config, http_server_config and basic_auth_users)", k);
		if (r < 0)
			return r;
	}
	return 0;
}

int web_config_parse(const char *buf, size_t len, struct web_config *ret,
		     char *err, size_t errsize)
{
	struct web_config c = { .min_version = 0x0303, .max_version = WEB_TLS13 };
	struct parser p = { .err = err, .errsize = errsize };
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	int r;

	if (memchr(buf, '\0', len)) {
		snprintf(err, errsize, "not YAML: the file holds a NUL byte");
		return -EINVAL;
	}
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errsize, "not YAML: %s at line %zu", parser.problem ? parser.problem : "error",
			 parser.problem_mark.line + 1);
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	p.doc = &doc;
	r = parse_root(&p, yaml_document_get_root_node(&doc), &c);
	yaml_document_delete(&doc);
	/* A second document would be silently ignored: say so instead. */
	if (r == 0) {
		if (!yaml_parser_load(&parser, &extra)) {
			r = fail(&p, "not YAML: %s at line %zu", parser.problem ? parser.problem : "error",
				 parser.problem_mark.line + 1);
		} else {
			if (yaml_document_get_root_node(&extra))
				r = fail(&p, "the file holds more than one YAML document");
			yaml_document_delete(&extra);
		}
	}
	yaml_parser_delete(&parser);
	if (r < 0) {
		if (r != -EINVAL)
			snprintf(err, errsize, "%s", strerror(-r));
		web_config_free(&c);
		return r;
	}
	*ret = c;
	return 0;
}

/* The whole file, NUL-terminated. O_NONBLOCK: a FIFO must not hang the start
 * waiting for a writer (read_file_fd refuses it); a directory (EISDIR) must
 * not read as an empty config. */
static int slurp(const char *path, char **ret, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), r;

	if (fd < 0)
		return -errno;
	r = read_file_fd(fd, FILE_MAX, ret, ret_len);
	close(fd);
	return r;
}

static const char *read_error(int r)
{
	return r == -EINVAL ? "not a regular file" :
	       r == -EFBIG ? "larger than 4 MiB" : strerror(-r);
}

/* A path in the config file is relative to the config file's folder. The
 * contents must be PEM text: a NUL would cut it short unseen. */
static int slurp_beside(const char *config, const char *key, const char *path, char **ret,
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
	if (r < 0) {
		snprintf(err, errsize, "tls_server_config: %s: cannot read %s: %s", key, full, read_error(r));
		return r;
	}
	if (len == 0 || strlen(*ret) != len) {
		snprintf(err, errsize, "tls_server_config: %s: %s is %s", key, full,
			 len ? "not PEM text (it holds a NUL byte)" : "empty");
		free(*ret);
		*ret = NULL;
		return -EINVAL;
	}
	return 0;
}

int web_config_load(const char *path, struct web_config *ret, char *err, size_t errsize)
{
	struct web_config c;
	char *buf;
	size_t len;
	int r;

	r = slurp(path, &buf, &len);
	if (r < 0) {
		snprintf(err, errsize, "cannot read it: %s", read_error(r));
		return r;
	}
	r = web_config_parse(buf, len, &c, err, errsize);
	explicit_bzero(buf, len);	/* an inline key may be in it */
	free(buf);
	if (r < 0)
		return r;
	if ((c.cert_file && (r = slurp_beside(path, "cert_file", c.cert_file, &c.cert_pem, err, errsize)) < 0) ||
	    (c.key_file && (r = slurp_beside(path, "key_file", c.key_file, &c.key_pem, err, errsize)) < 0) ||
	    (c.client_ca_file &&
	     (r = slurp_beside(path, "client_ca_file", c.client_ca_file, &c.client_ca_pem, err, errsize)) < 0)) {
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
	for (size_t i = 0; i < c->nheaders; i++) {
		free(c->headers[i].name);
		free(c->headers[i].value);
	}
	free(c->headers);
	for (size_t i = 0; i < c->nsans; i++)
		free(c->allowed_sans[i]);
	free(c->allowed_sans);
	free(c->cert_file);
	free(c->key_file);
	free(c->client_ca_file);
	free(c->cert_pem);
	free(c->client_ca_pem);
	if (c->key_pem)
		explicit_bzero(c->key_pem, strlen(c->key_pem));
	free(c->key_pem);
	*c = (struct web_config){0};
}

const char *web_tls_version_name(unsigned v)
{
	switch (v) {
	case 0x0301: return "TLS10";
	case 0x0302: return "TLS11";
	case 0x0303: return "TLS12";
	case 0x0304: return "TLS13";
	default: return "?";
	}
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
