// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-floor - the least a VMM must do before the first KVM_RUN of the guest
 * scripts/bench-startup.sh measures (4 GiB in two NUMA nodes, one vCPU):
 * the floor that mirrorvm's start-up time is compared with.
 *
 *   open /dev/kvm, KVM_GET_API_VERSION, KVM_CREATE_VM,
 *   KVM_SET_IDENTITY_MAP_ADDR and KVM_SET_TSS_ADDR (Intel needs them for
 *   real mode; mirrorvm and QEMU make both calls), KVM_CREATE_IRQCHIP,
 *   KVM_CREATE_PIT2,
 *   guest RAM as mirrorvm lays it out: node 0 [0, 2G), node 1 [2G, 3G)
 *   and [4G, 5G) (RAM that would enter the PCI hole [3G, 4G) continues at
 *   4G), each piece its own anonymous MAP_NORESERVE mapping and memory slot,
 *   KVM_GET_SUPPORTED_CPUID, KVM_GET_VCPU_MMAP_SIZE, KVM_CREATE_VCPU, the
 *   kvm_run mapping, KVM_SET_CPUID2 with what KVM supports,
 *   KVM_RUN.
 *
 * No registers are set, no image is loaded: launch stops the process at its
 * first KVM_RUN.  Run alone, the vCPU starts at the reset vector, where no
 * memory is, and the first exit ends the program (status 0).  Built static,
 * as the lower bound: no dynamic loading at all.
 *
 *   kvm-floor [--phases]   --phases: milliseconds since main() for each
 *                          step on stderr, just before KVM_RUN
 *   kvm-floor --probe      exits 0 when /dev/kvm is KVM (KVM_CREATE_VM works)
 *   kvm-floor --hold       creates a VM and sleeps until killed: while one VM
 *                          exists, creating and destroying others does not
 *                          flip the kernel's preempt-notifier static key
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define GIB		(1ULL << 30)
#define CPUID_MAX	256

static const struct {
	uint64_t gpa, size;
} slots[] = {
	{ 0, 2 * GIB },		/* node 0 */
	{ 2 * GIB, 1 * GIB },	/* node 1, below the PCI hole */
	{ 4 * GIB, 1 * GIB },	/* node 1, above 4 GiB */
};

static struct {
	const char *name;
	double ms;
} phase[16];
static unsigned int nr_phases;
static struct timespec start;

static void mark(const char *name)
{
	struct timespec t;

	if (nr_phases >= sizeof(phase) / sizeof(phase[0]))
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	phase[nr_phases].name = name;
	phase[nr_phases++].ms = (t.tv_sec - start.tv_sec) * 1e3 + (t.tv_nsec - start.tv_nsec) / 1e6;
}

static void __attribute__((noreturn)) fail(const char *what)
{
	fprintf(stderr, "kvm-floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t ident = 0xfffbc000ULL;
	struct kvm_cpuid2 *cpuid;
	struct kvm_run *run;
	int sys, vm, vcpu, size, verbose = argc > 1 && !strcmp(argv[1], "--phases");
	unsigned int i;

	clock_gettime(CLOCK_MONOTONIC, &start);
	sys = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (sys < 0)
		fail("/dev/kvm");
	if (ioctl(sys, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		fail("KVM_GET_API_VERSION");
	do {
		vm = ioctl(sys, KVM_CREATE_VM, 0);
	} while (vm < 0 && errno == EINTR);
	if (vm < 0)
		fail("KVM_CREATE_VM");
	if (argc > 1 && !strcmp(argv[1], "--probe"))
		return 0;
	if (argc > 1 && !strcmp(argv[1], "--hold"))
		for (;;)
			pause();
	mark("open /dev/kvm, KVM_CREATE_VM");
	if (ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &ident))
		fail("KVM_SET_IDENTITY_MAP_ADDR");
	if (ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000UL))
		fail("KVM_SET_TSS_ADDR");
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0))
		fail("KVM_CREATE_IRQCHIP");
	if (ioctl(vm, KVM_CREATE_PIT2, &pit))
		fail("KVM_CREATE_PIT2");
	mark("TSS, identity map, irqchip, PIT");
	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		struct kvm_userspace_memory_region r = {
			.slot = i,
			.guest_phys_addr = slots[i].gpa,
			.memory_size = slots[i].size,
		};
		void *p = mmap(NULL, slots[i].size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED)
			fail("mmap");
		r.userspace_addr = (uintptr_t)p;
		if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r))
			fail("KVM_SET_USER_MEMORY_REGION");
	}
	mark("3 RAM mappings and memory slots");
	cpuid = calloc(1, sizeof(*cpuid) + CPUID_MAX * sizeof(cpuid->entries[0]));
	if (!cpuid)
		fail("calloc");
	cpuid->nent = CPUID_MAX;
	if (ioctl(sys, KVM_GET_SUPPORTED_CPUID, cpuid))
		fail("KVM_GET_SUPPORTED_CPUID");
	size = ioctl(sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(*run))
		fail("KVM_GET_VCPU_MMAP_SIZE");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		fail("KVM_CREATE_VCPU");
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		fail("mmap of kvm_run");
	if (ioctl(vcpu, KVM_SET_CPUID2, cpuid))
		fail("KVM_SET_CPUID2");
	mark("vCPU with CPUID");
	if (verbose)
		for (i = 0; i < nr_phases; i++)
			fprintf(stderr, "kvm-floor: %7.3f ms  %s (%.3f ms)\n", phase[i].ms,
				phase[i].name, phase[i].ms - (i ? phase[i - 1].ms : 0));
	if (ioctl(vcpu, KVM_RUN, 0))
		fail("KVM_RUN");
	printf("kvm-floor: KVM_RUN returned, exit reason %u\n", run->exit_reason);
	return 0;
}
