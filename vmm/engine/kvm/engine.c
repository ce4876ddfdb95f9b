// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM engine's entry points: what it checks before anything is loaded
 * or built, and its run step (the VM's lifecycle is vm.c's).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm-vm.h"

/* What the engine needs of /dev/kvm, checked once before the VM exists. */
static const struct {
	int cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
	/* pause completes in-flight I/O by re-entering with immediate_exit */
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
};

static int check_kvm(unsigned int nr_slots, struct err *e)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	unsigned int i;
	int v, ret = 0;

	if (fd < 0)
		return err_set(e, "--engine kvm: /dev/kvm: %s", strerror(errno));
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION)
		ret = err_set(e, "/dev/kvm: API version %d, need %d", v, KVM_API_VERSION);
	for (i = 0; !ret && i < ARRAY_SIZE(required_caps); i++)
		if (ioctl(fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0)
			ret = err_set(e, "/dev/kvm lacks %s", required_caps[i].name);
	if (!ret) {
		v = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
		if (v > 0 && nr_slots > (unsigned int)v)
			ret = err_set(e, "the layout needs %u memory slots, /dev/kvm has %d",
				      nr_slots, v);
	}
	close(fd);
	return ret;
}

static void format_reliable(const struct layout *lay, char *buf, size_t len)
{
	size_t pos = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < lay->nr_reliable && pos < len; i++) {
		const struct addr_range *r = &lay->reliable[i];

		pos += snprintf(buf + pos, len - pos, "%s[0x%llx-0x%llx)", i ? " " : "",
				(unsigned long long)r->start,
				(unsigned long long)range_end(r));
	}
}

/* --host-mirror: whether reliable ranges can come from host mirrored memory. */
static int decide_host_mirror(const struct layout *lay, struct engine_plan *plan,
			      struct err *e)
{
	struct host_mirror *hm = &plan->hm;
	char ranges[400];

	plan->host_mirror = false;
	memset(hm, 0, sizeof(*hm));
	hm->method = HOST_MIRROR_NONE;
	if (!lay->nr_reliable || lay->host_mirror == HOST_MIRROR_OFF) {
		snprintf(hm->why, sizeof(hm->why), "%s",
			 lay->nr_reliable ? "--host-mirror=off" : "the guest has no reliable ranges");
		return 0;
	}
	host_mirror__detect(hm);
	format_reliable(lay, ranges, sizeof(ranges));
	if (hm->method == HOST_MIRROR_NONE) {
		if (lay->host_mirror == HOST_MIRROR_REQUIRED)
			return err_set(e, "--host-mirror=required: %s", hm->why);
		warn("--host-mirror=preferred: reliable guest ranges %s are not backed by host mirrored memory: %s",
		     ranges, hm->why);
		return 0;
	}
	info("kvm: reliable guest ranges %s: %s", ranges, hm->why);
	plan->host_mirror = true;
	return 0;
}

static int kvm_check(const struct layout *lay, const struct run_opts *opts,
		     const char *cmdline, struct engine_plan *plan, struct err *e)
{
	struct mem_slot *slots = calloc(MAX_SLOTS, sizeof(*slots));
	unsigned int nr;
	int ret;

	(void)opts;
	(void)cmdline;
	if (!slots)
		return err_set(e, "out of memory");
	nr = layout__slots(lay, slots, MAX_SLOTS);
	ret = check_kvm(nr, e);
	if (!ret)
		ret = decide_host_mirror(lay, plan, e);
	if (!ret)
		ret = backing__check(lay, slots, nr, plan->host_mirror, e);
	free(slots);
	return ret;
}

static int kvm_run(const struct vm_image *image, struct err *e)
{
	const char *report_path = image->opts->placement_report;
	FILE *report = NULL;
	struct kvm_vm *vm;
	struct err sub;
	int ret;

	/* before the guest starts: the system call filter creates no files */
	if (report_path) {
		report = placement__open(report_path, e);
		if (!report)
			return -EINVAL;
	}
	ret = kvm_vm__create(&vm, image, e);
	if (!ret)
		ret = image->restore ? kvm_snapshot__load(vm, e) : kvm_vm__boot(vm, e);
	if (!ret)
		ret = kvm_vm__run(vm, e);
	if (ret >= 0 && report) {
		if (placement__report(image->lay, &image->plan->hm, vm->ram, vm->nr_ram,
				      report, report_path, &sub)) {
			warn("%s", sub.msg);
			if (ret == MVM_EXIT_OK)
				ret = MVM_EXIT_ERROR;
		}
		report = NULL;
	}
	if (report && report != stderr)
		fclose(report);
	kvm_vm__destroy(vm);
	return ret;
}

const struct engine kvm_engine = {
	.name = "kvm",
	.caps = ENGINE_CAP_ELF_KERNEL | ENGINE_CAP_HOST_MIRROR | ENGINE_CAP_PLACEMENT |
		ENGINE_CAP_API | ENGINE_CAP_SECCOMP,
	.check = kvm_check,
	.run = kvm_run,
};
