// SPDX-License-Identifier: GPL-2.0-only
/* Seeds of the JSON fuzz target: the JSON form of each captured tree in
 * tests/fixtures/cgroupfs, as the agent would serve it, taken twice so that
 * the second also carries rates.
 *
 *   seed_json OUTDIR TREE...   writes OUTDIR/<tree name>-<1|2>.json */
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <cJSON.h>

#include "collect/collector.h"
#include "json/json_snapshot.h"

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: seed_json OUTDIR TREE...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		struct collector *c;
		char name[4096];

		if (collector_new(argv[i], &c) < 0) {
			fprintf(stderr, "seed_json: cannot read %s\n", argv[i]);
			return 1;
		}
		for (int round = 1; round <= 2; round++) {
			struct snapshot *s;
			struct strbuf sb = {0};
			cJSON *doc;
			char *text;
			FILE *f;

			if (collector_collect(c, &s) < 0) {
				fprintf(stderr, "seed_json: cannot collect %s\n", argv[i]);
				return 1;
			}
			/* Indented by cJSON, as a person would save it: the
			 * whitespace is input the parser must take too. */
			if (json_snapshot(s, NULL, &sb) < 0) {
				fprintf(stderr, "seed_json: out of memory\n");
				return 1;
			}
			doc = cJSON_Parse(sb.buf);
			sb_free(&sb);
			text = doc ? cJSON_Print(doc) : NULL;
			snprintf(name, sizeof(name), "%s/%s-%d.json", argv[1], basename(argv[i]), round);
			f = fopen(name, "w");
			if (!f || !text || fputs(text, f) < 0 || fclose(f) != 0) {
				fprintf(stderr, "seed_json: cannot write %s\n", name);
				return 1;
			}
			cJSON_free(text);
			cJSON_Delete(doc);
			snapshot_unref(s);
		}
		collector_free(c);
	}
	return 0;
}
