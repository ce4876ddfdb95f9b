// SPDX-License-Identifier: GPL-2.0
/* mirrorvm: subcommand dispatch and "mirrorvm run". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "commands.h"

static void usage(FILE *out)
{
	fputs("usage: mirrorvm <command> [flags]\n"
	      "\n"
	      "commands:\n"
	      "  run        boot a guest (mirrorvm run --help)\n"
	      "  xml2args   print the run flags for a libvirt domain XML\n"
	      "  args2xml   print a libvirt domain XML for run flags\n"
	      "  ctl        send a command to a running guest's control socket\n"
	      "  kexec      replace the host kernel, keeping its mirrored ranges\n"
	      "  version    print the version\n"
	      "  help       this text\n"
	      "\n"
	      "See mirrorvm(1).\n", out);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "xml2args"))
		return cmd_xml2args(argc - 1, argv + 1);
	if (!strcmp(cmd, "args2xml"))
		return cmd_args2xml(argc - 1, argv + 1);
	if (!strcmp(cmd, "ctl"))
		return cmd_ctl(argc - 1, argv + 1);
	if (!strcmp(cmd, "kexec"))
		return cmd_kexec(argc - 1, argv + 1);
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("mirrorvm %s\n", MIRRORVM_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "mirrorvm: unknown command '%s'\n", cmd);
	usage(stderr);
	return 1;
}
