/* SPDX-License-Identifier: GPL-2.0-only */
/* Each command's flags as one table: name, argument, default, help and
 * parser. Parsing, defaults and --help all come from it, so that a flag is
 * declared once (the pages of docs/ list them; tests/e2e/test_flags.py checks the
 * docs against each command's --help both ways).
 *
 * Accepted forms: --name VALUE, --name=VALUE, -x VALUE, -xVALUE, -ab (short
 * switches together), -- (the end of flags). Every default is applied through
 * the flag's own parser before argv is, so a default is written once, as a
 * user would type it. */
#ifndef CGSCOPE_FLAGS_H
#define CGSCOPE_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct flag;

/* Stores value (NULL for a switch) into cfg: 0, -EINVAL (not of the form
 * wanted), -ERANGE (outside min..max); a message of its own on stderr then,
 * or none and flags_parse writes "bad --name 'value': want WANT". */
typedef int (*flag_parse_fn)(const struct flag *f, const char *value, void *cfg);

enum {
	FLAG_REPEAT = 1,	/* may be given more than once (else the last wins) */
	FLAG_PREFIX = 2,	/* "collect.GROUP": any name with this prefix up to the
				   last '.', and "no-" before it; the parser gets the
				   whole argument, without its dashes */
	FLAG_HIDDEN_DEFAULT = 4,/* def is applied but not shown (it says nothing) */
};

struct flag {
	const char *name;	/* without dashes; NULL ends a table; "" starts a section */
	char short_name;	/* 0 for none */
	const char *arg;	/* "DURATION"; NULL for a switch */
	const char *def;	/* the default as typed; NULL for none */
	const char *help;	/* one paragraph; the section's title for "" */
	flag_parse_fn parse;
	size_t off;		/* where in cfg the generic parsers store */
	uint64_t min, max;	/* bounds of the generic number parsers */
	const char *want;	/* what a bad value is told it should be */
	unsigned opts;
};

#define FLAG_SECTION(title) { .name = "", .help = (title) }
#define FLAG_END { .name = NULL }

struct flag_cmd {
	const char *name;	/* "agent": "Usage: cgscope agent [OPTIONS]" */
	const char *about;	/* before the flags */
	const char *epilogue;	/* after them; NULL for none */
	const struct flag *flags;
};

/* Applies every default, then argv[1..argc). 0: go on; 1: --help was
 * printed on stdout; -EINVAL: a bad flag, said on stderr. */
int flags_parse(const struct flag_cmd *cmd, int argc, char **argv, void *cfg);

/* The help: usage, about, each section's flags with their defaults, the
 * epilogue. */
void flags_usage(const struct flag_cmd *cmd, FILE *f);

/* Generic parsers, storing at f->off in cfg. */
int flag_string(const struct flag *f, const char *value, void *cfg);	/* const char * */
int flag_switch(const struct flag *f, const char *value, void *cfg);	/* bool, set to true */
int flag_uint(const struct flag *f, const char *value, void *cfg);	/* uint64_t, min..max */
int flag_duration(const struct flag *f, const char *value, void *cfg);	/* uint64_t ms, min..max */
int flag_size(const struct flag *f, const char *value, void *cfg);	/* uint64_t bytes, min..max */

#endif
