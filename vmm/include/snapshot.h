/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_SNAPSHOT_H
#define MIRRORVM_SNAPSHOT_H

/*
 * VM snapshots (docs/state-file.md): a directory with these files,
 *
 *	state		the state file (state-file.h): the guest's description,
 *			its layout, what KVM holds of the VM and its vCPUs
 *			(kvm-state.h), the devices' registers, how many memory
 *			parts there are
 *	memory		guest RAM, the slots back to back, sparse: only the
 *	memory.1 ...	pages the guest had; the state's memory map says which
 *			part holds each 8 MiB piece (engine/kvm/memory.c);
 *			every part is as large as the guest's RAM, holes
 *			elsewhere
 *
 * written by the control socket's "snapshot" command (mirrorvm ctl SOCKET
 * snapshot DIR creates the files and passes them with the request, as the
 * system call filter lets a running mirrorvm create none) and read by
 * "mirrorvm run --restore DIR".  The memory comes in parts so that a save
 * writes it on several threads: writes to one file serialize on its inode
 * lock, writes to separate files do not.
 */
#include <stdio.h>

#include "layout.h"
#include "state-file.h"
#include "util.h"

#define SNAPSHOT_STATE		"state"
#define SNAPSHOT_MEMORY		"memory"
/* The most memory parts a snapshot has: one writer thread each. */
#define SNAPSHOT_MAX_PARTS	8

/* Memory part @part's file name in the snapshot directory: memory, memory.1, ... */
static inline void snapshot__part_name(char *buf, size_t len, unsigned int part)
{
	if (part)
		snprintf(buf, len, "%s.%u", SNAPSHOT_MEMORY, part);
	else
		snprintf(buf, len, "%s", SNAPSHOT_MEMORY);
}

/* Section kinds of the snapshot's own (kvm-state.h numbers KVM's, below 64). */
enum snapshot_kind {
	SNAPSHOT_GUEST_FLAGS	= 64,	/* the guest's "mirrorvm run" flags, NUL-terminated words */
	SNAPSHOT_LAYOUT		= 65,	/* the guest's layout.json, compared on restore */
	SNAPSHOT_UNITS		= 66,	/* each unplug unit's state (engine/kvm/memhp.c) */
	SNAPSHOT_LIVE_SLOTS	= 67,	/* live update: per RAM slot, 1 if its memfd is preserved */
	SNAPSHOT_MEMORY_MAP	= 68,	/* a snapshot's memory map: u32 parts, then which holds what */
	SNAPSHOT_DEVICE		= 128,	/* index: the device's row in the platform table */
	SNAPSHOT_TEST_PORT	= 129,	/* MIRRORVM_TEST_DEVICES=1 */
};

/*
 * What "run --restore" hands the engine.  A live restore ("run
 * --live-restore NAME", live-update.h) has no memory parts: each preserved
 * RAM slot's memfd, retrieved from PRAM, is mapped as it is.
 */
struct vm_restore {
	const char *dir;		/* the snapshot, or the live update's name */
	const struct state_reader *state;
	int memory_fds[SNAPSHOT_MAX_PARTS];	/* the memory parts, in order */
	unsigned int nr_memory_parts;	/* 0 for a live restore */
	const u8 *memory_map;		/* SNAPSHOT_MEMORY_MAP; NULL: version 1, one part */
	size_t memory_map_len;
	bool live;
	int ram_fds[MAX_SLOTS];		/* live: slot i's memfd, -1 if none was preserved */
	bool ram_mirror[MAX_SLOTS];	/* live: it is an MFD_MIRROR memfd */
};

#endif
