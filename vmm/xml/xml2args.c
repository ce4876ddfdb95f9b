// SPDX-License-Identifier: GPL-2.0
/*
 * "mirrorvm xml2args DOMAIN.xml": the "mirrorvm run" flags for a libvirt
 * domain, one --flag=value word per line or shell-quoted on one line.  The
 * domain is converted and laid out first (domain_xml__load_spec), so an
 * inconsistent domain fails here and not at boot.
 */
#include <stdio.h>
#include <string.h>

#include "xml-plugin.h"
#include "domain-xml.h"

static void put_quoted(const char *s, FILE *out)
{
	const char *q;

	for (q = s; *q; q++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789_-+=,.:/@%", *q))
			break;
	if (*s && !*q) {
		fputs(s, out);
		return;
	}
	fputc('\'', out);
	for (q = s; *q; q++) {
		if (*q == '\'')
			fputs("'\\''", out);
		else
			fputc(*q, out);
	}
	fputc('\'', out);
}

static void xml2args_usage(FILE *out)
{
	fputs("usage: mirrorvm xml2args [--shell] DOMAIN.xml\n"
	      "       mirrorvm xml2args --host-needs DOMAIN.xml\n"
	      "\n"
	      "Prints the \"mirrorvm run\" flags for a libvirt domain, one --flag=value\n"
	      "per line (with --shell: one shell-quoted line).  DOMAIN.xml may be - for\n"
	      "stdin.  Parts of the domain that do not change the guest's memory are\n"
	      "listed in one warning on stderr; see docs/mirrorvm-xml.md.\n"
	      "\n"
	      "--host-needs prints what the domain asks of the host, for the libvirt\n"
	      "hook: reliable=yes|no, hotplug=yes|no, host-mirror=POLICY and one\n"
	      "\"nodeset=LINE LIST NODE...\" line per <numatune> nodeset.\n", out);
}

/*
 * The libvirt hook's input (libvirt-xml/hooks/mirrorvm): fixed keys, one a
 * line, values the shell needs no parsing for.
 */
static int print_host_needs(const char *path)
{
	static char list[IDSET_MAX * 5];
	struct host_needs needs;
	struct err e = { "" };
	unsigned int i;
	int id;

	if (domain__host_needs(path, &needs, &e)) {
		fprintf(stderr, "mirrorvm: %s\n", e.msg);
		return 1;
	}
	printf("reliable=%s\nhotplug=%s\nhost-mirror=%s\n", needs.reliable ? "yes" : "no",
	       needs.hotplug ? "yes" : "no", host_mirror_name(needs.host_mirror));
	for (i = 0; i < needs.nr_nodesets; i++) {
		const struct host_nodeset *ns = &needs.nodesets[i];

		idset_format(&ns->nodes, list, sizeof(list));
		printf("nodeset=%d %s", ns->line, list);
		for (id = 0; id < IDSET_MAX; id++)
			if (idset_has(&ns->nodes, id))
				printf(" %d", id);
		putchar('\n');
	}
	domain__free_host_needs(&needs);
	if (fflush(stdout)) {
		perror("mirrorvm: xml2args: stdout");
		return 1;
	}
	return 0;
}

int xml_cmd_xml2args(int argc, char **argv)
{
	struct flag_list f = { 0 };
	struct vm_spec spec;
	const char *path = NULL;
	struct err e = { "" };
	bool shell = false, needs = false;
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--shell") || !strcmp(argv[i], "-s")) {
			shell = true;
		} else if (!strcmp(argv[i], "--host-needs")) {
			needs = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			xml2args_usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "mirrorvm: xml2args: unknown flag %s\n", argv[i]);
			xml2args_usage(stderr);
			return 1;
		} else if (path) {
			fprintf(stderr, "mirrorvm: xml2args: one domain at a time\n");
			return 1;
		} else {
			path = argv[i];
		}
	}
	if (!path) {
		xml2args_usage(stderr);
		return 1;
	}
	if (needs && shell) {
		fprintf(stderr, "mirrorvm: xml2args: --host-needs prints no flags, so no --shell\n");
		return 1;
	}
	if (needs)
		return print_host_needs(path);
	spec__init(&spec);
	ret = domain_xml__load_spec(path, true, &spec, &e);
	if (!ret) {
		struct err sub;

		ret = spec__to_flags(&spec, &f, &sub);
		if (ret)
			err_set(&e, "%s: %s", path, sub.msg);
	}
	spec__free(&spec);
	if (ret) {
		fprintf(stderr, "mirrorvm: %s\n", e.msg);
		flags__free(&f);
		return 1;
	}
	for (i = 1; i < f.argc; i++) {
		if (!shell) {
			puts(f.argv[i]);
			continue;
		}
		if (i > 1)
			putchar(' ');
		put_quoted(f.argv[i], stdout);
	}
	if (shell && f.argc > 1)
		putchar('\n');
	flags__free(&f);
	if (fflush(stdout)) {
		perror("mirrorvm: xml2args: stdout");
		return 1;
	}
	return 0;
}
