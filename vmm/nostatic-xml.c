// SPDX-License-Identifier: GPL-2.0
/*
 * build/mirrorvm-static leaves out the libvirt XML converter (vmm/xml/):
 * libxml2 links statically only with ICU's 30 MB of data, too much for the
 * nested tests' initramfs.  These stand-ins say so.
 */
#include <stdio.h>

#include "commands.h"

#define NOT_HERE "is not in this build (mirrorvm-static has no libvirt XML support; use build/mirrorvm)"

int cmd_xml2args(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mirrorvm: xml2args " NOT_HERE "\n");
	return 1;
}

int cmd_args2xml(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mirrorvm: args2xml " NOT_HERE "\n");
	return 1;
}

int domain_xml__run_loader(const char *path, struct vm_spec *spec, struct err *e)
{
	(void)spec;
	return err_set(e, "--domain-xml %s: " NOT_HERE, path);
}
