// SPDX-License-Identifier: GPL-2.0-only
/* --web.config.file's parser: what it takes (the exporter-toolkit keys
 * cgscope supports, with their defaults), and that everything else is an
 * error that names the setting: bcrypt hashes checked one by one, a user
 * or key given twice, the toolkit keys cgscope does not do. The files
 * themselves (a directory, unreadable, TLS that GnuTLS refuses) are the
 * end-to-end tests' (tests/e2e/test_security.py). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "http/web_config.h"
#include "lib/macros.h"

/* A valid bcrypt hash of "s3cret", cost 4 (from Python's crypt). */
#define HASH "$2b$04$fJ1f6YriF9p1rx7q1yRzmOhIppHdhgpMqziztduAIoTKk3hVfz5ma"

static int parse(const char *text, struct web_config *c, char *err, size_t errsize)
{
	err[0] = '\0';
	return web_config_parse(text, strlen(text), c, err, errsize);
}

static void refused(const char *text, const char *msg)
{
	struct web_config c;
	char err[512];

	assert_int_equal(parse(text, &c, err, sizeof(err)), -EINVAL);
	if (!strstr(err, msg))
		fail_msg("for\n%s\nwant '%s' in the error, got '%s'", text, msg, err);
}

static void test_bcrypt_shape(void **state)
{
	(void)state;
	assert_true(web_bcrypt_valid(HASH));
	assert_true(web_bcrypt_valid("$2a$10$" "abcdefghijklmnopqrstuv" "ABCDEFGHIJKLMNOPQRSTUVWXYZ01234"));
	assert_true(web_bcrypt_valid("$2y$31$" "./abcdefghijklmnopqrstu" "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123"));
	assert_false(web_bcrypt_valid("$2y$10$short"));
	assert_false(web_bcrypt_valid(""));
	/* Each part wrong in turn, the length kept at 60. */
	assert_false(web_bcrypt_valid("$2x$04$fJ1f6YriF9p1rx7q1yRzmOhIppHdhgpMqziztduAIoTKk3hVfz5ma"));
	assert_false(web_bcrypt_valid("$1b$04$fJ1f6YriF9p1rx7q1yRzmOhIppHdhgpMqziztduAIoTKk3hVfz5ma"));
	assert_false(web_bcrypt_valid("$2b$03$fJ1f6YriF9p1rx7q1yRzmOhIppHdhgpMqziztduAIoTKk3hVfz5ma"));
	assert_false(web_bcrypt_valid("$2b$32$fJ1f6YriF9p1rx7q1yRzmOhIppHdhgpMqziztduAIoTKk3hVfz5ma"));
	assert_false(web_bcrypt_valid("$2b$4$XfJ1f6YriF9p1rx7q1yRzmOhIppHdhgpMqziztduAIoTKk3hVfz5ma"));
	assert_false(web_bcrypt_valid("$2b$04$fJ1f6YriF9p1rx7q1yRzmOhIppHdhgpMqziztduAIoTKk3hVfz5m!"));
	assert_false(web_bcrypt_valid("$2b$04$fJ1f6YriF9p1rx7q1yRzmOhIppHdhgpMqziztduAIoTKk3hVfz5ma$"));
	assert_false(web_bcrypt_valid("$2b$04$fJ1f6YriF9p1rx7q1yRzmOhIppHdhgpMqziztduAIoTKk3hVfz5m"));
	assert_false(web_bcrypt_valid("$2b$04+fJ1f6YriF9p1rx7q1yRzmOhIppHdhgpMqziztduAIoTKk3hVfz5ma"));
}

static void test_full_config(void **state)
{
	struct web_config c;
	char err[512];

	(void)state;
	assert_int_equal(parse("tls_server_config:\n"
			       "  cert_file: s.crt\n"
			       "  key_file: /etc/s.key\n"
			       "  client_auth_type: RequireAndVerifyClientCert\n"
			       "  client_ca_file: ca.crt\n"
			       "  client_allowed_sans: [prometheus.example, \"10.0.0.1\"]\n"
			       "  min_version: TLS13\n"
			       "http_server_config:\n"
			       "  http2: false\n"
			       "  headers:\n"
			       "    X-Frame-Options: deny\n"
			       "    Strict-Transport-Security: max-age=31536000\n"
			       "    Content-Security-Policy: \"\"\n"
			       "basic_auth_users:\n"
			       "  alice: " HASH "\n"
			       "  bob: '" HASH "'\n", &c, err, sizeof(err)), 0);
	assert_true(c.tls);
	assert_string_equal(c.cert_file, "s.crt");
	assert_string_equal(c.key_file, "/etc/s.key");
	assert_string_equal(c.client_ca_file, "ca.crt");
	assert_null(c.cert_pem);	/* files are read by web_config_load */
	assert_int_equal(c.client_auth, CLIENT_AUTH_REQUIRE_VERIFY);
	assert_int_equal(c.min_version, WEB_TLS13);
	assert_int_equal(c.max_version, WEB_TLS13);
	assert_int_equal(c.nsans, 2);
	assert_string_equal(c.allowed_sans[1], "10.0.0.1");
	/* A blank header is unset, as in the toolkit. */
	assert_int_equal(c.nheaders, 2);
	assert_string_equal(c.headers[0].name, "X-Frame-Options");
	assert_string_equal(c.headers[0].value, "deny");
	assert_int_equal(c.nusers, 2);
	assert_string_equal(c.users[1].name, "bob");
	assert_true(web_config_check(&c, "alice", "s3cret"));
	assert_false(web_config_check(&c, "alice", "s3cre"));
	assert_false(web_config_check(&c, "carol", "s3cret"));
	web_config_free(&c);

	/* The toolkit's defaults: TLS 1.2 to 1.3, no client certificate;
	 * inline PEM instead of files. */
	assert_int_equal(parse("tls_server_config:\n  cert: |\n    PEM\n  key: K\n", &c, err, sizeof(err)), 0);
	assert_true(c.tls);
	assert_string_equal(c.cert_pem, "PEM\n");
	assert_int_equal(c.min_version, 0x0303);
	assert_int_equal(c.max_version, WEB_TLS13);
	assert_int_equal(c.client_auth, CLIENT_AUTH_NONE);
	web_config_free(&c);

	/* Empty: neither TLS nor auth. So is a section left empty. */
	static const char *const empty[] = { "", "---\n", "basic_auth_users:\n", "tls_server_config: ~\n" };

	for (size_t i = 0; i < ARRAY_SIZE(empty); i++) {
		assert_int_equal(parse(empty[i], &c, err, sizeof(err)), 0);
		assert_false(c.tls);
		assert_int_equal(c.nusers, 0);
		web_config_free(&c);
	}
}

static void test_refused(void **state)
{
	(void)state;
	/* Malformed bcrypt hashes: the file is refused, not every login. */
	refused("basic_auth_users:\n  alice: $2y$10$short\n", "the hash of 'alice' is not a bcrypt hash");
	refused("basic_auth_users:\n  bob: plaintext\n", "the hash of 'bob' is not a bcrypt hash");
	refused("basic_auth_users:\n  bob: $2b$03$fJ1f6YriF9p1rx7q1yRzmOhIppHdhgpMqziztduAIoTKk3hVfz5ma\n",
		"not a bcrypt hash");
	refused("basic_auth_users:\n  bob: [1, 2]\n", "not a bcrypt hash");
	refused("basic_auth_users:\n  alice: " HASH "\n  alice: " HASH "\n", "user 'alice' is listed twice");
	refused("basic_auth_users:\n  'a:b': " HASH "\n", "cannot hold ':'");
	refused("basic_auth_users:\n  '': " HASH "\n", "empty");
	refused("basic_auth_users: [alice]\n", "must be a mapping");
	/* Keys: unknown, twice, or the toolkit's that cgscope does not do. */
	refused("nonsense_key: 1\n", "unknown key 'nonsense_key'");
	refused("basic_auth_users:\n  alice: " HASH "\nbasic_auth_users:\n  bob: " HASH "\n",
		"'basic_auth_users' is given twice");
	refused("rate_limit:\n  interval: 1s\n  burst: 5\n", "rate_limit is not supported");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
		"cipher_suites is not supported");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [X25519]\n",
		"curve_preferences is not supported");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  prefer_server_cipher_suites: true\n",
		"prefer_server_cipher_suites is not supported");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  cert_fil: c\n", "unknown key 'cert_fil'");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  key_file: c\n", "'key_file' is given twice");
	refused("http_server_config:\n  headers:\n    Server: nginx\n", "header 'Server' cannot be set");
	refused("http_server_config:\n  headers:\n    X-Frame-Options: allow\n", "want deny or sameorigin");
	refused("http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n", "want nosniff");
	refused("http_server_config:\n  headers:\n    Content-Security-Policy: \"a\\r\\nSet-Cookie: x\"\n",
		"control characters");
	refused("http_server_config:\n  http2: maybe\n", "want true or false");
	refused("http_server_config:\n  h2: true\n", "unknown key 'h2'");
	/* TLS settings that do not hold together. */
	refused("tls_server_config:\n  cert_file: a.crt\n", "no key");
	refused("tls_server_config:\n  key_file: a.key\n", "no certificate");
	refused("tls_server_config:\n  cert_file: a\n  cert: b\n  key_file: c\n", "cert_file or cert, not both");
	refused("tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n", "no certificate");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: ca\n",
		"client_ca_file is set but client_auth_type is not");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n",
		"needs client_ca_file");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: VerifyClientCertIfGiven\n",
		"needs client_ca_file");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Yes\n",
		"client_auth_type 'Yes'");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_allowed_sans: [x]\n",
		"client_allowed_sans needs a client_auth_type");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n", "min_version 'TLS14'");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n",
		"min_version TLS13 is above max_version TLS12");
	/* Not YAML, not a mapping, more than one document, a NUL byte. */
	refused("basic_auth_users: [\n", "not YAML");
	refused("- a\n- b\n", "must be a mapping");
	refused("basic_auth_users:\n  alice: " HASH "\n---\nbasic_auth_users: {}\n", "more than one YAML document");
	{
		static const char nul[] = "basic_auth_users:\n\0  alice: x\n";
		struct web_config c;
		char err[256];

		assert_int_equal(web_config_parse(nul, sizeof(nul) - 1, &c, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "NUL"));
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bcrypt_shape),
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_refused),
	};

	return UNIT_RUN("web_config", tests, argc, argv);
}
