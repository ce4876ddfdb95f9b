// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of vmm/state-file.c: the snapshot state file round-trips, and
 * every way a file can be damaged or foreign is refused before any section
 * is handed out.
 */
#include <stdlib.h>
#include <string.h>

#include "state-file.h"
#include "unit.h"

static const u8 regs[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };	/* not a multiple of 8 */
static const u8 lapic[1024] = { [0] = 0xaa, [1023] = 0x55 };

/* A file of three sections: vCPU 0's "regs", an empty one, vCPU 1's "lapic". */
static u8 *make_file(size_t *len)
{
	struct state_writer w;
	struct err e;
	u8 *file;

	state_writer__init(&w);
	CHECK(!state_writer__add(&w, 1, 0, regs, sizeof(regs), &e), "add: %s", e.msg);
	CHECK(!state_writer__add(&w, 7, 3, NULL, 0, &e), "add empty: %s", e.msg);
	CHECK(!state_writer__add(&w, 2, 1, lapic, sizeof(lapic), &e), "add: %s", e.msg);
	CHECK(!state_writer__finish(&w, &file, len, &e), "finish: %s", e.msg);
	return file;
}

/* Puts the header's checksums right after a test edited the file. */
static void reseal(u8 *file, size_t len)
{
	u32 body = crc32c(0, file + STATE_FILE_HEADER, len - STATE_FILE_HEADER);
	u32 head;

	memcpy(file + 28, &body, 4);	/* little-endian host */
	head = crc32c(0, file, 60);
	memcpy(file + 60, &head, 4);
}

static void test_crc32c(void)
{
	CHECK(crc32c(0, "123456789", 9) == 0xe3069283, "check value %#x", crc32c(0, "123456789", 9));
	CHECK(crc32c(0, "", 0) == 0, "empty");
	/* in pieces as at once */
	CHECK(crc32c(crc32c(0, "1234", 4), "56789", 5) == 0xe3069283, "incremental");
}

static void test_round_trip(void)
{
	const struct state_section *s;
	struct state_reader r;
	struct err e;
	size_t len;
	u8 *file = make_file(&len);

	CHECK(len == STATE_FILE_HEADER + (16 + 16) + 16 + (16 + 1024), "size %zu", len);
	CHECK(!memcmp(file, "MVMSTATE", 8), "magic");
	CHECK(!state_reader__parse(&r, file, len, &e), "parse: %s", e.msg);
	CHECK(r.nr_sections == 3, "%u sections", r.nr_sections);
	s = state_reader__find(&r, 1, 0);
	CHECK(s && s->size == sizeof(regs) && !memcmp(s->data, regs, sizeof(regs)), "regs");
	s = state_reader__find(&r, 7, 3);
	CHECK(s && s->size == 0, "empty section");
	s = state_reader__find(&r, 2, 1);
	CHECK(s && s->size == sizeof(lapic) && !memcmp(s->data, lapic, sizeof(lapic)), "lapic");
	CHECK(!state_reader__find(&r, 2, 0) && !state_reader__find(&r, 3, 0), "absent sections");
	state_reader__free(&r);
	free(file);
}

static void test_empty(void)
{
	struct state_writer w;
	struct state_reader r;
	struct err e;
	size_t len;
	u8 *file;

	state_writer__init(&w);
	CHECK(!state_writer__finish(&w, &file, &len, &e), "finish: %s", e.msg);
	CHECK(len == STATE_FILE_HEADER, "size %zu", len);
	CHECK(!state_reader__parse(&r, file, len, &e), "parse: %s", e.msg);
	CHECK(r.nr_sections == 0, "sections");
	state_reader__free(&r);
	free(file);
}

static void test_truncated(void)
{
	struct state_reader r;
	struct err e;
	size_t len, n;
	u8 *file = make_file(&len);
	int accepted = 0, named = 0;

	for (n = 0; n < len; n++) {
		if (!state_reader__parse(&r, file, n, &e)) {
			accepted++;
			state_reader__free(&r);
		} else if (strstr(e.msg, n < 8 ? "not a mirrorvm state file" : "truncated")) {
			named++;
		}
	}
	CHECK(!accepted, "%d truncated files accepted", accepted);
	CHECK(named == (int)len, "%d of %zu refusals say why", named, len);
	free(file);
}

static void test_every_bit(void)
{
	struct state_reader r;
	struct err e;
	size_t len, i;
	u8 *file = make_file(&len);
	int accepted = 0;

	for (i = 0; i < len * 8; i++) {
		file[i / 8] ^= 1 << (i % 8);
		if (!state_reader__parse(&r, file, len, &e)) {
			accepted++;
			state_reader__free(&r);
		}
		file[i / 8] ^= 1 << (i % 8);
	}
	CHECK(!accepted, "%d of %zu one-bit corruptions accepted", accepted, len * 8);
	free(file);
}

static void test_refusals(void)
{
	struct state_reader r;
	struct err e;
	size_t len;
	u8 *file = make_file(&len), *big;
	u64 huge;

	/* another version, newer or older, otherwise well formed */
	file[8] = 3;
	reseal(file, len);
	CHECK(state_reader__parse(&r, file, len, &e) && strstr(e.msg, "version 3, this mirrorvm reads versions 1 to 2"),
	      "%s", e.msg);
	file[8] = 0;
	reseal(file, len);
	CHECK(state_reader__parse(&r, file, len, &e) && strstr(e.msg, "version 0, this mirrorvm reads versions 1 to 2"),
	      "%s", e.msg);
	file[8] = 1;	/* before snapshots had a memory map: still read */
	reseal(file, len);
	CHECK(!state_reader__parse(&r, file, len, &e) && r.version == 1, "version 1: %s", e.msg);
	state_reader__free(&r);
	file[8] = 2;
	reseal(file, len);
	CHECK(!state_reader__parse(&r, file, len, &e) && r.version == 2, "restored: %s", e.msg);
	state_reader__free(&r);

	/* a section longer than the file, checksums right */
	huge = 1 << 20;
	memcpy(file + STATE_FILE_HEADER + 8, &huge, 8);
	reseal(file, len);
	CHECK(state_reader__parse(&r, file, len, &e) && strstr(e.msg, "runs past the end"), "%s", e.msg);
	huge = sizeof(regs);
	memcpy(file + STATE_FILE_HEADER + 8, &huge, 8);

	/* non-zero padding after regs' 11 bytes */
	file[STATE_FILE_HEADER + 16 + 12] = 1;
	reseal(file, len);
	CHECK(state_reader__parse(&r, file, len, &e) && strstr(e.msg, "non-zero padding"), "%s", e.msg);
	file[STATE_FILE_HEADER + 16 + 12] = 0;

	/* more sections announced than there are */
	file[24] = 4;
	reseal(file, len);
	CHECK(state_reader__parse(&r, file, len, &e) && strstr(e.msg, "starts past the end"), "%s", e.msg);
	file[24] = 3;
	reseal(file, len);

	/* bytes after the body */
	big = calloc(1, len + 8);
	memcpy(big, file, len);
	CHECK(state_reader__parse(&r, big, len + 8, &e) && strstr(e.msg, "after the end"), "%s", e.msg);
	free(big);

	/* a section the size limit refuses, and the writer stays failed */
	{
		struct state_writer w;

		state_writer__init(&w);
		CHECK(state_writer__add(&w, 1, 0, regs, STATE_FILE_MAX + 1, &e), "oversized section");
		state_writer__free(&w);
	}
	free(file);
}

int main(void)
{
	RUN(test_crc32c);
	RUN(test_round_trip);
	RUN(test_empty);
	RUN(test_truncated);
	RUN(test_every_bit);
	RUN(test_refusals);
	UNIT_DONE();
}
