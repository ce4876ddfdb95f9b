/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_PLATFORM_H
#define MIRRORVM_PLATFORM_H

/*
 * The virtual platform every engine implements and the firmware describes:
 * every guest-physical address and port mirrorvm uses is defined here.
 * Keeping them in one header is what lets one firmware builder serve both
 * engines: the QEMU engine maps each item to a QEMU device, the KVM engine
 * emulates it.  The devices themselves are rows of the platform table
 * (vmm/platform/devices.c, device.h).
 */

/* Firmware area in node 0, below the legacy VGA/BIOS hole. */
#define FW_BASE			0x80000ULL
#define FW_ZERO_PAGE		0x80000ULL	/* struct boot_params */
#define FW_CMDLINE		0x81000ULL
#define FW_CMDLINE_MAX		0x1000ULL
#define FW_EFI_RT_DATA		0x82000ULL	/* system table, RT services, config tables */
#define FW_EFI_RT_CODE		0x83000ULL	/* runtime service stubs */
#define FW_EFI_MEMMAP		0x84000ULL
#define FW_EFI_MEMMAP_MAX	0x6000ULL
#define FW_ACPI			0x8A000ULL	/* RSDP first, then the tables */
#define FW_END			0xA0000ULL
#define FW_SIZE			(FW_END - FW_BASE)

/* Legacy VGA window and BIOS ROMs: reserved, never guest-usable RAM. */
#define LEGACY_HOLE_START	0xA0000ULL
#define LEGACY_HOLE_END		0x100000ULL

/* Where the protected-mode kernel goes (bzImage pref_address for x86_64). */
#define KERNEL_LOAD_ADDR	0x1000000ULL

/*
 * The KVM engine's 64-bit entry (engine/kvm/entry.c): a GDT and page tables
 * identity-mapping the first 4 GiB, in low RAM below the firmware area that
 * the e820 map gives the kernel as usable (it builds its own tables before
 * it reuses that memory).
 */
#define BOOT_GDT		0x1000ULL
#define BOOT_PML4		0x2000ULL
#define BOOT_PDPT		0x3000ULL
#define BOOT_PD			0x4000ULL	/* 4 pages: 4 GiB of 2 MiB pages */
#define BOOT_PT_END		0x8000ULL

/*
 * KVM's identity-map page and three-page TSS (Intel needs them for real
 * mode; AMD ignores them): in the PCI hole, above the IOAPIC and LAPIC and
 * below the reset ROM, where no RAM and no device is.
 */
#define KVM_IDENTITY_MAP_ADDR	0xFFFBC000ULL
#define KVM_TSS_ADDR		0xFFFBD000ULL

/* The QEMU engine's -bios image: 64 KiB ending at 4 GiB (reset vector). */
#define RESET_ROM_BASE		0xFFFF0000ULL
#define RESET_ROM_SIZE		0x10000ULL

/*
 * A window in the PCI hole for platform devices with MMIO registers (none
 * of today's devices is one); below the IOAPIC.
 */
#define PLATFORM_MMIO_BASE	0xFEB00000ULL
#define PLATFORM_MMIO_SIZE	0x00100000ULL

#define IOAPIC_ADDR		0xFEC00000ULL
#define IOAPIC_ID		0
#define LAPIC_ADDR		0xFEE00000ULL

#define COM1_PORT		0x3F8
#define COM1_IRQ		4

/*
 * mirrorvm control port (FADT sleep control and reset registers, EFI
 * ResetSystem): a byte written here ends the VM.  Byte values are what
 * ACPI writes: S5 with SLP_TYP 5 is (5 << 2) | SLP_EN.
 */
#define MVM_CTL_PORT		0x600
#define MVM_CTL_POWEROFF	0x34
#define MVM_CTL_RESET		0x01
#define MVM_SLEEP_STATUS_PORT	0x601
#define MVM_S5_SLP_TYP		5
/* A byte written here ends mirrorvm with that exit status. */
#define MVM_STATUS_PORT		0x602
/*
 * The Generic Event Device's event block (hw/ged.c): a GPE block where
 * QEMU's PIIX4 has its GPE0, so one DSDT fits both engines, and the GED's
 * interrupt, level-triggered, where QEMU's pc machine has its ACPI SCI.
 */
#define MVM_GPE0_PORT		0xAFE0
#define MVM_GED_GSI		9
/* The memory hotplug registers (hw/mem-hotplug.c), where QEMU has its own. */
#define MVM_MEMHP_PORT		0x0A00

/*
 * A test hook, not part of the platform: the KVM engine's test port
 * (hw/test-port.c) with MIRRORVM_TEST_DEVICES=1.
 */
#define MVM_TEST_PORT		0x6F0

/*
 * pvpanic (ACPI QEMU0001): the guest kernel reports a panic here.  Reads
 * give the events the device supports, writes the events that happened.
 */
#define PVPANIC_PORT		0x505
#define PVPANIC_PANICKED	0x01

/* mirrorvm's own exit statuses. */
#define MVM_EXIT_OK		0	/* guest powered off or rebooted */
#define MVM_EXIT_ERROR		1	/* bad flags, setup failure */
#define MVM_EXIT_CRASH		2	/* guest panic, triple fault, engine failure */
/* a system call the KVM engine's filter forbids: 128 + SIGSYS, as a shell
 * reports a process that SIGSYS killed (seccomp-filter.h) */
#define MVM_EXIT_SECCOMP	159

#endif
