// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of vmm/engine/kvm/kvm-state.c on this machine's /dev/kvm (SKIP
 * without one): a VM and vCPU given distinctive state are saved, a second
 * VM loads the state, and saving that one gives the same state back
 * (clocks and counters only moved forward); a state that lacks a section,
 * has a wrong size, an MSR this KVM does not save or another TSC rate is
 * refused before the vCPU is touched.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kvm-state.h"
#include "unit.h"

#define MSR_IA32_TSC		0x10
#define MSR_IA32_SYSENTER_CS	0x174
#define MSR_LSTAR		0xc0000082
#define APIC_TPR		0x80

static int sys_fd = -1;

struct vm {
	int fd, vcpu;
};

static int make_vm(struct vm *v)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	struct kvm_cpuid2 *cpuid;
	int ret = -1;

	v->fd = ioctl(sys_fd, KVM_CREATE_VM, 0);
	if (v->fd < 0)
		return -1;
	v->vcpu = -1;
	if (ioctl(v->fd, KVM_SET_TSS_ADDR, 0xfffbd000) || ioctl(v->fd, KVM_CREATE_IRQCHIP, 0) ||
	    ioctl(v->fd, KVM_CREATE_PIT2, &pit))
		return -1;
	v->vcpu = ioctl(v->fd, KVM_CREATE_VCPU, 0);
	cpuid = calloc(1, sizeof(*cpuid) + 256 * sizeof(cpuid->entries[0]));
	if (v->vcpu >= 0 && cpuid) {
		cpuid->nent = 256;
		if (!ioctl(sys_fd, KVM_GET_SUPPORTED_CPUID, cpuid) &&
		    !ioctl(v->vcpu, KVM_SET_CPUID2, cpuid))
			ret = 0;
	}
	free(cpuid);
	return ret;
}

static void free_vm(struct vm *v)
{
	if (v->vcpu >= 0)
		close(v->vcpu);
	if (v->fd >= 0)
		close(v->fd);
}

static int set_msr(int vcpu, u32 index, u64 data)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e = { .index = index, .data = data } };

	return ioctl(vcpu, KVM_SET_MSRS, &m) == 1 ? 0 : -1;
}

/* Gives VM @v state that no fresh VM has. */
static void make_distinctive(struct vm *v)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_debugregs dbg;
	struct kvm_lapic_state lapic;
	struct kvm_irqchip pic = { .chip_id = KVM_IRQCHIP_PIC_MASTER };
	struct kvm_irqchip ioapic = { .chip_id = KVM_IRQCHIP_IOAPIC };
	struct kvm_clock_data clock = { .clock = 5000000000ULL };

	CHECK(!ioctl(v->vcpu, KVM_GET_REGS, &regs), "GET_REGS");
	regs.rax = 0x1122334455667788ULL;
	regs.r15 = 0x0f0f0f0f0f0f0f0fULL;
	regs.rip = 0xfff0;
	regs.rflags = 0x2 | 0x40;
	CHECK(!ioctl(v->vcpu, KVM_SET_REGS, &regs), "SET_REGS");
	CHECK(!ioctl(v->vcpu, KVM_GET_SREGS, &sregs), "GET_SREGS");
	sregs.cr2 = 0xdeadbeef000ULL;
	CHECK(!ioctl(v->vcpu, KVM_SET_SREGS, &sregs), "SET_SREGS");
	CHECK(!ioctl(v->vcpu, KVM_GET_DEBUGREGS, &dbg), "GET_DEBUGREGS");
	dbg.db[0] = 0x1000;
	dbg.db[3] = 0x4000;
	CHECK(!ioctl(v->vcpu, KVM_SET_DEBUGREGS, &dbg), "SET_DEBUGREGS");
	CHECK(!ioctl(v->vcpu, KVM_GET_LAPIC, &lapic), "GET_LAPIC");
	lapic.regs[APIC_TPR] = 0x30;
	CHECK(!ioctl(v->vcpu, KVM_SET_LAPIC, &lapic), "SET_LAPIC");
	CHECK(!set_msr(v->vcpu, MSR_LSTAR, 0xffffffff81234560ULL), "LSTAR");
	CHECK(!set_msr(v->vcpu, MSR_IA32_SYSENTER_CS, 0x10), "SYSENTER_CS");
	CHECK(!set_msr(v->vcpu, MSR_IA32_TSC, 1000000000000ULL), "TSC");
	CHECK(!ioctl(v->fd, KVM_GET_IRQCHIP, &pic), "GET_IRQCHIP");
	pic.chip.pic.imr = 0xfa;
	CHECK(!ioctl(v->fd, KVM_SET_IRQCHIP, &pic), "SET_IRQCHIP");
	CHECK(!ioctl(v->fd, KVM_GET_IRQCHIP, &ioapic), "GET_IRQCHIP");
	ioapic.chip.ioapic.redirtbl[5].bits = 0x10045;	/* masked, vector 0x45 */
	CHECK(!ioctl(v->fd, KVM_SET_IRQCHIP, &ioapic), "SET_IRQCHIP");
	CHECK(!ioctl(v->fd, KVM_SET_CLOCK, &clock), "SET_CLOCK");
}

/* Saves @v whole into a parsed state (@file holds its bytes). */
static int save(struct vm *v, u8 **file, struct state_reader *r, struct err *e)
{
	struct state_writer w;
	size_t len;

	state_writer__init(&w);
	if (kvm_state__save_vm(v->fd, &w, e) || kvm_state__save_vcpu(sys_fd, v->vcpu, 0, &w, e) ||
	    state_writer__finish(&w, file, &len, e)) {
		state_writer__free(&w);
		return -1;
	}
	return state_reader__parse(r, *file, len, e);
}

static u64 msr_of(const struct state_section *s, u32 index)
{
	const struct kvm_msrs *m = (const void *)s->data;	/* test only: the writer's buffer is aligned */

	for (u32 i = 0; i < m->nmsrs; i++)
		if (m->entries[i].index == index)
			return m->entries[i].data;
	return ~0ULL;
}

/* Section @kind of @a and @b hold the same bytes. */
static bool same(const struct state_reader *a, const struct state_reader *b, u32 kind)
{
	const struct state_section *x = state_reader__find(a, kind, 0), *y = state_reader__find(b, kind, 0);

	return x && y && x->size == y->size && !memcmp(x->data, y->data, x->size);
}

static void test_round_trip(void)
{
	static const u32 exact[] = {
		KVM_STATE_REGS, KVM_STATE_XSAVE, KVM_STATE_XCRS, KVM_STATE_DEBUGREGS, KVM_STATE_LAPIC,
		KVM_STATE_MP_STATE, KVM_STATE_EVENTS, KVM_STATE_TSC_KHZ, KVM_STATE_PIC_MASTER,
		KVM_STATE_PIC_SLAVE, KVM_STATE_IOAPIC,
	};
	struct state_reader ra, rb;
	struct vm a, b;
	u8 *fa = NULL, *fb = NULL;
	struct err e;
	unsigned int i;

	CHECK(!make_vm(&a) && !make_vm(&b), "VMs: %s", strerror(errno));
	make_distinctive(&a);
	CHECK(!save(&a, &fa, &ra, &e), "save: %s", e.msg);
	CHECK(!kvm_state__load_vm(b.fd, &ra, false, &e), "load VM: %s", e.msg);
	CHECK(!kvm_state__load_vcpu(sys_fd, b.vcpu, 0, &ra, &e), "load vCPU: %s", e.msg);
	CHECK(!save(&b, &fb, &rb, &e), "save again: %s", e.msg);
	if (!ra.nr_sections || !rb.nr_sections)
		goto out;

	for (i = 0; i < ARRAY_SIZE(exact); i++)
		CHECK(same(&ra, &rb, exact[i]), "section %u differs after a round trip", exact[i]);
	CHECK(same(&ra, &rb, KVM_STATE_SREGS2) || same(&ra, &rb, KVM_STATE_SREGS), "special registers");
	{
		const struct kvm_regs *regs = (const void *)state_reader__find(&rb, KVM_STATE_REGS, 0)->data;
		const struct kvm_debugregs *dbg = (const void *)state_reader__find(&rb, KVM_STATE_DEBUGREGS, 0)->data;
		const struct kvm_lapic_state *lapic = (const void *)state_reader__find(&rb, KVM_STATE_LAPIC, 0)->data;

		CHECK(regs->rax == 0x1122334455667788ULL && regs->r15 == 0x0f0f0f0f0f0f0f0fULL &&
		      regs->rip == 0xfff0, "registers reached the second VM");
		CHECK(dbg->db[0] == 0x1000 && dbg->db[3] == 0x4000, "debug registers");
		CHECK(lapic->regs[APIC_TPR] == 0x30, "TPR %#x", lapic->regs[APIC_TPR]);
	}
	{
		const struct state_section *ma = state_reader__find(&ra, KVM_STATE_MSRS, 0);
		const struct state_section *mb = state_reader__find(&rb, KVM_STATE_MSRS, 0);
		const struct kvm_msrs *x = (const void *)ma->data, *y = (const void *)mb->data;
		u64 ta = msr_of(ma, MSR_IA32_TSC), tb = msr_of(mb, MSR_IA32_TSC);
		u32 differ = 0;

		CHECK(x->nmsrs == y->nmsrs && x->nmsrs > 10, "%u and %u MSRs", x->nmsrs, y->nmsrs);
		CHECK(x->entries[0].index == MSR_IA32_TSC, "IA32_TSC first");
		for (i = 0; i < x->nmsrs && i < y->nmsrs; i++) {
			if (x->entries[i].index != y->entries[i].index)
				differ++;
			else if (x->entries[i].index != MSR_IA32_TSC &&
				 x->entries[i].data != y->entries[i].data) {
				printf("  MSR %#x: %#llx then %#llx\n", x->entries[i].index,
				       (unsigned long long)x->entries[i].data,
				       (unsigned long long)y->entries[i].data);
				differ++;
			}
		}
		CHECK(!differ, "%u MSRs differ after a round trip", differ);
		CHECK(msr_of(mb, MSR_LSTAR) == 0xffffffff81234560ULL && msr_of(mb, MSR_IA32_SYSENTER_CS) == 0x10,
		      "LSTAR, SYSENTER_CS");
		/* the TSC ran on between the two saves, by less than a minute at 10 GHz */
		CHECK(ta >= 1000000000000ULL && tb >= ta && tb - ta < 600000000000ULL, "TSC %llu then %llu",
		      (unsigned long long)ta, (unsigned long long)tb);
	}
	{
		const struct kvm_irqchip *pic = (const void *)state_reader__find(&rb, KVM_STATE_PIC_MASTER, 0)->data;
		const struct kvm_irqchip *io = (const void *)state_reader__find(&rb, KVM_STATE_IOAPIC, 0)->data;
		const struct kvm_clock_data *ca = (const void *)state_reader__find(&ra, KVM_STATE_CLOCK, 0)->data;
		const struct kvm_clock_data *cb = (const void *)state_reader__find(&rb, KVM_STATE_CLOCK, 0)->data;
		struct kvm_pit_state2 pa, pb;

		CHECK(pic->chip.pic.imr == 0xfa, "PIC mask %#x", pic->chip.pic.imr);
		CHECK(io->chip.ioapic.redirtbl[5].bits == 0x10045, "IOAPIC pin 5");
		CHECK(ca->clock >= 5000000000ULL && cb->clock >= ca->clock && cb->clock - ca->clock < 60000000000ULL,
		      "kvmclock %llu then %llu", (unsigned long long)ca->clock, (unsigned long long)cb->clock);
		memcpy(&pa, state_reader__find(&ra, KVM_STATE_PIT2, 0)->data, sizeof(pa));
		memcpy(&pb, state_reader__find(&rb, KVM_STATE_PIT2, 0)->data, sizeof(pb));
		for (i = 0; i < 3; i++)
			pa.channels[i].count_load_time = pb.channels[i].count_load_time = 0;
		CHECK(!memcmp(&pa, &pb, sizeof(pa)), "PIT state (but its load times)");
	}
out:
	state_reader__free(&ra);
	state_reader__free(&rb);
	free(fa);
	free(fb);
	free_vm(&a);
	free_vm(&b);
}

/* A copy of @r's sections but @drop, with @edit applied to section @kind. */
static int rewrite(const struct state_reader *r, u32 drop, u32 kind,
		   void (*edit)(u8 *p, size_t size), u8 **file, struct state_reader *out)
{
	struct state_writer w;
	struct err e;
	size_t len;

	state_writer__init(&w);
	for (u32 i = 0; i < r->nr_sections; i++) {
		const struct state_section *s = &r->sections[i];
		u8 *p;

		if (s->kind == drop)
			continue;
		p = malloc(s->size + 1);
		memcpy(p, s->data, s->size);
		if (s->kind == kind)
			edit(p, s->size);
		state_writer__add(&w, s->kind, s->index, p, s->size, &e);
		free(p);
	}
	if (state_writer__finish(&w, file, &len, &e))
		return -1;
	return state_reader__parse(out, *file, len, &e);
}

static void no_edit(u8 *p, size_t size)
{
	(void)p;
	(void)size;
}

static void bad_msr(u8 *p, size_t size)
{
	struct kvm_msrs *m = (void *)p;

	(void)size;
	m->entries[m->nmsrs - 1].index = 0xdeadbeef;
}

static void other_khz(u8 *p, size_t size)
{
	u32 khz;

	(void)size;
	memcpy(&khz, p, 4);
	khz += 1000;
	memcpy(p, &khz, 4);
}

/* Loads @r into a fresh vCPU: the error, and whether its registers stayed as they were. */
static int load_fresh(const struct state_reader *r, struct err *e, bool *untouched)
{
	struct kvm_regs before, after;
	struct vm v;
	int ret;

	if (make_vm(&v)) {
		free_vm(&v);
		return err_set(e, "cannot make a VM");
	}
	ioctl(v.vcpu, KVM_GET_REGS, &before);
	ret = kvm_state__load_vcpu(sys_fd, v.vcpu, 0, r, e);
	ioctl(v.vcpu, KVM_GET_REGS, &after);
	*untouched = !memcmp(&before, &after, sizeof(before));
	free_vm(&v);
	return ret;
}

static void test_refusals(void)
{
	struct state_reader r, bad;
	struct vm a;
	u8 *file = NULL, *f2;
	struct err e;
	bool untouched;

	CHECK(!make_vm(&a), "VM");
	make_distinctive(&a);
	CHECK(!save(&a, &file, &r, &e), "save: %s", e.msg);
	free_vm(&a);

	CHECK(!rewrite(&r, KVM_STATE_LAPIC, 0, no_edit, &f2, &bad), "rewrite");
	CHECK(load_fresh(&bad, &e, &untouched) && strstr(e.msg, "the state has no local APIC") && untouched,
	      "no LAPIC: %s", e.msg);
	state_reader__free(&bad);
	free(f2);

	CHECK(!rewrite(&r, 0, KVM_STATE_MSRS, bad_msr, &f2, &bad), "rewrite");
	CHECK(load_fresh(&bad, &e, &untouched) && strstr(e.msg, "MSR 0xdeadbeef") && untouched,
	      "unknown MSR: %s", e.msg);
	state_reader__free(&bad);
	free(f2);

	CHECK(!rewrite(&r, 0, KVM_STATE_TSC_KHZ, other_khz, &f2, &bad), "rewrite");
	if (ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_CONTROL) > 0)
		CHECK(!load_fresh(&bad, &e, &untouched), "another TSC rate, KVM scales: %s", e.msg);
	else
		CHECK(load_fresh(&bad, &e, &untouched) && strstr(e.msg, "cannot scale it") && untouched,
		      "another TSC rate: %s", e.msg);
	state_reader__free(&bad);
	free(f2);

	/* a vCPU the state does not have */
	{
		struct vm v;

		CHECK(!make_vm(&v), "VM");
		CHECK(kvm_state__load_vcpu(sys_fd, v.vcpu, 1, &r, &e) &&
		      strstr(e.msg, "vCPU 1: the state has no registers"), "%s", e.msg);
		free_vm(&v);
	}
	state_reader__free(&r);
	free(file);
}

int main(void)
{
	struct vm probe;

	sys_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (sys_fd < 0 || make_vm(&probe)) {
		printf("SKIP KVM state save/load: /dev/kvm: %s\n", strerror(errno));
		UNIT_DONE();
	}
	free_vm(&probe);
	RUN(test_round_trip);
	RUN(test_refusals);
	UNIT_DONE();
}
