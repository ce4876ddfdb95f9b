/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_UNIT_H
#define MIRRORVM_UNIT_H

/*
 * A minimal unit-test harness: CHECK() records one assertion, every test
 * function prints PASS or FAIL once, main() ends with "N passed, M failed".
 */
#include <stdio.h>
#include <string.h>

static int unit_failed_checks, unit_passed, unit_failed;
static const char *unit_current;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		unit_failed_checks++;					\
		printf("  %s:%d: %s: ", __FILE__, __LINE__, #cond);	\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

#define RUN(fn) do {							\
	int before = unit_failed_checks;				\
	unit_current = #fn;						\
	fn();								\
	if (unit_failed_checks == before) {				\
		unit_passed++;						\
		printf("PASS %s\n", unit_current);			\
	} else {							\
		unit_failed++;						\
		printf("FAIL %s\n", unit_current);			\
	}								\
} while (0)

#define UNIT_DONE() do {						\
	printf("%d passed, %d failed\n", unit_passed, unit_failed);	\
	return unit_failed ? 1 : 0;					\
} while (0)

#endif
