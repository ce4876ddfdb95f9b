// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzzes the libvirt domain XML converter (vmm/xml/, linked directly
 * rather than loaded as mirrorvm-xml.so) on its own objects, in-process.
 * The input is a domain document, read the way xml2args reads a file: it
 * goes to a memfd named by its /proc/self/fd path, which is a regular
 * file to the reader and costs no disk.  For every document:
 *
 *  - the libvirt hook's reader (--host-needs) and xml2args's both run;
 *    they may refuse, never crash;
 *  - a domain xml2args accepts gives flags that "mirrorvm run" accepts and
 *    lays out (xml2args promised that by laying it out);
 *  - those flags through args2xml give a domain that xml2args accepts
 *    again, with the same flags: xml2args -> args2xml -> xml2args is the
 *    identity on what xml2args prints.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "cli.h"
#include "domain-xml.h"
#include "layout.h"

struct memfile {
	int fd;
	char path[64];
};

static struct memfile input, again;

static void memfile_open(struct memfile *m, const char *name)
{
	m->fd = memfd_create(name, MFD_CLOEXEC);
	if (m->fd < 0) {
		perror("memfd_create");
		exit(1);
	}
	snprintf(m->path, sizeof(m->path), "/proc/self/fd/%d", m->fd);
}

static void memfile_set(struct memfile *m, const void *data, size_t size)
{
	FUZZ_ASSERT(ftruncate(m->fd, 0) == 0 && pwrite(m->fd, data, size, 0) == (ssize_t)size,
		    "writing the memfd");
}

/* xml2args: the domain at @path as its flags (0), or its refusal. */
static int xml2args(const char *path, struct flag_list *f, struct err *e)
{
	struct vm_spec spec;
	int ret;

	spec__init(&spec);
	ret = domain_xml__load_spec(path, true, &spec, e);
	if (!ret)
		ret = spec__to_flags(&spec, f, e);
	spec__free(&spec);
	return ret;
}

/* args2xml: flags -> spec -> laid out -> the domain text (in @xml). */
static void args2xml(struct flag_list *f, char **xml, size_t *len)
{
	static struct layout lay;
	struct vm_spec spec;
	struct run_opts opts;
	struct err e = { "" };
	FILE *out;
	int ret;

	ret = cli__parse_spec(f->argc, f->argv, NULL, &spec, &opts, &e);
	FUZZ_ASSERT(ret == 0, "run refuses what xml2args printed: %s", e.msg);
	ret = layout__build(&spec, &lay, &e);
	FUZZ_ASSERT(ret == 0, "xml2args printed flags that do not lay out: %s", e.msg);
	out = open_memstream(xml, len);
	FUZZ_ASSERT(out, "open_memstream");
	ret = domain__write_xml(&spec, "fuzz", out, &e);
	FUZZ_ASSERT(fclose(out) == 0, "the memory stream");
	FUZZ_ASSERT(ret == 0, "args2xml refuses what xml2args printed: %s", e.msg);
	spec__free(&spec);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	memfile_open(&input, "fuzz-domain");
	memfile_open(&again, "fuzz-roundtrip");
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct flag_list first = { 0 }, second = { 0 };
	struct host_needs needs;
	struct err e = { "" };
	char *xml = NULL;
	size_t len = 0;
	int i;

	memfile_set(&input, data, size);
	if (domain__host_needs(input.path, &needs, &e) == 0)
		domain__free_host_needs(&needs);
	if (xml2args(input.path, &first, &e))
		goto out;
	args2xml(&first, &xml, &len);
	memfile_set(&again, xml, len);
	FUZZ_ASSERT(xml2args(again.path, &second, &e) == 0,
		    "xml2args refuses what args2xml wrote: %s\n%s", e.msg, xml);
	FUZZ_ASSERT(first.argc == second.argc, "%d flags, %d after the round trip\n%s",
		    first.argc, second.argc, xml);
	for (i = 1; i < first.argc; i++)
		FUZZ_ASSERT(!strcmp(first.argv[i], second.argv[i]),
			    "flag %d is '%s', '%s' after the round trip\n%s", i, first.argv[i],
			    second.argv[i], xml);
out:
	free(xml);
	flags__free(&first);
	flags__free(&second);
	return 0;
}
