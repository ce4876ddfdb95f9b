/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_KVM_STATE_H
#define MIRRORVM_KVM_STATE_H

/*
 * What KVM holds of a VM, saved into and loaded from state file sections
 * (state-file.h): the first piece of snapshot/restore and live update,
 * which will add guest memory and device registers around it.
 *
 * Per vCPU: general registers, special registers (KVM_GET_SREGS2 where
 * KVM has it), the XSAVE area (sized by KVM_CAP_XSAVE2), XCRs, debug
 * registers, the local APIC, every MSR of KVM's index list that the vCPU
 * answers, the MP state, pending events, and the TSC frequency.  Per VM:
 * both PICs, the IOAPIC, the PIT and the kvmclock.  CPUID is not saved: the
 * VM that loads must have been created with the same (it is derived from
 * the layout), and GSI routing is re-created with the VM.
 *
 * A vCPU must not be in KVM_RUN while it is saved or loaded (the KVM
 * engine pauses every vCPU first, which completes the exit in flight).
 * Loading follows the order KVM needs: special registers before the
 * general ones and the XSAVE area, the local APIC before the MSRs (the TSC
 * before the TSC deadline among them), the MP state, and pending events
 * last.  Every section is checked against what this KVM would accept
 * before the vCPU is touched: a missing section, a size that differs, an
 * MSR or XSAVE size this KVM does not have, or another TSC frequency that
 * KVM cannot scale to, is an error naming it.
 */
#include "state-file.h"
#include "util.h"

/* Section kinds; a state file of another version may number them otherwise. */
enum kvm_state_kind {
	KVM_STATE_REGS		= 1,
	KVM_STATE_SREGS2	= 2,
	KVM_STATE_SREGS		= 3,	/* without KVM_CAP_SREGS2 */
	KVM_STATE_XSAVE		= 4,
	KVM_STATE_XCRS		= 5,
	KVM_STATE_DEBUGREGS	= 6,
	KVM_STATE_LAPIC		= 7,
	KVM_STATE_MSRS		= 8,	/* u32 count, then (u32 index, u32 0, u64 data) each */
	KVM_STATE_MP_STATE	= 9,
	KVM_STATE_EVENTS	= 10,
	KVM_STATE_TSC_KHZ	= 11,	/* u32 */
	KVM_STATE_PIC_MASTER	= 32,
	KVM_STATE_PIC_SLAVE	= 33,
	KVM_STATE_IOAPIC	= 34,
	KVM_STATE_PIT2		= 35,
	KVM_STATE_CLOCK		= 36,
};

/* @sys_fd: /dev/kvm (capabilities, the MSR list); @index: the vCPU's number. */
int kvm_state__save_vcpu(int sys_fd, int vcpu_fd, unsigned int index, struct state_writer *w,
			 struct err *e);
int kvm_state__load_vcpu(int sys_fd, int vcpu_fd, unsigned int index,
			 const struct state_reader *r, struct err *e);
int kvm_state__save_vm(int vm_fd, struct state_writer *w, struct err *e);
/*
 * @add_elapsed: the kvmclock moves on by the host's real time since the
 * save (KVM_CLOCK_REALTIME, where KVM recorded it), so the guest sees the
 * time that passed; otherwise it continues from the saved value.
 */
int kvm_state__load_vm(int vm_fd, const struct state_reader *r, bool add_elapsed,
		       struct err *e);

#endif
