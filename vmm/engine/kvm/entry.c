// SPDX-License-Identifier: GPL-2.0
/*
 * Entering Linux through the 64-bit boot protocol (Documentation/arch/x86/
 * boot.rst, "64-bit Boot Protocol"): long mode with paging, the kernel, zero
 * page and command line identity mapped, a GDT whose __BOOT_CS (0x10) and
 * __BOOT_DS (0x18) are flat 4 GiB segments, interrupts off, %rsi = the zero
 * page, %rip = the 64-bit entry (load address + 0x200).
 *
 * The GDT and page tables live in low RAM below the firmware area
 * (platform.h BOOT_*), which the e820 map gives the kernel as usable: it
 * builds its own tables before it reuses that memory.  Only the BSP starts here; APs wait for INIT/SIPI
 * in the in-kernel LAPIC and start in Linux's real-mode trampoline.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm-vm.h"

#define BOOT_CS		0x10
#define BOOT_DS		0x18

#define PTE_P		0x001ULL
#define PTE_RW		0x002ULL
#define PTE_PS		0x080ULL

#define X86_CR0_PE	0x00000001ULL
#define X86_CR0_MP	0x00000002ULL
#define X86_CR0_ET	0x00000010ULL
#define X86_CR0_NE	0x00000020ULL
#define X86_CR0_PG	0x80000000ULL
#define X86_CR4_PAE	0x00000020ULL
#define EFER_LME	0x00000100ULL
#define EFER_LMA	0x00000400ULL

/* GDT entries in the format of arch/x86/include/asm/segment.h GDT_ENTRY */
static u64 gdt_entry(u64 flags, u64 base, u64 limit)
{
	return ((base & 0xff000000ULL) << (56 - 24)) | ((flags & 0x0000f0ffULL) << 40) |
	       ((limit & 0x000f0000ULL) << (48 - 16)) | ((base & 0x00ffffffULL) << 16) |
	       (limit & 0x0000ffffULL);
}

int kvm_entry__setup_memory(struct kvm_vm *vm, struct err *e)
{
	u64 gdt[4] = {
		0, 0,
		gdt_entry(0xa09b, 0, 0xfffff),	/* __BOOT_CS: 64-bit code */
		gdt_entry(0xc093, 0, 0xfffff),	/* __BOOT_DS: flat data */
	};
	u64 *pml4, *pdpt, *pd;
	unsigned int i;

	pml4 = kvm_memory__hva(vm, BOOT_PML4, BOOT_PT_END - BOOT_PML4);
	if (!pml4 || kvm_memory__write(vm, BOOT_GDT, gdt, sizeof(gdt), e))
		return err_set(e, "no guest RAM for the boot page tables at 0x%llx",
			       (unsigned long long)BOOT_GDT);
	pdpt = kvm_memory__hva(vm, BOOT_PDPT, SZ_4K);
	pd = kvm_memory__hva(vm, BOOT_PD, 4 * SZ_4K);
	memset(pml4, 0, BOOT_PT_END - BOOT_PML4);
	pml4[0] = BOOT_PDPT | PTE_P | PTE_RW;
	for (i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PD + i * SZ_4K) | PTE_P | PTE_RW;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = (u64)i * SZ_2M | PTE_P | PTE_RW | PTE_PS;
	return 0;
}

static void seg(struct kvm_segment *s, u16 sel, u8 type, bool code64)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->s = 1;
	s->l = code64;
	s->db = !code64;
	s->g = 1;
}

int kvm_entry__setup_bsp(struct kvm_vm *vm, struct kvm_vcpu *v, struct err *e)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_fpu fpu;

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs))
		return err_set(e, "KVM_GET_SREGS: %s", strerror(errno));
	seg(&sregs.cs, BOOT_CS, 0xb, true);
	seg(&sregs.ds, BOOT_DS, 0x3, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = BOOT_GDT;
	sregs.gdt.limit = 4 * 8 - 1;
	sregs.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
	sregs.cr3 = BOOT_PML4;
	sregs.cr4 = X86_CR4_PAE;
	sregs.efer = EFER_LME | EFER_LMA;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs))
		return err_set(e, "KVM_SET_SREGS: %s", strerror(errno));

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2;		/* bit 1 is always set; IF off */
	regs.rip = vm->image->kernel->info.entry64;
	regs.rsi = FW_ZERO_PAGE;
	if (ioctl(v->fd, KVM_SET_REGS, &regs))
		return err_set(e, "KVM_SET_REGS: %s", strerror(errno));

	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(v->fd, KVM_SET_FPU, &fpu))
		return err_set(e, "KVM_SET_FPU: %s", strerror(errno));
	return 0;
}
