/* SPDX-License-Identifier: GPL-2.0-only */
/* TLS of the agent's port, with GnuTLS under libmicrohttpd: the server
 * certificate, the protocol versions and the client certificate policy of a
 * web config, set on each new connection's session. Setting them per
 * session (not once on the daemon) is what lets SIGHUP put a rotated
 * certificate or a new client CA in force for new connections without a
 * restart: a session keeps what it started with. */
#ifndef CGSCOPE_HTTP_TLS_H
#define CGSCOPE_HTTP_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <gnutls/gnutls.h>

#include "http/web_config.h"

struct http_tls;

/* What one connection's session needs, living as long as the connection. */
struct http_tls_conn {
	int fd;
	gnutls_session_t session;
	const struct http_tls *tls;
	bool first_seen;		/* the first bytes have been looked at */
};

/* The credentials and priorities of c (c->tls set). -EKEYREJECTED with
 * the reason in err: a certificate and key that do not match, a CA file
 * with no certificate, ... */
int http_tls_new(const struct web_config *c, struct http_tls **ret, char *err, size_t errsize);
void http_tls_free(struct http_tls *t);

/* Puts t in force on a new connection's session, before its handshake.
 * The session then reads through tc: a client that speaks plain HTTP to
 * the TLS port gets a 400 answer saying so, not a silent close. */
int http_tls_session_setup(const struct http_tls *t, gnutls_session_t session,
			   struct http_tls_conn *tc);

#endif
