// SPDX-License-Identifier: GPL-2.0
/*
 * Endings: one decoder for the platform's ports and one table of what each
 * ending means, so both engines end a guest the same way, with the same
 * message and exit status.
 */
#include "ending.h"
#include "platform.h"

void ending__init(struct vm_ending *v)
{
	pthread_mutex_init(&v->lock, NULL);
	v->end = VM_END_NONE;
	v->status = 0;
}

void ending__destroy(struct vm_ending *v)
{
	pthread_mutex_destroy(&v->lock);
}

bool ending__set(struct vm_ending *v, enum vm_end end, int status)
{
	bool won = false;

	pthread_mutex_lock(&v->lock);
	if (v->end == VM_END_NONE && end != VM_END_NONE) {
		v->end = end;
		v->status = status;
		won = true;
	}
	pthread_mutex_unlock(&v->lock);
	return won;
}

enum vm_end ending__get(struct vm_ending *v, int *status)
{
	enum vm_end end;

	pthread_mutex_lock(&v->lock);
	end = v->end;
	if (status)
		*status = v->status;
	pthread_mutex_unlock(&v->lock);
	return end;
}

int ending__report(enum vm_end end, int status)
{
	switch (end) {
	case VM_END_POWEROFF:
		info("guest powered off");
		return MVM_EXIT_OK;
	case VM_END_RESET:
		info("guest rebooted");
		return MVM_EXIT_OK;
	case VM_END_STATUS:
		info("guest ended with status %d", status);
		return status;
	case VM_END_PANIC:
		info("guest kernel panicked (pvpanic)");
		return MVM_EXIT_CRASH;
	case VM_END_PANIC_CONSOLE:
		info("guest kernel panicked (its console shows the end of a panic report; no pvpanic driver yet)");
		return MVM_EXIT_CRASH;
	case VM_END_RESET_UNCLEAN:
		info("guest reset itself without the firmware (triple fault or legacy reset)");
		return MVM_EXIT_CRASH;
	case VM_END_SIGNAL:
		info("stopped by signal %d", status - 128);
		return status;
	case VM_END_QUIT:
		info("stopped by the control socket (quit)");
		return MVM_EXIT_OK;
	default:
		info("guest crashed");
		return MVM_EXIT_CRASH;
	}
}

enum vm_end ending__control_byte(u8 byte)
{
	switch (byte) {
	case MVM_CTL_POWEROFF:
		return VM_END_POWEROFF;
	case MVM_CTL_RESET:
		return VM_END_RESET;
	default:
		return VM_END_NONE;
	}
}

bool ending__pvpanic(u8 byte)
{
	return byte & PVPANIC_PANICKED;
}
