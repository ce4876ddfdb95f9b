// SPDX-License-Identifier: GPL-2.0
/* mirrorvm: subcommand dispatch and "mirrorvm run". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "commands.h"
#include "engine.h"

#ifndef MIRRORVM_VERSION
#define MIRRORVM_VERSION "0.1"
#endif

static void usage(FILE *out)
{
	fputs("usage: mirrorvm <command> [flags]\n"
	      "\n"
	      "commands:\n"
	      "  run        boot a guest (mirrorvm run --help)\n"
	      "  xml2args   print the run flags for a libvirt domain XML\n"
	      "  args2xml   print a libvirt domain XML for run flags\n"
	      "  version    print the version\n"
	      "  help       this text\n"
	      "\n"
	      "See mirrorvm(1).\n", out);
}

/* Flags -> layout -> firmware -> engine, in that order and no other. */
static int cmd_run(int argc, char **argv)
{
	static struct vm_config cfg;
	static struct layout lay;
	static struct fw_image fw;
	static struct kernel_image kernel;
	struct vm vm = { &cfg, &lay, &fw, &kernel };
	struct err e = { "" };
	static char cmdline[FW_CMDLINE_MAX + 64];
	const char *hint;
	char why[160];
	bool use_kvm = false;
	int ret;

	config__init(&cfg);
	ret = config__parse_run(&cfg, argc, argv, &e);
	if (ret == 1) {
		run_usage(stdout);
		return 0;
	}
	if (ret)
		die("%s", e.msg);
	if (cfg.domain_xml) {
		ret = run_apply_domain_xml(&cfg, argc, argv, &e);
		if (ret)
			die("%s", e.msg);
	}
	if (layout__build(&cfg, &lay, &e))
		die("%s", e.msg);

	if (cfg.dump_dir) {
		if (fw__build(&lay, NULL, &fw, &e) || fw__dump(&fw, cfg.dump_dir, &e))
			die("%s", e.msg);
		return 0;
	}

	switch (cfg.engine) {
	case ENGINE_KVM:
		if (!kvm_available(why, sizeof(why)))
			die("--engine kvm: %s", why);
		if (!kvm_can_boot_linux(why, sizeof(why)))
			warn("--engine kvm: %s; the guest will likely fail", why);
		use_kvm = true;
		break;
	case ENGINE_AUTO:
		use_kvm = kvm_can_boot_linux(why, sizeof(why));
		info("engine auto: using %s (KVM here: %s)", use_kvm ? "kvm" : "qemu", why);
		break;
	case ENGINE_QEMU:
		break;
	}
	/* The TCG TSC hint concerns the QEMU engine only. */
	hint = use_kvm ? "" : qemu_engine__cmdline_hint(&cfg);
	if (*hint) {
		snprintf(cmdline, sizeof(cmdline), "%s%s%s", cfg.cmdline,
			 *cfg.cmdline ? " " : "", hint);
		cfg.cmdline = cmdline;
		info("qemu engine (TCG): appended %s to the kernel command line (TCG guests cannot calibrate their TSC reliably)",
		     hint);
	}

	if (boot__prepare(&cfg, &lay, &kernel, &e))
		die("%s", e.msg);
	if (fw__build(&lay, &kernel.info, &fw, &e))
		die("%s", e.msg);

	ret = use_kvm ? kvm_engine__run(&vm, &e) : qemu_engine__run(&vm, &e);
	boot__release(&kernel);
	if (ret < 0)
		die("%s", e.msg);
	return ret;
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
