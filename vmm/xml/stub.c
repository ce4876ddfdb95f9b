// SPDX-License-Identifier: GPL-2.0
/* Placeholder until the libvirt XML converter lands (issue 5). */
#include <stdio.h>

#include "commands.h"

int cmd_xml2args(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mirrorvm: xml2args is not implemented yet\n");
	return 1;
}

int cmd_args2xml(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mirrorvm: args2xml is not implemented yet\n");
	return 1;
}

int run_apply_domain_xml(struct vm_config *cfg, int argc, char **argv, struct err *e)
{
	(void)cfg;
	(void)argc;
	(void)argv;
	return err_set(e, "--domain-xml is not implemented yet");
}
