// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/flags.h"
#include "lib/units.h"

#define HELP_COLUMN 30
#define HELP_WIDTH 79

static void *field(const struct flag *f, void *cfg)
{
	return (char *)cfg + f->off;
}

int flag_string(const struct flag *f, const char *value, void *cfg)
{
	*(const char **)field(f, cfg) = value;
	return 0;
}

int flag_switch(const struct flag *f, const char *value, void *cfg)
{
	(void)value;
	*(bool *)field(f, cfg) = true;
	return 0;
}

int flag_uint(const struct flag *f, const char *value, void *cfg)
{
	return parse_uint(value, f->min, f->max, field(f, cfg));
}

static int in_range(const struct flag *f, int r, uint64_t v, void *cfg)
{
	if (r < 0)
		return r;
	if (v < f->min || (f->max && v > f->max))
		return -ERANGE;
	*(uint64_t *)field(f, cfg) = v;
	return 0;
}

int flag_duration(const struct flag *f, const char *value, void *cfg)
{
	uint64_t ms = 0;
	int r = parse_duration_ms(value, &ms);

	return in_range(f, r, ms, cfg);
}

int flag_size(const struct flag *f, const char *value, void *cfg)
{
	uint64_t bytes = 0;
	int r = parse_size(value, &bytes);

	return in_range(f, r, bytes, cfg);
}

/* How long the part of a FLAG_PREFIX name before its placeholder is:
 * "collect." of "collect.GROUP". */
static size_t prefix_len(const struct flag *f)
{
	const char *dot = strrchr(f->name, '.');

	return dot ? (size_t)(dot - f->name) + 1 : strlen(f->name);
}

/* The flag a long argument names (name: without the dashes, up to '='). */
static const struct flag *find_long(const struct flag_cmd *cmd, const char *name, size_t len)
{
	const struct flag *prefixed = NULL;

	for (const struct flag *f = cmd->flags; f->name; f++) {
		if (!*f->name)
			continue;
		if (!(f->opts & FLAG_PREFIX)) {
			if (strlen(f->name) == len && !strncmp(f->name, name, len))
				return f;
			continue;
		}
		size_t pl = prefix_len(f);
		if ((len > pl && !strncmp(name, f->name, pl)) ||
		    (len > pl + 3 && !strncmp(name, "no-", 3) && !strncmp(name + 3, f->name, pl)))
			prefixed = f;
	}
	return prefixed;	/* exact names win over a prefix */
}

static const struct flag *find_short(const struct flag_cmd *cmd, char c)
{
	for (const struct flag *f = cmd->flags; f->name; f++)
		if (*f->name && f->short_name == c)
			return f;
	return NULL;
}

static int apply(const struct flag_cmd *cmd, const struct flag *f, const char *shown,
		 const char *value, void *cfg)
{
	int r = f->parse(f, value, cfg);

	if (r >= 0)
		return 0;
	if (r == -ECANCELED)	/* the parser said it all */
		return -EINVAL;
	if (f->want)
		fprintf(stderr, "cgscope %s: bad %s '%s': want %s\n", cmd->name, shown,
			value ? value : "", f->want);
	else if (r == -ERANGE)
		fprintf(stderr, "cgscope %s: %s '%s' is out of range (%llu to %llu)\n", cmd->name,
			shown, value ? value : "", (unsigned long long)f->min,
			(unsigned long long)f->max);
	else
		fprintf(stderr, "cgscope %s: bad %s '%s'\n", cmd->name, shown, value ? value : "");
	return -EINVAL;
}

static int apply_defaults(const struct flag_cmd *cmd, void *cfg)
{
	for (const struct flag *f = cmd->flags; f->name; f++) {
		if (!*f->name || !f->def)
			continue;
		if (f->parse(f, f->def, cfg) < 0) {
			/* A programming error, which tests/e2e/test_flags.py finds. */
			fprintf(stderr, "cgscope %s: the default of --%s, '%s', does not parse\n",
				cmd->name, f->name, f->def);
			return -EINVAL;
		}
	}
	return 0;
}

static int unknown(const struct flag_cmd *cmd, const char *arg)
{
	fprintf(stderr, "cgscope %s: unknown flag '%s'\nTry 'cgscope %s --help'.\n",
		cmd->name, arg, cmd->name);
	return -EINVAL;
}

static int missing_value(const struct flag_cmd *cmd, const char *shown)
{
	fprintf(stderr, "cgscope %s: %s needs a value\nTry 'cgscope %s --help'.\n",
		cmd->name, shown, cmd->name);
	return -EINVAL;
}

int flags_parse(const struct flag_cmd *cmd, int argc, char **argv, void *cfg)
{
	int r = apply_defaults(cmd, cfg);

	for (int i = 1; r == 0 && i < argc; i++) {
		const char *a = argv[i];
		char shown[128];
		const struct flag *f;

		if (!strcmp(a, "--"))
			break;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			flags_usage(cmd, stdout);
			return 1;
		}
		if (a[0] != '-' || !a[1]) {
			fprintf(stderr, "cgscope %s: unexpected argument '%s'\n", cmd->name, a);
			return -EINVAL;
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);

			f = find_long(cmd, name, len);
			if (!f)
				return unknown(cmd, a);
			snprintf(shown, sizeof(shown), "--%.*s", (int)len, name);
			if (f->opts & FLAG_PREFIX) {
				r = apply(cmd, f, shown, name, cfg);
			} else if (!f->arg) {
				if (eq) {
					fprintf(stderr, "cgscope %s: %s takes no value\n", cmd->name, shown);
					return -EINVAL;
				}
				r = apply(cmd, f, shown, NULL, cfg);
			} else if (eq) {
				r = apply(cmd, f, shown, eq + 1, cfg);
			} else if (i + 1 < argc) {
				r = apply(cmd, f, shown, argv[++i], cfg);
			} else {
				return missing_value(cmd, shown);
			}
			continue;
		}
		/* Short flags: switches may come together ("-br"); a flag that
		 * takes a value takes the rest of the argument, or the next. */
		for (const char *p = a + 1; r == 0 && *p; p++) {
			f = find_short(cmd, *p);
			snprintf(shown, sizeof(shown), "-%c", *p);
			if (!f)
				return unknown(cmd, shown);
			if (!f->arg) {
				r = apply(cmd, f, shown, NULL, cfg);
				continue;
			}
			if (p[1])
				r = apply(cmd, f, shown, p + 1, cfg);
			else if (i + 1 < argc)
				r = apply(cmd, f, shown, argv[++i], cfg);
			else
				return missing_value(cmd, shown);
			break;
		}
	}
	return r;
}

/* Writes text from column col, wrapped at HELP_WIDTH, each further line
 * indented to indent. */
static void wrap(FILE *out, const char *text, size_t col, size_t indent)
{
	const char *p = text;

	while (*p) {
		const char *w = p;
		size_t len;

		while (*w == ' ')
			w++;
		len = strcspn(w, " \n");
		if (col > indent && col + 1 + len > HELP_WIDTH) {
			fprintf(out, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', out);
			col++;
		}
		fwrite(w, 1, len, out);
		col += len;
		p = w + len;
		if (*p == '\n') {	/* a line break the text asks for */
			fprintf(out, "\n%*s", (int)indent, "");
			col = indent;
			p++;
		}
	}
	fputc('\n', out);
}

void flags_usage(const struct flag_cmd *cmd, FILE *out)
{
	fprintf(out, "Usage: cgscope %s [OPTIONS]\n\n%s", cmd->name, cmd->about);
	for (const struct flag *f = cmd->flags; f->name; f++) {
		char head[160], help[1024];
		int n;

		if (!*f->name) {
			fprintf(out, "\n%s\n", f->help);
			continue;
		}
		char sh[8] = "";

		if (f->short_name)
			snprintf(sh, sizeof(sh), "-%c, ", f->short_name);
		if (f->opts & FLAG_PREFIX)
			n = snprintf(head, sizeof(head), "  --%s[=BOOL], --no-%s", f->name, f->name);
		else
			n = snprintf(head, sizeof(head), "  %s--%s", sh, f->name);
		if (f->arg)
			n += snprintf(head + n, sizeof(head) - (size_t)n, " %s", f->arg);
		snprintf(help, sizeof(help), "%s%s%s%s", f->help,
			 f->def && !(f->opts & FLAG_HIDDEN_DEFAULT) ? " (default " : "",
			 f->def && !(f->opts & FLAG_HIDDEN_DEFAULT) ? (*f->def ? f->def : "''") : "",
			 f->def && !(f->opts & FLAG_HIDDEN_DEFAULT) ? ")" : "");
		fputs(head, out);
		if ((size_t)n + 1 >= HELP_COLUMN) {
			fprintf(out, "\n%*s", HELP_COLUMN, "");
		} else {
			fprintf(out, "%*s", HELP_COLUMN - n, "");
		}
		wrap(out, help, HELP_COLUMN, HELP_COLUMN);
	}
	fprintf(out, "  -h, --help%*sshow this help\n", HELP_COLUMN - 12, "");
	if (cmd->epilogue)
		fprintf(out, "\n%s", cmd->epilogue);
}
