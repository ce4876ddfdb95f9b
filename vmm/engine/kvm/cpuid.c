// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID: what KVM supports on this host, with a topology matching the
 * firmware's MADT and SRAT: APIC id == vCPU index, every vCPU its own
 * package with one core and one thread (as the QEMU engine's
 * -smp N,sockets=N,cores=1,threads=1).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm-vm.h"

#define CPUID_MAX_ENTRIES	512

#define CPUID1_EDX_HTT		(1U << 28)
#define CPUID1_ECX_HYPERVISOR	(1U << 31)
#define CPUID81_ECX_CMP_LEGACY	(1U << 1)
#define CPUID81_ECX_TOPOEXT	(1U << 22)

int kvm_cpuid__init(struct kvm_vm *vm, struct err *e)
{
	/* a guess that covers current hosts, so one call usually does it */
	unsigned int n = 256;

	for (;;) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c)
			return err_set(e, "out of memory");
		c->nent = n;
		if (!ioctl(vm->sys_fd, KVM_GET_SUPPORTED_CPUID, c)) {
			vm->cpuid = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG || n >= CPUID_MAX_ENTRIES)
			return err_set(e, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		n *= 2;
	}
}

static u32 max_leaf(const struct kvm_cpuid2 *c, u32 base)
{
	unsigned int i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == base)
			return c->entries[i].eax;
	return 0;
}

/* Leaf 0xB / 0x1F: SMT and core levels, one thread and one core each. */
static unsigned int add_topology(struct kvm_cpuid_entry2 *out, unsigned int k, u32 leaf,
				 u32 apic)
{
	static const struct { u32 ebx, ecx; } level[3] = {
		{ 1, (1 << 8) | 0 },	/* SMT */
		{ 1, (2 << 8) | 1 },	/* core */
		{ 0, 2 },		/* end */
	};
	unsigned int i;

	for (i = 0; i < 3; i++, k++) {
		memset(&out[k], 0, sizeof(out[k]));
		out[k].function = leaf;
		out[k].index = i;
		out[k].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
		out[k].eax = 0;		/* shift to the next level: nothing below */
		out[k].ebx = level[i].ebx;
		out[k].ecx = level[i].ecx;
		out[k].edx = apic;
	}
	return k;
}

int kvm_cpuid__set(struct kvm_vm *vm, struct kvm_vcpu *v, struct err *e)
{
	const struct kvm_cpuid2 *sup = vm->cpuid;
	u32 basic = max_leaf(sup, 0), apic = v->id;
	struct kvm_cpuid2 *c;
	unsigned int i, k = 0;
	int ret = 0;

	c = calloc(1, sizeof(*c) + (sup->nent + 6) * sizeof(c->entries[0]));
	if (!c)
		return err_set(e, "out of memory");
	for (i = 0; i < sup->nent; i++) {
		struct kvm_cpuid_entry2 x = sup->entries[i];

		switch (x.function) {
		case 1:
			x.ebx = (x.ebx & 0x0000ffff) | (1U << 16) | (apic << 24);
			x.edx &= ~CPUID1_EDX_HTT;
			/* KVM leaves this to userspace; without it no kvmclock. */
			x.ecx |= CPUID1_ECX_HYPERVISOR;
			break;
		case 4:
			/* cores per package - 1, threads sharing the cache - 1 */
			x.eax &= ~(0xfc000000U | 0x03ffc000U);
			break;
		case 0xb:
		case 0x1f:
			continue;	/* rebuilt below */
		case 0x80000001:
			x.ecx &= ~(CPUID81_ECX_CMP_LEGACY | CPUID81_ECX_TOPOEXT);
			break;
		case 0x80000008:
			x.ecx &= ~0xf0ffU;	/* one thread per package, legacy APIC ids */
			break;
		case 0x8000001e:
			continue;	/* TOPOEXT is off */
		}
		c->entries[k++] = x;
	}
	if (basic >= 0xb)
		k = add_topology(c->entries, k, 0xb, apic);
	if (basic >= 0x1f)
		k = add_topology(c->entries, k, 0x1f, apic);
	c->nent = k;
	if (ioctl(v->fd, KVM_SET_CPUID2, c))
		ret = err_set(e, "vCPU %u: KVM_SET_CPUID2: %s", v->id, strerror(errno));
	free(c);
	return ret;
}
