// SPDX-License-Identifier: GPL-2.0
/*
 * "mirrorvm run": flags -> layout -> engine check -> kernel image ->
 * firmware -> engine, in that order and no other (engine.h).  Each step
 * reads only what the steps before it produced.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	struct flag_list guest_flags;
	/* --restore */
	u8 *state_buf;
	struct state_reader state;
	struct vm_restore restore;
};

/*
 * --restore DIR: the state file read whole and checked, the guest's flags
 * from it made into the spec, the memory file opened.  Nothing runs if
 * any of it is wrong.
 */
static int read_snapshot(struct run *r, struct err *e)
{
	const char *dir = r->opts.restore_dir;
	const struct state_section *s;
	char path[4096], *argv[256];
	struct err sub = { "" };
	int fd, argc = 0, ret;
	struct stat st;
	u64 off;

	r->restore.memory_fd = -1;
	snprintf(path, sizeof(path), "%s/%s", dir, SNAPSHOT_STATE);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, "--restore %s: %s: %s", dir, path, strerror(errno));
	if (fstat(fd, &st)) {
		close(fd);
		return err_set(e, "--restore %s: %s: %s", dir, path, strerror(errno));
	}
	if (st.st_size > (off_t)STATE_FILE_MAX) {
		close(fd);
		return err_set(e, "--restore %s: %s: %lld bytes, larger than any state file", dir,
			       path, (long long)st.st_size);
	}
	r->state_buf = malloc(st.st_size ? st.st_size : 1);
	if (!r->state_buf) {
		close(fd);
		return err_set(e, "out of memory");
	}
	for (off = 0; off < (u64)st.st_size;) {
		ssize_t n = pread(fd, r->state_buf + off, st.st_size - off, off);

		if (n <= 0) {
			close(fd);
			return err_set(e, "--restore %s: reading %s: %s", dir, path,
				       n < 0 ? strerror(errno) : "it shrank");
		}
		off += n;
	}
	close(fd);
	if (state_reader__parse(&r->state, r->state_buf, st.st_size, &sub))
		return err_set(e, "--restore %s: %s: %s", dir, SNAPSHOT_STATE, sub.msg);
	s = state_reader__find(&r->state, SNAPSHOT_GUEST_FLAGS, 0);
	if (!s || !s->size || s->data[s->size - 1])
		return err_set(e, "--restore %s: the state has no guest flags", dir);
	/* NUL-terminated words: the argv of the guest's own flags */
	argv[argc++] = "snapshot";
	for (off = 0; off < s->size && argc < (int)ARRAY_SIZE(argv) - 1; argc++) {
		argv[argc] = (char *)s->data + off;
		off += strlen(argv[argc]) + 1;
	}
	if (off < s->size)
		return err_set(e, "--restore %s: the guest has more flags than mirrorvm takes", dir);
	argv[argc] = NULL;
	ret = cli__spec_from_flags(argc, argv, &r->spec, &sub);
	if (ret)
		return err_set(e, "--restore %s: the snapshot's guest flags: %s", dir, sub.msg);
	snprintf(path, sizeof(path), "%s/%s", dir, SNAPSHOT_MEMORY);
	r->restore.memory_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->restore.memory_fd < 0)
		return err_set(e, "--restore %s: %s: %s", dir, path, strerror(errno));
	r->restore.dir = dir;
	r->restore.state = &r->state;
	/* only the kvm engine takes snapshots: auto means it */
	r->opts.engine = ENGINE_KVM;
	return 0;
}

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
	bool restore = r->opts.restore_dir;
	struct vm_image vm = {
		.lay = &r->lay, .opts = &r->opts, .kernel = restore ? NULL : &r->kernel,
		.fw = restore ? NULL : &r->fw, .plan = &r->plan, .guest_flags = &r->guest_flags,
		.restore = restore ? &r->restore : NULL,
	};
	int ret;

	if (!eng)
		return -EINVAL;
	ret = spec__to_flags(&r->spec, &r->guest_flags, e);
	if (ret)
		return ret;
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
	/* a restored guest's kernel, initrd and firmware are in its memory */
	if (restore)
		return eng->run(&vm, e);
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
	if (!ret && r->opts.restore_dir)
		ret = read_snapshot(r, &e);
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
	flags__free(&r->guest_flags);
	state_reader__free(&r->state);
	free(r->state_buf);
	if (r->restore.memory_fd > 0)
		close(r->restore.memory_fd);
	free(r);
	return ret;
}
