// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <gnutls/x509.h>

#include "http/http_tls.h"

struct http_tls {
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	enum web_client_auth client_auth;
	char **sans;
	size_t nsans;
};

static int rejected(char *err, size_t errsize, const char *what, int gr)
{
	snprintf(err, errsize, "tls_server_config: %s: %s", what, gnutls_strerror(gr));
	return -EKEYREJECTED;
}

void http_tls_free(struct http_tls *t)
{
	if (!t)
		return;
	if (t->cred)
		gnutls_certificate_free_credentials(t->cred);
	if (t->prio)
		gnutls_priority_deinit(t->prio);
	for (size_t i = 0; i < t->nsans; i++)
		free(t->sans[i]);
	free(t->sans);
	free(t);
}

int http_tls_new(const struct web_config *c, struct http_tls **ret, char *err, size_t errsize)
{
	static const char *const vers[] = { "+VERS-TLS1.0", "+VERS-TLS1.1", "+VERS-TLS1.2", "+VERS-TLS1.3" };
	struct http_tls *t = calloc(1, sizeof(*t));
	gnutls_datum_t cert, key, ca;
	char prio[160];
	const char *where = NULL;
	int gr;

	if (!t)
		return -ENOMEM;
	t->client_auth = c->client_auth;
	if ((gr = gnutls_certificate_allocate_credentials(&t->cred)) < 0)
		goto fail;
	cert = (gnutls_datum_t){ (unsigned char *)c->cert_pem, (unsigned)strlen(c->cert_pem) };
	key = (gnutls_datum_t){ (unsigned char *)c->key_pem, (unsigned)strlen(c->key_pem) };
	gr = gnutls_certificate_set_x509_key_mem2(t->cred, &cert, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (gr < 0) {
		where = "the certificate and key";
		goto fail;
	}
	if (c->client_ca_pem) {
		ca = (gnutls_datum_t){ (unsigned char *)c->client_ca_pem, (unsigned)strlen(c->client_ca_pem) };
		gr = gnutls_certificate_set_x509_trust_mem(t->cred, &ca, GNUTLS_X509_FMT_PEM);
		if (gr == 0) {
			snprintf(err, errsize, "tls_server_config: the client CA holds no PEM certificate");
			http_tls_free(t);
			return -EKEYREJECTED;
		}
		if (gr < 0) {
			where = "the client CA";
			goto fail;
		}
	}
	/* The versions from min_version to max_version, GnuTLS's default
	 * suites for them. */
	snprintf(prio, sizeof(prio), "NORMAL:-VERS-ALL");
	for (unsigned v = c->min_version; v <= c->max_version && v >= WEB_TLS10 && v <= WEB_TLS13; v++) {
		size_t n = strlen(prio);
		snprintf(prio + n, sizeof(prio) - n, ":%s", vers[v - WEB_TLS10]);
	}
	if ((gr = gnutls_priority_init2(&t->prio, prio, NULL, 0)) < 0) {
		where = "min_version and max_version";
		goto fail;
	}
	if (c->nsans) {
		t->sans = calloc(c->nsans, sizeof(*t->sans));
		if (!t->sans) {
			http_tls_free(t);
			return -ENOMEM;
		}
		for (; t->nsans < c->nsans; t->nsans++)
			if (!(t->sans[t->nsans] = strdup(c->allowed_sans[t->nsans]))) {
				http_tls_free(t);
				return -ENOMEM;
			}
	}
	*ret = t;
	return 0;
fail:
	http_tls_free(t);
	if (gr == GNUTLS_E_MEMORY_ERROR)
		return -ENOMEM;
	return rejected(err, errsize, where ? where : "GnuTLS", gr);
}

/* Go's crypto/tls answers plain HTTP on a TLS port with this; so does
 * exporter-toolkit, and so do we. */
static const char plain_http_answer[] =
	"HTTP/1.0 400 Bad Request\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"Connection: close\r\n"
	"\r\n"
	"Client sent an HTTP request to an HTTPS server.\n";

/* A TLS connection starts with a handshake record (0x16); an HTTP request
 * starts with a method in capitals. Anything else is left to GnuTLS. */
static void answer_plain_http(struct http_tls_conn *tc)
{
	char sink[4096];
	size_t drained = 0;

	/* What the client sent must be read before the close, or the kernel
	 * answers it with a reset that can overtake the 400. */
	while (drained < 65536) {
		ssize_t n = recv(tc->fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n <= 0)
			break;
		drained += (size_t)n;
	}
	(void)!send(tc->fd, plain_http_answer, sizeof(plain_http_answer) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	shutdown(tc->fd, SHUT_WR);
}

static ssize_t tls_pull(gnutls_transport_ptr_t p, void *buf, size_t size)
{
	struct http_tls_conn *tc = p;
	ssize_t n = recv(tc->fd, buf, size, 0);

	if (n < 0) {
		gnutls_transport_set_errno(tc->session, errno);
		return -1;
	}
	if (n > 0 && !tc->first_seen) {
		unsigned char c = *(unsigned char *)buf;

		tc->first_seen = true;
		if (c >= 'A' && c <= 'Z') {
			answer_plain_http(tc);
			gnutls_transport_set_errno(tc->session, ECONNRESET);
			return -1;
		}
	}
	return n;
}

static ssize_t tls_push(gnutls_transport_ptr_t p, const void *buf, size_t size)
{
	struct http_tls_conn *tc = p;
	ssize_t n = send(tc->fd, buf, size, MSG_NOSIGNAL);

	if (n < 0)
		gnutls_transport_set_errno(tc->session, errno);
	return n;
}

static ssize_t tls_vec_push(gnutls_transport_ptr_t p, const giovec_t *iov, int iovcnt)
{
	struct http_tls_conn *tc = p;
	struct msghdr msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
	ssize_t n = sendmsg(tc->fd, &msg, MSG_NOSIGNAL);

	if (n < 0)
		gnutls_transport_set_errno(tc->session, errno);
	return n;
}

static int tls_pull_timeout(gnutls_transport_ptr_t p, unsigned ms)
{
	struct http_tls_conn *tc = p;
	struct pollfd pfd = { .fd = tc->fd, .events = POLLIN };
	int r = poll(&pfd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);

	if (r < 0)
		gnutls_transport_set_errno(tc->session, errno);
	return r;
}

/* Does one of the certificate's subject alternative names (DNS, e-mail,
 * URI, IP address) equal an allowed one? As exporter-toolkit: exact match. */
static bool san_allowed(const struct http_tls *t, const gnutls_datum_t *der)
{
	gnutls_x509_crt_t crt;
	bool ok = false;

	if (gnutls_x509_crt_init(&crt) < 0)
		return false;
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return false;
	}
	for (unsigned i = 0; !ok; i++) {
		char buf[1024], text[INET6_ADDRSTRLEN];
		size_t size = sizeof(buf) - 1;
		const char *name = buf;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &size, NULL);

		if (type == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;	/* longer than any name worth allowing */
		if (type < 0)
			break;
		if (type == GNUTLS_SAN_IPADDRESS) {
			if (!inet_ntop(size == 4 ? AF_INET : AF_INET6, buf, text, sizeof(text)) ||
			    (size != 4 && size != 16))
				continue;
			name = text;
		} else if (type == GNUTLS_SAN_DNSNAME || type == GNUTLS_SAN_RFC822NAME ||
			   type == GNUTLS_SAN_URI) {
			buf[size] = '\0';
			if (strlen(buf) != size)
				continue;	/* a NUL inside: never a match */
		} else {
			continue;
		}
		for (size_t j = 0; j < t->nsans && !ok; j++)
			ok = !strcmp(name, t->sans[j]);
	}
	gnutls_x509_crt_deinit(crt);
	return ok;
}

/* Called by GnuTLS once the client's certificate is in: nonzero ends the
 * handshake with a certificate error. */
static int verify_client(gnutls_session_t session)
{
	struct http_tls_conn *tc = gnutls_transport_get_ptr(session);
	const struct http_tls *t = tc->tls;
	unsigned n = 0, status = 0;
	const gnutls_datum_t *certs = gnutls_certificate_get_peers(session, &n);
	/* A client certificate must be one for client authentication, where
	 * it says what it is for (no extended key usage: any). */
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID, .data = (void *)GNUTLS_KP_TLS_WWW_CLIENT,
	};

	if (!certs || n == 0)
		return t->client_auth == CLIENT_AUTH_REQUIRE_ANY ||
		       t->client_auth == CLIENT_AUTH_REQUIRE_VERIFY || t->nsans ? -1 : 0;
	if ((t->client_auth == CLIENT_AUTH_VERIFY_IF_GIVEN || t->client_auth == CLIENT_AUTH_REQUIRE_VERIFY) &&
	    (gnutls_certificate_verify_peers(session, &purpose, 1, &status) < 0 || status != 0))
		return -1;
	if (t->nsans && !san_allowed(t, &certs[0]))
		return -1;
	return 0;
}

int http_tls_session_setup(const struct http_tls *t, gnutls_session_t session,
			   struct http_tls_conn *tc)
{
	int gr;

	tc->session = session;
	tc->tls = t;
	if ((gr = gnutls_priority_set(session, t->prio)) < 0 ||
	    (gr = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, t->cred)) < 0)
		return gr == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EPROTO;
	switch (t->client_auth) {
	case CLIENT_AUTH_NONE:
		gnutls_certificate_server_set_request(session, GNUTLS_CERT_IGNORE);
		break;
	case CLIENT_AUTH_REQUEST:
	case CLIENT_AUTH_VERIFY_IF_GIVEN:
		/* An allowed-names list is a closed door to a client without
		 * a certificate. */
		gnutls_certificate_server_set_request(session, t->nsans ? GNUTLS_CERT_REQUIRE : GNUTLS_CERT_REQUEST);
		break;
	case CLIENT_AUTH_REQUIRE_ANY:
	case CLIENT_AUTH_REQUIRE_VERIFY:
		gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
		break;
	}
	if (t->client_auth != CLIENT_AUTH_NONE)
		gnutls_session_set_verify_function(session, verify_client);
	gnutls_transport_set_ptr(session, tc);
	gnutls_transport_set_pull_function(session, tls_pull);
	gnutls_transport_set_pull_timeout_function(session, tls_pull_timeout);
	gnutls_transport_set_push_function(session, tls_push);
	gnutls_transport_set_vec_push_function(session, tls_vec_push);
	return 0;
}
