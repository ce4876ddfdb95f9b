/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_SNAPSHOT_H
#define MIRRORVM_SNAPSHOT_H

/*
 * VM snapshots (docs/state-file.md): a directory with two files,
 *
 *	state	the state file (state-file.h): the guest's description,
 *		its layout, what KVM holds of the VM and its vCPUs
 *		(kvm-state.h), the devices' registers
 *	memory	guest RAM, the slots back to back, sparse: only the pages
 *		the guest had
 *
 * written by the control socket's "snapshot" command (mirrorvm ctl SOCKET
 * snapshot DIR creates the files and passes them with the request, as the
 * system call filter lets a running mirrorvm create none) and read by
 * "mirrorvm run --restore DIR".
 */
#include "layout.h"
#include "state-file.h"
#include "util.h"

#define SNAPSHOT_STATE		"state"
#define SNAPSHOT_MEMORY		"memory"

/* Section kinds of the snapshot's own (kvm-state.h numbers KVM's, below 64). */
enum snapshot_kind {
	SNAPSHOT_GUEST_FLAGS	= 64,	/* the guest's "mirrorvm run" flags, NUL-terminated words */
	SNAPSHOT_LAYOUT		= 65,	/* the guest's layout.json, compared on restore */
	SNAPSHOT_UNITS		= 66,	/* each unplug unit's state (engine/kvm/memhp.c) */
	SNAPSHOT_LIVE_SLOTS	= 67,	/* live update: per RAM slot, 1 if its memfd is preserved */
	SNAPSHOT_DEVICE		= 128,	/* index: the device's row in the platform table */
	SNAPSHOT_TEST_PORT	= 129,	/* MIRRORVM_TEST_DEVICES=1 */
};

/*
 * What "run --restore" hands the engine.  A live restore ("run
 * --live-restore NAME", live-update.h) has no memory file: each preserved
 * RAM slot's memfd, retrieved from PRAM, is mapped as it is.
 */
struct vm_restore {
	const char *dir;		/* the snapshot, or the live update's name */
	const struct state_reader *state;
	int memory_fd;			/* -1 for a live restore */
	bool live;
	int ram_fds[MAX_SLOTS];		/* live: slot i's memfd, -1 if none was preserved */
	bool ram_mirror[MAX_SLOTS];	/* live: it is an MFD_MIRROR memfd */
};

#endif
