// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation-failure injection for the converter, as fw/aml.c's
 * aml_fail_alloc_hook, but reachable from tests/xml/run.sh, which runs the
 * binary: with MIRRORVM_XML_FAIL_ALLOC=N in the environment the Nth
 * allocation of the converter or of libxml2 fails (with N+ the Nth and
 * every later one).  When the run makes fewer than N allocations, one line
 * on stderr says so, which tells the test that it has tried them all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlmemory.h>

#include "domain-xml.h"

bool (*domain_xml_fail_alloc_hook)(void);

static unsigned long fail_at, nr_allocs;
static bool fail_later, failed;

static bool fail_nth(void)
{
	nr_allocs++;
	if (nr_allocs == fail_at || (fail_later && nr_allocs > fail_at)) {
		failed = true;
		return true;
	}
	return false;
}

static bool fails(void)
{
	return domain_xml_fail_alloc_hook && domain_xml_fail_alloc_hook();
}

void *xml__malloc(size_t n)
{
	return fails() ? NULL : malloc(n);
}

void *xml__calloc(size_t n, size_t size)
{
	return fails() ? NULL : calloc(n, size);
}

void *xml__realloc(void *p, size_t n)
{
	return fails() ? NULL : realloc(p, n);
}

char *xml__strdup(const char *s)
{
	return fails() ? NULL : strdup(s);
}

static __attribute__((constructor)) void fail_alloc_from_env(void)
{
	const char *v = getenv("MIRRORVM_XML_FAIL_ALLOC");
	char *end;

	if (!v || !*v)
		return;
	fail_at = strtoul(v, &end, 10);
	fail_later = *end == '+';
	if (!fail_at || (*end && strcmp(end, "+"))) {
		fprintf(stderr, "mirrorvm: MIRRORVM_XML_FAIL_ALLOC=%s: expected N or N+ (N >= 1)\n", v);
		exit(1);
	}
	/* libxml2's own set-up allocates before the count starts. */
	xmlInitParser();
	xmlMemSetup(free, xml__malloc, xml__realloc, xml__strdup);
	domain_xml_fail_alloc_hook = fail_nth;
}

static __attribute__((destructor)) void fail_alloc_report(void)
{
	if (fail_at && !failed)
		fprintf(stderr, "mirrorvm: MIRRORVM_XML_FAIL_ALLOC=%lu: only %lu allocations, none failed\n",
			fail_at, nr_allocs);
}
