/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_FUZZ_H
#define MIRRORVM_FUZZ_H

/*
 * Shared by the libFuzzer harnesses (tests/fuzz/fuzz-*.c): each drives the
 * project's own objects in-process and checks invariants on what they
 * produce.  A broken invariant aborts, which libFuzzer reports as a crash
 * with the input that caused it, like any sanitizer finding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "layout.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_ASSERT(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(fuzz_report, "invariant broken: %s:%d: %s: ",	\
			__FILE__, __LINE__, #cond);			\
		fprintf(fuzz_report, __VA_ARGS__);			\
		fputc('\n', fuzz_report);				\
		fflush(fuzz_report);					\
		abort();						\
	}								\
} while (0)

/* Where FUZZ_ASSERT reports: the real stderr (see fuzz_quiet()). */
static FILE *fuzz_report;

/*
 * The code under test warns on stderr (ignored parts of a domain, odd port
 * writes): millions of such lines would bury libFuzzer's own output and
 * slow it down.  Our code writes through the stderr *variable*; libFuzzer
 * took its copy of the FILE pointer at start-up, and the sanitizers write
 * to file descriptor 2 directly, so pointing the variable at /dev/null
 * silences only the code under test.  MIRRORVM_FUZZ_VERBOSE=1 keeps it.
 */
static inline void fuzz_quiet(void)
{
	FILE *null;

	fuzz_report = stderr;
	if (getenv("MIRRORVM_FUZZ_VERBOSE"))
		return;
	null = fopen("/dev/null", "w");
	if (null)
		stderr = null;
}

/*
 * Splits @data into NUL-terminated words at '\n' (and NUL): an argv whose
 * argv[0] is @arg0, at most @max - 1 words, in @buf (size + 1 bytes).
 */
static inline int fuzz_words(const u8 *data, size_t size, char *buf, char **argv,
			     int max, char *arg0)
{
	int argc = 0;
	size_t i, start = 0;

	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = arg0;
	for (i = 0; i <= size && argc < max - 1; i++) {
		if (i < size && buf[i] != '\n' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (i > start || i < size)
			argv[argc++] = buf + start;
		start = i + 1;
	}
	argv[argc] = NULL;
	return argc;
}

/*
 * The fixed guest a harness drives its target with: @flags (a NULL-ended
 * "run ..." argv) through the real flag parser and layout.  A harness
 * whose own guest does not build is broken, so that ends the process.
 */
static inline void fuzz_layout(const char *who, char **flags, struct layout *lay)
{
	struct run_opts opts;
	struct vm_spec spec;
	struct err e = { "" };
	int argc = 0;

	while (flags[argc])
		argc++;
	if (cli__parse_spec(argc, flags, NULL, &spec, &opts, &e) || layout__build(&spec, lay, &e)) {
		fprintf(fuzz_report, "%s: the harness's layout: %s\n", who, e.msg);
		exit(1);
	}
	spec__free(&spec);
}

#endif
