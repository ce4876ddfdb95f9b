// SPDX-License-Identifier: GPL-2.0
/* "mirrorvm run": flags -> layout -> firmware -> engine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "commands.h"
#include "engine.h"

int cmd_run(int argc, char **argv)
{
	static struct vm_spec spec;
	static struct run_opts opts;
	static struct layout lay;
	static struct fw_image fw;
	static struct kernel_image kernel;
	struct vm vm = { &opts, &lay, &fw, &kernel };
	struct err e = { "" };
	static char cmdline[FW_CMDLINE_MAX + 64];
	const char *hint;
	char why[160];
	bool use_kvm = false;
	int ret;

	ret = cli__parse_spec(argc, argv, domain_xml__run_loader, &spec, &opts, &e);
	if (ret == 1) {
		run_usage(stdout);
		return 0;
	}
	if (ret)
		die("%s", e.msg);
	if (layout__build(&spec, &lay, &e))
		die("%s", e.msg);

	if (opts.dump_dir) {
		if (fw__build(&lay, NULL, &fw, &e) || fw__dump(&fw, opts.dump_dir, &e))
			die("%s", e.msg);
		return 0;
	}

	switch (opts.engine) {
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
	hint = use_kvm ? "" : qemu_engine__cmdline_hint(&opts, spec__cmdline(&spec));
	if (*hint) {
		snprintf(cmdline, sizeof(cmdline), "%s%s%s", spec__cmdline(&spec),
			 *spec__cmdline(&spec) ? " " : "", hint);
		if (spec__set_string(&spec.cmdline, cmdline, &e))
			die("%s", e.msg);
		info("qemu engine (TCG): appended %s to the kernel command line (TCG guests cannot calibrate their TSC reliably)",
		     hint);
	}

	if (boot__prepare(&spec, &lay, &kernel, &e))
		die("%s", e.msg);
	if (fw__build(&lay, &kernel.info, &fw, &e))
		die("%s", e.msg);

	ret = use_kvm ? kvm_engine__run(&vm, &e) : qemu_engine__run(&vm, &e);
	boot__release(&kernel);
	if (ret < 0)
		die("%s", e.msg);
	return ret;
}
