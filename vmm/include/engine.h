/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_ENGINE_H
#define MIRRORVM_ENGINE_H

#include "boot.h"
#include "cli.h"

/* Everything an engine needs; all of it built before the engine starts. */
struct vm {
	const struct run_opts *opts;
	const struct layout *lay;
	const struct fw_image *fw;
	struct kernel_image *kernel;	/* engines may release it once loaded */
};

/*
 * Engines return mirrorvm's exit status (MVM_EXIT_* or the guest's chosen
 * status), or -errno with @e set when they could not run the guest at all.
 */
int qemu_engine__run(const struct vm *vm, struct err *e);

/*
 * Decides the QEMU accelerator once and returns kernel parameters the
 * platform needs for it (empty when none), to be announced and appended to
 * the command line before the firmware is built.
 */
const char *qemu_engine__cmdline_hint(const struct run_opts *opts, const char *cmdline);
u64 host_tsc_khz(void);

/*
 * The in-process KVM engine (vmm/engine/kvm/): runs the guest on /dev/kvm
 * with the same platform and firmware as the QEMU engine.
 */
int kvm_engine__run(const struct vm *vm, struct err *e);
/* Can /dev/kvm be opened at all?  @why says why not. */
bool kvm_available(char *why, size_t len);

/*
 * Watches the guest console for the end of a kernel panic report, for
 * guests whose kernel has no pvpanic driver (yet): true once seen.
 */
struct console_watch {
	char line[64];		/* start of the current line */
	size_t len;
	bool panicked;
};

bool console_watch__feed(struct console_watch *w, const u8 *buf, size_t n);

/* The host terminal in raw mode while a guest owns it (vmm/engine/term.c). */
void term__raw(void);
void term__restore(void);

/* Can /dev/kvm run an unmodified Linux guest?  @why says why not. */
bool kvm_can_boot_linux(char *why, size_t len);

/* The reset-vector stub for QEMU's -bios: enters the 32-bit boot protocol. */
#define RESET_STUB_SIZE	0x10000
void reset_stub_build(u8 *rom, u32 zero_page, u32 entry32);

#endif
