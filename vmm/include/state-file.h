/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_STATE_FILE_H
#define MIRRORVM_STATE_FILE_H

/*
 * The state file of a VM snapshot: a small file of typed sections (vCPU
 * registers, interrupt controllers, device registers, the guest's
 * description), versioned and checksummed, written and read whole.  Guest
 * memory is not in it: it goes to a separate sparse file.  A reader checks
 * everything (magic, version, sizes, both checksums, every section's
 * bounds and padding) before it hands out a single section, so a
 * truncated, corrupted or foreign file is refused with a message and
 * nothing of it is used.
 *
 * Layout, little-endian (docs/state-file.md):
 *
 *	header, 64 bytes
 *	  0  magic "MVMSTATE"
 *	  8  u32 version			STATE_FILE_VERSION
 *	 12  u32 header size			64
 *	 16  u64 body size			bytes after the header
 *	 24  u32 number of sections
 *	 28  u32 CRC-32C of the body
 *	 32  28 bytes reserved, zero
 *	 60  u32 CRC-32C of bytes 0-59
 *	body: the sections, each
 *	  0  u32 kind				what the section holds, as the
 *						snapshot code numbers it; a
 *						reader passes over kinds it
 *						does not use, so a new kind
 *						that a reader must not miss
 *						comes with a new version
 *	  4  u32 index				vCPU or device number
 *	  8  u64 size				of the payload
 *	 16  payload, then zeros to the next multiple of 8
 */
#include "util.h"

#define STATE_FILE_MAGIC	"MVMSTATE"
#define STATE_FILE_VERSION	2
/*
 * The oldest version read: 1 differs only in having no snapshot memory
 * map (snapshot.h), so a live update from a mirrorvm of then still
 * restores, and a version-1 snapshot is one memory part.
 */
#define STATE_FILE_OLDEST	1
#define STATE_FILE_HEADER	64
/* A state file is small: registers and device state, not memory. */
#define STATE_FILE_MAX		(64ULL << 20)

/* CRC-32C (Castagnoli), as iSCSI and ext4 use it: crc32c(0, "123456789", 9) == 0xe3069283. */
u32 crc32c(u32 crc, const void *buf, size_t len);

struct state_section {
	u32 kind;
	u32 index;
	u64 size;
	const u8 *data;		/* into the reader's buffer */
};

/* Collects sections in memory; state_writer__finish() makes the file's bytes. */
struct state_writer {
	u8 *buf;		/* the body */
	size_t len, cap;
	u32 nr_sections;
	bool failed;		/* an add ran out of memory or space */
};

void state_writer__init(struct state_writer *w);
/* Appends a section; 0 or -errno with @e set (out of memory, too large). */
int state_writer__add(struct state_writer *w, u32 kind, u32 index, const void *data, u64 size,
		      struct err *e);
/*
 * The whole file (header and body) into *@out (malloc'ed, *@len bytes);
 * the writer is emptied.
 */
int state_writer__finish(struct state_writer *w, u8 **out, size_t *len, struct err *e);
void state_writer__free(struct state_writer *w);

struct state_reader {
	u32 version;
	const u8 *buf;
	size_t len;
	struct state_section *sections;
	u32 nr_sections;
};

/*
 * Checks @buf (@len bytes, a whole state file) and indexes its sections;
 * the reader points into @buf, which must outlive it.  0, or -EINVAL with
 * @e naming what is wrong: "not a mirrorvm state file", "version N,
 * this mirrorvm reads versions 1 to 2", "truncated", "corrupted (checksum)", a
 * section out of bounds.
 */
int state_reader__parse(struct state_reader *r, const u8 *buf, size_t len, struct err *e);
/* The section of @kind and @index, or NULL. */
const struct state_section *state_reader__find(const struct state_reader *r, u32 kind, u32 index);
void state_reader__free(struct state_reader *r);

#endif
