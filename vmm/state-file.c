// SPDX-License-Identifier: GPL-2.0
/*
 * The snapshot state file: typed, checksummed sections (state-file.h).
 * Everything is read and written in little-endian through the put/get
 * helpers, never by casting the buffer, so the file means the same on
 * any host and unaligned input cannot fault.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "state-file.h"

#define SECTION_HEADER	16
#define CRC32C_POLY	0x82f63b78U	/* reflected Castagnoli */

static u32 crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	u32 i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = c & 1 ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc_table[i] = c;
	}
}

u32 crc32c(u32 crc, const void *buf, size_t len)
{
	const u8 *p = buf;

	pthread_once(&crc_once, crc_init);
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* ---- writing ---- */

void state_writer__init(struct state_writer *w)
{
	memset(w, 0, sizeof(*w));
}

static int reserve(struct state_writer *w, size_t more, struct err *e)
{
	size_t cap = w->cap ? w->cap : 4096;
	u8 *p;

	if (more > STATE_FILE_MAX - STATE_FILE_HEADER - w->len) {
		w->failed = true;
		return err_set(e, "state file: more than %llu MiB of state",
			       (unsigned long long)(STATE_FILE_MAX >> 20));
	}
	while (cap < w->len + more)
		cap *= 2;
	if (cap == w->cap)
		return 0;
	p = realloc(w->buf, cap);
	if (!p) {
		w->failed = true;
		return err_set(e, "state file: out of memory");
	}
	w->buf = p;
	w->cap = cap;
	return 0;
}

int state_writer__add(struct state_writer *w, u32 kind, u32 index, const void *data, u64 size,
		      struct err *e)
{
	u64 padded = ALIGN_UP(size, 8);
	u8 *p;
	int ret;

	if (w->failed)
		return err_set(e, "state file: an earlier section failed");
	if (size > STATE_FILE_MAX)
		return err_set(e, "state file: a section of %llu bytes", (unsigned long long)size);
	ret = reserve(w, SECTION_HEADER + padded, e);
	if (ret)
		return ret;
	p = w->buf + w->len;
	put_le32(p, kind);
	put_le32(p + 4, index);
	put_le64(p + 8, size);
	if (size)
		memcpy(p + SECTION_HEADER, data, size);
	memset(p + SECTION_HEADER + size, 0, padded - size);
	w->len += SECTION_HEADER + padded;
	w->nr_sections++;
	return 0;
}

int state_writer__finish(struct state_writer *w, u8 **out, size_t *len, struct err *e)
{
	u8 *file;

	*out = NULL;
	*len = 0;
	if (w->failed)
		return err_set(e, "state file: an earlier section failed");
	file = malloc(STATE_FILE_HEADER + w->len);
	if (!file)
		return err_set(e, "state file: out of memory");
	memset(file, 0, STATE_FILE_HEADER);
	memcpy(file, STATE_FILE_MAGIC, 8);
	put_le32(file + 8, STATE_FILE_VERSION);
	put_le32(file + 12, STATE_FILE_HEADER);
	put_le64(file + 16, w->len);
	put_le32(file + 24, w->nr_sections);
	put_le32(file + 28, crc32c(0, w->buf, w->len));
	put_le32(file + 60, crc32c(0, file, 60));
	if (w->len)
		memcpy(file + STATE_FILE_HEADER, w->buf, w->len);
	*out = file;
	*len = STATE_FILE_HEADER + w->len;
	state_writer__free(w);
	return 0;
}

void state_writer__free(struct state_writer *w)
{
	free(w->buf);
	state_writer__init(w);
}

/* ---- reading ---- */

static bool all_zero(const u8 *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static int check_header(const u8 *buf, size_t len, u64 *body, u32 *nr, struct err *e)
{
	u32 version;

	if (len < 8 || memcmp(buf, STATE_FILE_MAGIC, 8))
		return err_set(e, "not a mirrorvm state file (no \"%s\" at its start)", STATE_FILE_MAGIC);
	if (len < STATE_FILE_HEADER)
		return err_set(e, "truncated: %zu bytes, less than the %u-byte header", len,
			       STATE_FILE_HEADER);
	if (get_le32(buf + 60) != crc32c(0, buf, 60))
		return err_set(e, "corrupted: the header's checksum does not match");
	version = get_le32(buf + 8);
	if (version < STATE_FILE_OLDEST || version > STATE_FILE_VERSION)
		return err_set(e, "version %u, this mirrorvm reads versions %u to %u", version,
			       STATE_FILE_OLDEST, STATE_FILE_VERSION);
	if (get_le32(buf + 12) != STATE_FILE_HEADER || !all_zero(buf + 32, 28))
		return err_set(e, "corrupted: a header field of version %u is not as written",
			       version);
	*body = get_le64(buf + 16);
	*nr = get_le32(buf + 24);
	if (*body > STATE_FILE_MAX - STATE_FILE_HEADER)
		return err_set(e, "corrupted: the header says %llu bytes of state",
			       (unsigned long long)*body);
	if (len - STATE_FILE_HEADER < *body)
		return err_set(e, "truncated: the header says %llu bytes after it, the file has %zu",
			       (unsigned long long)*body, len - STATE_FILE_HEADER);
	if (len - STATE_FILE_HEADER > *body)
		return err_set(e, "corrupted: %llu bytes after the end the header gives",
			       (unsigned long long)(len - STATE_FILE_HEADER - *body));
	if (*nr > *body / SECTION_HEADER)
		return err_set(e, "corrupted: %u sections cannot fit in %llu bytes", *nr,
			       (unsigned long long)*body);
	if (get_le32(buf + 28) != crc32c(0, buf + STATE_FILE_HEADER, *body))
		return err_set(e, "corrupted: the state's checksum does not match");
	return 0;
}

int state_reader__parse(struct state_reader *r, const u8 *buf, size_t len, struct err *e)
{
	u64 body = 0, off = 0;
	u32 nr = 0, i;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = check_header(buf, len, &body, &nr, e);
	if (ret)
		return -EINVAL;
	r->version = get_le32(buf + 8);
	r->sections = calloc(nr ? nr : 1, sizeof(*r->sections));
	if (!r->sections)
		return err_set(e, "state file: out of memory");
	buf += STATE_FILE_HEADER;
	for (i = 0; i < nr; i++) {
		struct state_section *s = &r->sections[i];
		u64 padded;

		if (body - off < SECTION_HEADER) {
			ret = err_set(e, "corrupted: section %u of %u starts past the end", i, nr);
			goto fail;
		}
		s->kind = get_le32(buf + off);
		s->index = get_le32(buf + off + 4);
		s->size = get_le64(buf + off + 8);
		off += SECTION_HEADER;
		padded = ALIGN_UP(s->size, 8);
		if (s->size > body || padded > body - off) {
			ret = err_set(e, "corrupted: section %u (kind %u) of %llu bytes runs past the end",
				      i, s->kind, (unsigned long long)s->size);
			goto fail;
		}
		if (!all_zero(buf + off + s->size, padded - s->size)) {
			ret = err_set(e, "corrupted: section %u (kind %u) has non-zero padding", i, s->kind);
			goto fail;
		}
		s->data = buf + off;
		off += padded;
	}
	if (off != body) {
		ret = err_set(e, "corrupted: %llu bytes after the last of %u sections",
			      (unsigned long long)(body - off), nr);
		goto fail;
	}
	r->buf = buf - STATE_FILE_HEADER;
	r->len = len;
	r->nr_sections = nr;
	return 0;
fail:
	state_reader__free(r);
	return -EINVAL;
}

const struct state_section *state_reader__find(const struct state_reader *r, u32 kind, u32 index)
{
	for (u32 i = 0; i < r->nr_sections; i++)
		if (r->sections[i].kind == kind && r->sections[i].index == index)
			return &r->sections[i];
	return NULL;
}

void state_reader__free(struct state_reader *r)
{
	free(r->sections);
	memset(r, 0, sizeof(*r));
}
