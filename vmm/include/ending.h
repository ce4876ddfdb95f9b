/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_ENDING_H
#define MIRRORVM_ENDING_H

/*
 * How a guest ends, the same under every engine: what the platform's ports
 * mean (platform.h), which ending wins, what mirrorvm says about it and
 * which exit status it returns.
 */
#include <pthread.h>

#include "util.h"

enum vm_end {
	VM_END_NONE,
	VM_END_POWEROFF,	/* control port MVM_CTL_POWEROFF */
	VM_END_RESET,		/* control port MVM_CTL_RESET */
	VM_END_STATUS,		/* status port: the byte is the exit status */
	VM_END_PANIC,		/* pvpanic PANICKED */
	VM_END_PANIC_CONSOLE,	/* the console shows the end of a panic report */
	VM_END_RESET_UNCLEAN,	/* a reset that bypassed the firmware (QEMU) */
	VM_END_CRASH,		/* triple fault, KVM internal error, failed entry */
	VM_END_SIGNAL,		/* SIGINT/SIGTERM/SIGHUP at the host: 128 + signal */
	VM_END_QUIT,		/* the control socket's quit */
};

/* The first ending wins; later ones are ignored.  Safe from any thread. */
struct vm_ending {
	pthread_mutex_t lock;
	enum vm_end end;
	int status;		/* VM_END_STATUS: the guest's byte; VM_END_SIGNAL: 128 + signal */
};

void ending__init(struct vm_ending *v);
void ending__destroy(struct vm_ending *v);
/* Records @end unless an ending is recorded already; true if this one won. */
bool ending__set(struct vm_ending *v, enum vm_end end, int status);
enum vm_end ending__get(struct vm_ending *v, int *status);

/* Says how the guest ended on stderr and returns mirrorvm's exit status. */
int ending__report(enum vm_end end, int status);

/* The control port's byte: VM_END_POWEROFF, VM_END_RESET or VM_END_NONE. */
enum vm_end ending__control_byte(u8 byte);
/* A pvpanic write: true when it reports a panic. */
bool ending__pvpanic(u8 byte);

#endif
