/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_ENGINE_H
#define MIRRORVM_ENGINE_H

/*
 * Engines run a guest that is fully described before they start: the
 * layout, the firmware image, the kernel image, and the plan their own
 * check step made.  "mirrorvm run" is
 *
 *	parse -> layout -> pick engine -> engine check -> kernel image
 *	      -> firmware -> engine run
 *
 * and nothing flows back: an engine never edits the command line, the
 * layout or the firmware; what it needs the guest to be told (the QEMU
 * engine's TCG TSC hint) it returns from its check as plan.cmdline_extra,
 * an input of the firmware's zero page.
 */
#include "cli.h"
#include "fw.h"
#include "host.h"
#include "kernel-image.h"
#include "snapshot.h"

enum engine_cap {
	ENGINE_CAP_ELF_KERNEL	= 1 << 0,	/* boots an uncompressed vmlinux */
	ENGINE_CAP_HOST_MIRROR	= 1 << 1,	/* backs reliable ranges with host mirrored memory */
	ENGINE_CAP_PLACEMENT	= 1 << 2,	/* --placement-report */
	ENGINE_CAP_API		= 1 << 3,	/* --api-socket */
	ENGINE_CAP_SECCOMP	= 1 << 4,	/* --seccomp: a system call filter of its own */
};

/* What an engine's check step decided, for its run step. */
struct engine_plan {
	/* Kernel arguments the engine adds after the guest's own. */
	char cmdline_extra[64];
	/* qemu engine: -accel kvm rather than TCG */
	bool qemu_kvm;
	/* kvm engine: reliable ranges come from host mirrored memory (hm) */
	bool host_mirror;
	struct host_mirror hm;
};

/* Everything an engine runs; built before it starts, read-only to it. */
struct vm_image {
	const struct layout *lay;
	const struct run_opts *opts;
	const struct kernel_image *kernel;	/* NULL when restoring */
	const struct fw_image *fw;		/* NULL when restoring */
	const struct engine_plan *plan;
	/* the guest's flags (spec__to_flags), for the snapshots it may take */
	const struct flag_list *guest_flags;
	/* run --restore: the snapshot to resume instead of booting; else NULL */
	const struct vm_restore *restore;
};

struct engine {
	const char *name;
	unsigned int caps;		/* enum engine_cap */
	/* Why ENGINE_CAP_ELF_KERNEL is missing, for the refusal. */
	const char *no_elf;
	/*
	 * Every check the host and the engine can make before anything is
	 * loaded or built (slots, huge pages, host nodes, host mirror):
	 * 0, or -errno with @e saying what is missing.
	 */
	int (*check)(const struct layout *lay, const struct run_opts *opts,
		     const char *cmdline, struct engine_plan *plan, struct err *e);
	/* Runs the guest: mirrorvm's exit status, or -errno with @e set. */
	int (*run)(const struct vm_image *vm, struct err *e);
};

extern const struct engine kvm_engine;
extern const struct engine qemu_engine;

/*
 * The engine --engine asks for; "auto" picks KVM when /dev/kvm can boot
 * Linux and says which on stderr.  NULL with @e set when the choice
 * cannot run here.
 */
const struct engine *engine__select(const struct run_opts *opts, struct err *e);

/* Can /dev/kvm be opened at all / run an unmodified Linux?  @why says. */
bool kvm_available(char *why, size_t len);
bool kvm_can_boot_linux(char *why, size_t len);

/* The host's constant TSC rate in kHz, 0 when it has none (tsc.c). */
u64 host_tsc_khz(void);

/* The host terminal in raw mode while a guest owns it (vmm/engine/term.c). */
void term__raw(void);
void term__restore(void);

/* The reset-vector stub for QEMU's -bios: enters the 32-bit boot protocol. */
#define RESET_STUB_SIZE	RESET_ROM_SIZE
void reset_stub__build(u8 *rom, u32 zero_page, u32 entry32);

#endif
