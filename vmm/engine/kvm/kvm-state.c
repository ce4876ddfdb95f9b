// SPDX-License-Identifier: GPL-2.0
/*
 * Saving and loading what KVM holds of a VM (kvm-state.h).  Only KVM's
 * ioctls: no knowledge of the KVM engine's structures, so that snapshot,
 * restore and live update, and the tests, can use it on any VM fd.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "kvm-state.h"

#define MSR_IA32_TSC		0x10
#define MAX_MSRS		4096	/* KVM lists a few hundred */

/* ---- capabilities and sizes ---- */

static int xsave_size(int sys_fd)
{
	int n = ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);

	if (n > 0)
		return MAX(n, (int)sizeof(struct kvm_xsave));
	return ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0 ? (int)sizeof(struct kvm_xsave) : 0;
}

static bool has_sregs2(int sys_fd)
{
	return ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_SREGS2) > 0;
}

/* KVM's list of MSRs to save (KVM_GET_MSR_INDEX_LIST), malloc'ed. */
static struct kvm_msr_list *msr_index_list(int sys_fd, struct err *e)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;

	if (!ioctl(sys_fd, KVM_GET_MSR_INDEX_LIST, &probe) || errno != E2BIG ||
	    !probe.nmsrs || probe.nmsrs > MAX_MSRS) {
		err_set(e, "KVM_GET_MSR_INDEX_LIST: %s (%u MSRs)", strerror(errno), probe.nmsrs);
		return NULL;
	}
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(list->indices[0]));
	if (!list) {
		err_set(e, "out of memory");
		return NULL;
	}
	list->nmsrs = probe.nmsrs;
	if (ioctl(sys_fd, KVM_GET_MSR_INDEX_LIST, list)) {
		err_set(e, "KVM_GET_MSR_INDEX_LIST: %s", strerror(errno));
		free(list);
		return NULL;
	}
	return list;
}

static bool msr_listed(const struct kvm_msr_list *list, u32 index)
{
	for (u32 i = 0; i < list->nmsrs; i++)
		if (list->indices[i] == index)
			return true;
	return false;
}

/* ---- one vCPU ---- */

/* The value of every listed MSR the vCPU answers, IA32_TSC first. */
static struct kvm_msrs *read_msrs(int sys_fd, int vcpu_fd, struct err *e)
{
	struct kvm_msr_list *list = msr_index_list(sys_fd, e);
	struct kvm_msrs *m, *q = NULL;
	u32 i, n = 0, done = 0;
	size_t size;

	if (!list)
		return NULL;
	size = sizeof(*m) + list->nmsrs * sizeof(m->entries[0]);
	m = calloc(1, size);
	q = calloc(1, size);
	if (!m || !q) {
		err_set(e, "out of memory");
		goto fail;
	}
	if (msr_listed(list, MSR_IA32_TSC))
		m->entries[n++].index = MSR_IA32_TSC;
	for (i = 0; i < list->nmsrs; i++)
		if (list->indices[i] != MSR_IA32_TSC)
			m->entries[n++].index = list->indices[i];
	/*
	 * KVM_GET_MSRS stops at the first MSR it cannot read for this vCPU
	 * (one its CPUID does not have): drop that one and go on.
	 */
	while (done < n) {
		int got;

		q->nmsrs = n - done;
		memcpy(q->entries, &m->entries[done], q->nmsrs * sizeof(q->entries[0]));
		got = ioctl(vcpu_fd, KVM_GET_MSRS, q);
		if (got < 0) {
			err_set(e, "KVM_GET_MSRS: %s", strerror(errno));
			goto fail;
		}
		memcpy(&m->entries[done], q->entries, got * sizeof(q->entries[0]));
		done += got;
		if (done < n) {
			memmove(&m->entries[done], &m->entries[done + 1],
				(n - done - 1) * sizeof(m->entries[0]));
			n--;
		}
	}
	m->nmsrs = n;
	free(list);
	free(q);
	return m;
fail:
	free(list);
	free(q);
	free(m);
	return NULL;
}

/* A section of fixed size read with one ioctl. */
static int save_ioctl(int fd, unsigned long req, const char *what, void *buf, size_t size,
		      struct state_writer *w, u32 kind, u32 index, struct err *e)
{
	memset(buf, 0, size);
	if (ioctl(fd, req, buf) < 0)
		return err_set(e, "vCPU %u: %s: %s", index, what, strerror(errno));
	return state_writer__add(w, kind, index, buf, size, e);
}

/* The sections one KVM_GET_* of a fixed size gives. */
static const struct {
	u32 kind;
	unsigned long get;
	const char *name;
	size_t size;
} fixed_sections[] = {
	{ KVM_STATE_REGS, KVM_GET_REGS, "KVM_GET_REGS", sizeof(struct kvm_regs) },
	{ KVM_STATE_XCRS, KVM_GET_XCRS, "KVM_GET_XCRS", sizeof(struct kvm_xcrs) },
	{ KVM_STATE_DEBUGREGS, KVM_GET_DEBUGREGS, "KVM_GET_DEBUGREGS", sizeof(struct kvm_debugregs) },
	{ KVM_STATE_LAPIC, KVM_GET_LAPIC, "KVM_GET_LAPIC", sizeof(struct kvm_lapic_state) },
	{ KVM_STATE_MP_STATE, KVM_GET_MP_STATE, "KVM_GET_MP_STATE", sizeof(struct kvm_mp_state) },
	{ KVM_STATE_EVENTS, KVM_GET_VCPU_EVENTS, "KVM_GET_VCPU_EVENTS", sizeof(struct kvm_vcpu_events) },
};

int kvm_state__save_vcpu(int sys_fd, int vcpu_fd, unsigned int index, struct state_writer *w,
			 struct err *e)
{
	int xsize = xsave_size(sys_fd), khz, ret = 0;
	struct kvm_msrs *msrs;
	unsigned int i;
	u32 tsc_khz;
	u8 *buf;

	if (!xsize)
		return err_set(e, "vCPU %u: KVM has no XSAVE (KVM_CAP_XSAVE)", index);
	/* big enough for every section but the MSRs */
	buf = calloc(1, MAX((size_t)xsize, sizeof(struct kvm_lapic_state) + sizeof(struct kvm_sregs2)));
	if (!buf)
		return err_set(e, "out of memory");
	for (i = 0; !ret && i < ARRAY_SIZE(fixed_sections); i++)
		ret = save_ioctl(vcpu_fd, fixed_sections[i].get, fixed_sections[i].name, buf,
				 fixed_sections[i].size, w, fixed_sections[i].kind, index, e);
	if (!ret && has_sregs2(sys_fd))
		ret = save_ioctl(vcpu_fd, KVM_GET_SREGS2, "KVM_GET_SREGS2", buf,
				 sizeof(struct kvm_sregs2), w, KVM_STATE_SREGS2, index, e);
	else if (!ret)
		ret = save_ioctl(vcpu_fd, KVM_GET_SREGS, "KVM_GET_SREGS", buf, sizeof(struct kvm_sregs),
				 w, KVM_STATE_SREGS, index, e);
	if (!ret)
		ret = save_ioctl(vcpu_fd, xsize > (int)sizeof(struct kvm_xsave) ? KVM_GET_XSAVE2 : KVM_GET_XSAVE,
				 "KVM_GET_XSAVE", buf, xsize, w, KVM_STATE_XSAVE, index, e);
	free(buf);
	if (ret)
		return ret;
	msrs = read_msrs(sys_fd, vcpu_fd, e);
	if (!msrs)
		return -EINVAL;
	ret = state_writer__add(w, KVM_STATE_MSRS, index, msrs,
				sizeof(*msrs) + msrs->nmsrs * sizeof(msrs->entries[0]), e);
	free(msrs);
	if (ret)
		return ret;
	khz = ioctl(vcpu_fd, KVM_GET_TSC_KHZ, 0);
	if (khz <= 0)
		return err_set(e, "vCPU %u: KVM_GET_TSC_KHZ: %s", index, strerror(errno));
	tsc_khz = khz;
	return state_writer__add(w, KVM_STATE_TSC_KHZ, index, &tsc_khz, sizeof(tsc_khz), e);
}

/* The section of @kind for vCPU @index, exactly @size bytes, or an error. */
static const struct state_section *need(const struct state_reader *r, u32 kind, u32 index,
					size_t size, const char *what, struct err *e)
{
	const struct state_section *s = state_reader__find(r, kind, index);

	if (!s)
		err_set(e, "vCPU %u: the state has no %s", index, what);
	else if (size && s->size != size)
		err_set(e, "vCPU %u: %s of %llu bytes, this KVM's is %zu", index, what,
			(unsigned long long)s->size, size);
	else
		return s;
	return NULL;
}

/* Copies a section's payload into a buffer KVM may read (aligned). */
static void *copy_of(const struct state_section *s, struct err *e)
{
	void *p = malloc(s->size ? s->size : 1);

	if (!p)
		err_set(e, "out of memory");
	else
		memcpy(p, s->data, s->size);
	return p;
}

static int load_ioctl(int fd, unsigned long req, const char *what, const struct state_section *s,
		      unsigned int index, struct err *e)
{
	void *p = copy_of(s, e);
	int ret = 0;

	if (!p)
		return -ENOMEM;
	if (ioctl(fd, req, p) < 0)
		ret = err_set(e, "vCPU %u: %s: %s", index, what, strerror(errno));
	free(p);
	return ret;
}

/* The MSR section checked against this KVM's list: NULL with @e set if not loadable. */
static struct kvm_msrs *check_msrs(int sys_fd, const struct state_section *s, unsigned int index,
				   struct err *e)
{
	struct kvm_msr_list *list;
	struct kvm_msrs *m;
	u32 n, i;

	if (s->size < sizeof(*m)) {
		err_set(e, "vCPU %u: MSR state of %llu bytes", index, (unsigned long long)s->size);
		return NULL;
	}
	memcpy(&n, s->data, sizeof(n));
	if (n > MAX_MSRS || s->size != sizeof(*m) + n * sizeof(m->entries[0])) {
		err_set(e, "vCPU %u: MSR state of %llu bytes for %u MSRs", index,
			(unsigned long long)s->size, n);
		return NULL;
	}
	list = msr_index_list(sys_fd, e);
	if (!list)
		return NULL;
	m = copy_of(s, e);
	for (i = 0; m && i < n; i++) {
		if (!msr_listed(list, m->entries[i].index)) {
			err_set(e, "vCPU %u: MSR %#x of the state is not one this KVM saves",
				index, m->entries[i].index);
			free(m);
			m = NULL;
		}
	}
	free(list);
	return m;
}

int kvm_state__load_vcpu(int sys_fd, int vcpu_fd, unsigned int index,
			 const struct state_reader *r, struct err *e)
{
	const struct state_section *regs, *sregs, *xsave, *xcrs, *dbg, *lapic, *msr, *mp, *ev, *tsc;
	bool sregs2 = has_sregs2(sys_fd);
	int xsize = xsave_size(sys_fd), ret, khz;
	struct kvm_msrs *msrs;
	u32 saved_khz;

	/* everything checked before the vCPU is touched */
	if (!(regs = need(r, KVM_STATE_REGS, index, sizeof(struct kvm_regs), "registers", e)))
		return -EINVAL;
	if (state_reader__find(r, KVM_STATE_SREGS2, index) && !sregs2)
		return err_set(e, "vCPU %u: the state has KVM_GET_SREGS2's registers, this KVM has no KVM_CAP_SREGS2",
			       index);
	sregs = sregs2 && state_reader__find(r, KVM_STATE_SREGS2, index) ?
		need(r, KVM_STATE_SREGS2, index, sizeof(struct kvm_sregs2), "special registers", e) :
		need(r, KVM_STATE_SREGS, index, sizeof(struct kvm_sregs), "special registers", e);
	if (!sregs)
		return -EINVAL;
	if (!xsize)
		return err_set(e, "vCPU %u: KVM has no XSAVE (KVM_CAP_XSAVE)", index);
	if (!(xsave = need(r, KVM_STATE_XSAVE, index, xsize, "XSAVE area", e)) ||
	    !(xcrs = need(r, KVM_STATE_XCRS, index, sizeof(struct kvm_xcrs), "XCRs", e)) ||
	    !(dbg = need(r, KVM_STATE_DEBUGREGS, index, sizeof(struct kvm_debugregs), "debug registers", e)) ||
	    !(lapic = need(r, KVM_STATE_LAPIC, index, sizeof(struct kvm_lapic_state), "local APIC", e)) ||
	    !(msr = need(r, KVM_STATE_MSRS, index, 0, "MSRs", e)) ||
	    !(mp = need(r, KVM_STATE_MP_STATE, index, sizeof(struct kvm_mp_state), "MP state", e)) ||
	    !(ev = need(r, KVM_STATE_EVENTS, index, sizeof(struct kvm_vcpu_events), "vCPU events", e)) ||
	    !(tsc = need(r, KVM_STATE_TSC_KHZ, index, sizeof(u32), "TSC frequency", e)))
		return -EINVAL;
	memcpy(&saved_khz, tsc->data, sizeof(saved_khz));
	khz = ioctl(vcpu_fd, KVM_GET_TSC_KHZ, 0);
	if (khz <= 0)
		return err_set(e, "vCPU %u: KVM_GET_TSC_KHZ: %s", index, strerror(errno));
	if ((u32)khz != saved_khz && ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_CONTROL) <= 0)
		return err_set(e, "vCPU %u: the TSC ran at %u kHz, here at %d kHz, and KVM cannot scale it (no KVM_CAP_TSC_CONTROL)",
			       index, saved_khz, khz);
	msrs = check_msrs(sys_fd, msr, index, e);
	if (!msrs)
		return -EINVAL;

	/* the order KVM needs (kvm-state.h) */
	ret = 0;
	if ((u32)khz != saved_khz && ioctl(vcpu_fd, KVM_SET_TSC_KHZ, saved_khz) < 0)
		ret = err_set(e, "vCPU %u: KVM_SET_TSC_KHZ %u: %s", index, saved_khz, strerror(errno));
	if (!ret)
		ret = load_ioctl(vcpu_fd, sregs->kind == KVM_STATE_SREGS2 ? KVM_SET_SREGS2 : KVM_SET_SREGS,
				 "KVM_SET_SREGS", sregs, index, e);
	if (!ret)
		ret = load_ioctl(vcpu_fd, KVM_SET_REGS, "KVM_SET_REGS", regs, index, e);
	if (!ret)
		ret = load_ioctl(vcpu_fd, KVM_SET_XSAVE, "KVM_SET_XSAVE", xsave, index, e);
	if (!ret)
		ret = load_ioctl(vcpu_fd, KVM_SET_XCRS, "KVM_SET_XCRS", xcrs, index, e);
	if (!ret)
		ret = load_ioctl(vcpu_fd, KVM_SET_DEBUGREGS, "KVM_SET_DEBUGREGS", dbg, index, e);
	if (!ret)
		ret = load_ioctl(vcpu_fd, KVM_SET_LAPIC, "KVM_SET_LAPIC", lapic, index, e);
	if (!ret) {
		int set = ioctl(vcpu_fd, KVM_SET_MSRS, msrs);

		if (set < 0)
			ret = err_set(e, "vCPU %u: KVM_SET_MSRS: %s", index, strerror(errno));
		else if ((u32)set < msrs->nmsrs)
			ret = err_set(e, "vCPU %u: KVM_SET_MSRS refused MSR %#x (%u of %u set)", index,
				      msrs->entries[set].index, set, msrs->nmsrs);
	}
	free(msrs);
	if (!ret)
		ret = load_ioctl(vcpu_fd, KVM_SET_MP_STATE, "KVM_SET_MP_STATE", mp, index, e);
	if (!ret)
		ret = load_ioctl(vcpu_fd, KVM_SET_VCPU_EVENTS, "KVM_SET_VCPU_EVENTS", ev, index, e);
	return ret;
}

/* ---- the VM ---- */

static const struct {
	u32 kind;
	u32 chip;
	const char *name;
} chips[] = {
	{ KVM_STATE_PIC_MASTER, KVM_IRQCHIP_PIC_MASTER, "PIC (master)" },
	{ KVM_STATE_PIC_SLAVE, KVM_IRQCHIP_PIC_SLAVE, "PIC (slave)" },
	{ KVM_STATE_IOAPIC, KVM_IRQCHIP_IOAPIC, "IOAPIC" },
};

int kvm_state__save_vm(int vm_fd, struct state_writer *w, struct err *e)
{
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(chips); i++) {
		struct kvm_irqchip chip = { .chip_id = chips[i].chip };

		if (ioctl(vm_fd, KVM_GET_IRQCHIP, &chip) < 0)
			return err_set(e, "KVM_GET_IRQCHIP %s: %s", chips[i].name, strerror(errno));
		ret = state_writer__add(w, chips[i].kind, 0, &chip, sizeof(chip), e);
		if (ret)
			return ret;
	}
	memset(&pit, 0, sizeof(pit));
	if (ioctl(vm_fd, KVM_GET_PIT2, &pit) < 0)
		return err_set(e, "KVM_GET_PIT2: %s", strerror(errno));
	ret = state_writer__add(w, KVM_STATE_PIT2, 0, &pit, sizeof(pit), e);
	if (ret)
		return ret;
	memset(&clock, 0, sizeof(clock));
	if (ioctl(vm_fd, KVM_GET_CLOCK, &clock) < 0)
		return err_set(e, "KVM_GET_CLOCK: %s", strerror(errno));
	return state_writer__add(w, KVM_STATE_CLOCK, 0, &clock, sizeof(clock), e);
}

int kvm_state__load_vm(int vm_fd, const struct state_reader *r, bool add_elapsed,
		       struct err *e)
{
	const struct state_section *s[ARRAY_SIZE(chips)], *pit, *clock;
	struct kvm_clock_data c;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(chips); i++) {
		s[i] = state_reader__find(r, chips[i].kind, 0);
		if (!s[i] || s[i]->size != sizeof(struct kvm_irqchip))
			return err_set(e, "the state has no %s of %zu bytes", chips[i].name,
				       sizeof(struct kvm_irqchip));
	}
	pit = state_reader__find(r, KVM_STATE_PIT2, 0);
	clock = state_reader__find(r, KVM_STATE_CLOCK, 0);
	if (!pit || pit->size != sizeof(struct kvm_pit_state2))
		return err_set(e, "the state has no PIT of %zu bytes", sizeof(struct kvm_pit_state2));
	if (!clock || clock->size != sizeof(struct kvm_clock_data))
		return err_set(e, "the state has no kvmclock of %zu bytes", sizeof(struct kvm_clock_data));

	for (i = 0; i < ARRAY_SIZE(chips); i++) {
		struct kvm_irqchip chip;

		memcpy(&chip, s[i]->data, sizeof(chip));
		if (chip.chip_id != chips[i].chip)
			return err_set(e, "the state's %s says it is chip %u", chips[i].name, chip.chip_id);
		if (ioctl(vm_fd, KVM_SET_IRQCHIP, &chip) < 0)
			return err_set(e, "KVM_SET_IRQCHIP %s: %s", chips[i].name, strerror(errno));
	}
	ret = 0;
	{
		struct kvm_pit_state2 p;

		memcpy(&p, pit->data, sizeof(p));
		if (ioctl(vm_fd, KVM_SET_PIT2, &p) < 0)
			ret = err_set(e, "KVM_SET_PIT2: %s", strerror(errno));
	}
	if (ret)
		return ret;
	/*
	 * KVM_CLOCK_REALTIME with the saved realtime makes KVM add what
	 * passed since; without it the clock is set as it was.  The other
	 * flags are KVM's reports, not requests.
	 */
	memcpy(&c, clock->data, sizeof(c));
	c.flags = add_elapsed ? c.flags & KVM_CLOCK_REALTIME : 0;
	if (ioctl(vm_fd, KVM_SET_CLOCK, &c) < 0)
		return err_set(e, "KVM_SET_CLOCK: %s", strerror(errno));
	return 0;
}
