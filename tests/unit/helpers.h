/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_TEST_HELPERS_H
#define MIRRORVM_TEST_HELPERS_H

/* Builds a guest spec from a flag string, as "mirrorvm run FLAGS" would. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "layout.h"

#define MAX_TEST_ARGS 64

/* Splits on spaces (no quoting needed by the tests); --domain-xml refused. */
static inline int parse_run(struct vm_spec *spec, struct run_opts *opts, const char *flags,
			    struct err *e)
{
	static char buf[4096];
	char *argv[MAX_TEST_ARGS];
	int argc = 0;
	char *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", flags);
	argv[argc++] = "run";
	for (tok = strtok_r(buf, " ", &save); tok && argc < MAX_TEST_ARGS - 1;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	spec__free(spec);
	return cli__parse_spec(argc, argv, NULL, spec, opts, e);
}

static inline int parse_flags(struct vm_spec *spec, const char *flags, struct err *e)
{
	struct run_opts opts;

	return parse_run(spec, &opts, flags, e);
}

/* Parses and lays out; returns 0 or the first error. */
static inline int build_layout(const char *flags, struct vm_spec *spec,
			       struct layout *lay, struct err *e)
{
	int ret = parse_flags(spec, flags, e);

	if (ret)
		return ret;
	return layout__build(spec, lay, e);
}

#endif
