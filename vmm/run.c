// SPDX-License-Identifier: GPL-2.0
/*
 * "mirrorvm run": flags -> layout -> engine check -> kernel image ->
 * firmware -> engine, in that order and no other (engine.h).  Each step
 * reads only what the steps before it produced.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "engine.h"

/* Everything one run builds, freed together. */
struct run {
	struct vm_spec spec;
	struct run_opts opts;
	struct layout lay;
	struct engine_plan plan;
	struct kernel_image kernel;
	struct fw_image fw;
};

static int dump_firmware(struct run *r, struct err *e)
{
	int ret = fw__build(&r->lay, NULL, &r->fw, e);

	if (!ret)
		ret = fw__dump(&r->fw, r->opts.dump_dir, e);
	if (!ret)
		ret = layout__write_json(&r->lay, r->opts.dump_dir, e);
	return ret;
}

static int run_guest(struct run *r, struct err *e)
{
	const struct engine *eng = engine__select(&r->opts, e);
	struct vm_image vm = {
		.lay = &r->lay, .opts = &r->opts, .kernel = &r->kernel, .fw = &r->fw,
		.plan = &r->plan,
	};
	int ret;

	if (!eng)
		return -EINVAL;
	startup_mark("engine selected");
	ret = eng->check(&r->lay, &r->opts, spec__cmdline(&r->spec), &r->plan, e);
	if (ret)
		return ret;
	if (r->opts.api_socket && !(eng->caps & ENGINE_CAP_API))
		return err_set(e, "--api-socket %s: the %s engine has no control socket (use --engine kvm)",
			       r->opts.api_socket, eng->name);
	/* asked for protection the engine cannot give: refuse; off: nothing to turn off */
	if (r->opts.seccomp == SECCOMP_ON && !(eng->caps & ENGINE_CAP_SECCOMP))
		return err_set(e, "--seccomp on: the %s engine has no system call filter of mirrorvm's (QEMU's own is its -sandbox option); use --engine kvm, or leave --seccomp out",
			       eng->name);
	if (r->opts.placement_report && !(eng->caps & ENGINE_CAP_PLACEMENT))
		warn("--placement-report %s: the %s engine cannot measure where guest memory lies; no report (use --engine kvm)",
		     r->opts.placement_report, eng->name);
	startup_mark("engine check");
	ret = kernel_image__prepare(&r->spec, &r->lay, r->plan.cmdline_extra, &r->kernel, e);
	if (ret)
		return ret;
	startup_mark("kernel image");
	if (r->kernel.elf && !(eng->caps & ENGINE_CAP_ELF_KERNEL))
		return err_set(e, "--kernel %s: the %s engine boots bzImages only (%s); use the bzImage or --engine kvm",
			       r->kernel.path, eng->name, eng->no_elf);
	ret = fw__build(&r->lay, &r->kernel.info, &r->fw, e);
	if (ret)
		return ret;
	startup_mark("firmware");
	return eng->run(&vm, e);
}

int cmd_run(int argc, char **argv)
{
	struct run *r = calloc(1, sizeof(*r));
	struct err e = { "" };
	int ret;

	startup_mark("main");
	if (!r)
		die("out of memory");
	r->kernel.fd = -1;
	ret = cli__parse_spec(argc, argv, domain_xml__run_loader, &r->spec, &r->opts, &e);
	if (ret == 1) {
		run_usage(stdout);
		ret = 0;
		goto out;
	}
	if (!ret)
		ret = layout__build(&r->spec, &r->lay, &e);
	startup_mark("flags and layout");
	if (!ret)
		ret = r->opts.dump_dir ? dump_firmware(r, &e) : run_guest(r, &e);
	if (ret < 0) {
		fprintf(stderr, "mirrorvm: %s\n", e.msg);
		ret = MVM_EXIT_ERROR;
	}
out:
	kernel_image__release(&r->kernel);
	fw__free(&r->fw);
	spec__free(&r->spec);
	free(r);
	return ret;
}
