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
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "engine.h"
#include "host.h"
#include "live-update.h"
#include "pram.h"

/* Everything one run builds, freed together. */
struct run {
	struct vm_spec spec;
	struct run_opts opts;
	struct layout lay;
	struct engine_plan plan;
	struct kernel_image kernel;
	struct fw_image fw;
	struct flag_list guest_flags;
	/* --restore, --live-restore */
	u8 *state_buf;
	size_t state_len;
	struct state_reader state;
	struct vm_restore restore;
};

/* Reads @fd whole into r->state_buf (@what names it in messages). */
static int read_state_fd(struct run *r, int fd, const char *what, struct err *e)
{
	const char *flag = cli__restore_flag(&r->opts), *name = r->opts.restore_dir;
	struct stat st;
	u64 off;

	if (fstat(fd, &st))
		return err_set(e, "%s %s: %s: %s", flag, name, what, strerror(errno));
	if (st.st_size > (off_t)STATE_FILE_MAX)
		return err_set(e, "%s %s: %s: %lld bytes, larger than any state file", flag, name,
			       what, (long long)st.st_size);
	r->state_buf = malloc(st.st_size ? st.st_size : 1);
	if (!r->state_buf)
		return err_set(e, "out of memory");
	for (off = 0; off < (u64)st.st_size;) {
		ssize_t n = pread(fd, r->state_buf + off, st.st_size - off, off);

		if (n <= 0)
			return err_set(e, "%s %s: reading %s: %s", flag, name, what,
				       n < 0 ? strerror(errno) : "it shrank");
		off += n;
	}
	r->state_len = st.st_size;
	return 0;
}

/* The state in r->state_buf checked, and the guest's flags from it made into the spec. */
static int parse_state(struct run *r, struct err *e)
{
	const char *flag = cli__restore_flag(&r->opts), *name = r->opts.restore_dir;
	const struct state_section *s;
	struct err sub = { "" };
	char *argv[256];
	int argc = 0;
	u64 off;

	if (state_reader__parse(&r->state, r->state_buf, r->state_len, &sub))
		return err_set(e, "%s %s: %s: %s", flag, name, SNAPSHOT_STATE, sub.msg);
	s = state_reader__find(&r->state, SNAPSHOT_GUEST_FLAGS, 0);
	if (!s || !s->size || s->data[s->size - 1])
		return err_set(e, "%s %s: the state has no guest flags", flag, name);
	/* NUL-terminated words: the argv of the guest's own flags */
	argv[argc++] = "snapshot";
	for (off = 0; off < s->size && argc < (int)ARRAY_SIZE(argv) - 1; argc++) {
		argv[argc] = (char *)s->data + off;
		off += strlen(argv[argc]) + 1;
	}
	if (off < s->size)
		return err_set(e, "%s %s: the guest has more flags than mirrorvm takes", flag, name);
	argv[argc] = NULL;
	if (cli__spec_from_flags(argc, argv, &r->spec, &sub))
		return err_set(e, "%s %s: the saved guest flags: %s", flag, name, sub.msg);
	r->restore.dir = name;
	r->restore.state = &r->state;
	/* only the kvm engine takes snapshots: auto means it */
	r->opts.engine = ENGINE_KVM;
	return 0;
}

/*
 * The memory parts the state says the snapshot has, opened: all of them,
 * or an error naming the one that is missing.  A version-1 state has no
 * memory map: one part holds everything.
 */
static int open_memory_parts(struct run *r, const char *dir, struct err *e)
{
	const struct state_section *s = state_reader__find(&r->state, SNAPSHOT_MEMORY_MAP, 0);
	char name[32], path[4096];
	unsigned int i, parts = 1;

	if (s || r->state.version != 1) {
		if (!s || s->size < 4)
			return err_set(e, "--restore %s: the state does not say how many memory files there are%s",
				       dir, state_reader__find(&r->state, SNAPSHOT_LIVE_SLOTS, 0) ?
				       " (it is a live update's: use --live-restore)" : "");
		/* the memory map starts with the count; the engine checks the rest */
		parts = get_le32(s->data);
		if (!parts || parts > SNAPSHOT_MAX_PARTS)
			return err_set(e, "--restore %s: the state says %u memory files, a snapshot has 1 to %u",
				       dir, parts, SNAPSHOT_MAX_PARTS);
		r->restore.memory_map = s->data;
		r->restore.memory_map_len = s->size;
	}
	for (i = 0; i < parts; i++) {
		snapshot__part_name(name, sizeof(name), i);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		r->restore.memory_fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (r->restore.memory_fds[i] < 0)
			return err_set(e, "--restore %s: %s: %s", dir, path, strerror(errno));
		r->restore.nr_memory_parts = i + 1;
	}
	return 0;
}

/*
 * --restore DIR: the state file read whole and checked, the guest's flags
 * from it made into the spec, the memory parts opened.  Nothing runs if
 * any of it is wrong.
 */
static int read_snapshot(struct run *r, struct err *e)
{
	const char *dir = r->opts.restore_dir;
	char path[4096];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", dir, SNAPSHOT_STATE);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, "--restore %s: %s: %s", dir, path, strerror(errno));
	ret = read_state_fd(r, fd, path, e);
	close(fd);
	if (!ret)
		ret = parse_state(r, e);
	if (ret)
		return ret;
	return open_memory_parts(r, dir, e);
}

/*
 * --live-restore NAME: the state and the RAM memfds that live-update NAME
 * preserved, retrieved from PRAM; the memfds are mapped as they are, not
 * copied.  Anything missing or refused: nothing runs.
 */
static int read_live_update(struct run *r, struct err *e)
{
	const char *name = r->opts.restore_dir;
	const struct state_section *s;
	struct pram_retrieve_fd got;
	struct err sub = { "" };
	unsigned int i, nr = 0;
	u64 t0 = mono_ms(), bytes = 0;
	int dev, ret;

	r->restore.live = true;
	if (live_update__check_name(name, &sub))
		return err_set(e, "--live-restore %s: %s", name, sub.msg);
	dev = pram__open(&sub);
	if (dev < 0)
		return err_set(e, "--live-restore %s: %s", name, sub.msg);
	ret = pram__retrieve(dev, live_update__token(name, LIVE_UPDATE_STATE_INDEX), &got, &sub);
	if (ret == -ENOENT)
		ret = err_set(e, "--live-restore %s: no VM of that name was preserved for this kernel (was it booted with pram=? restored already?)",
			      name);
	else if (ret)
		ret = err_set(e, "--live-restore %s: %s", name, sub.msg);
	if (!ret) {
		ret = read_state_fd(r, got.fd, "the state memfd", e);
		close(got.fd);
	}
	if (!ret)
		ret = parse_state(r, e);
	s = ret ? NULL : state_reader__find(&r->state, SNAPSHOT_LIVE_SLOTS, 0);
	if (!ret && (!s || s->size > MAX_SLOTS))
		ret = err_set(e, "--live-restore %s: the state does not list the RAM slots it preserved",
			      name);
	for (i = 0; !ret && i < s->size; i++) {
		if (!s->data[i])
			continue;
		ret = pram__retrieve(dev, live_update__token(name, i), &got, &sub);
		if (ret == -ENOENT)
			ret = err_set(e, "--live-restore %s: the memfd of RAM slot %u is not in PRAM",
				      name, i);
		else if (ret)
			ret = err_set(e, "--live-restore %s: RAM slot %u: %s", name, i, sub.msg);
		else {
			r->restore.ram_fds[i] = got.fd;
			r->restore.ram_mirror[i] = got.flags & PRAM_FD_MIRROR;
			bytes += got.size;
			nr++;
		}
	}
	close(dev);
	if (!ret)
		info("live restore %s: %u memfds (%llu MiB) taken back in place in %llu ms", name, nr,
		     (unsigned long long)(bytes >> 20), (unsigned long long)(mono_ms() - t0));
	return ret;
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
	unsigned int i;
	int ret;

	startup_mark("main");
	if (!r)
		die("out of memory");
	r->kernel.fd = -1;
	for (i = 0; i < MAX_SLOTS; i++)
		r->restore.ram_fds[i] = -1;
	ret = cli__parse_spec(argc, argv, domain_xml__run_loader, &r->spec, &r->opts, &e);
	if (ret == 1) {
		run_usage(stdout);
		ret = 0;
		goto out;
	}
	if (!ret && r->opts.restore_dir)
		ret = r->opts.live_restore ? read_live_update(r, &e) : read_snapshot(r, &e);
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
	for (i = 0; i < r->restore.nr_memory_parts; i++)
		close(r->restore.memory_fds[i]);
	for (i = 0; i < MAX_SLOTS; i++)
		if (r->restore.ram_fds[i] >= 0)
			close(r->restore.ram_fds[i]);
	free(r);
	return ret;
}
