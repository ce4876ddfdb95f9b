// SPDX-License-Identifier: GPL-2.0
/* Begin/append/end helpers shared by every ACPI table builder. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "aml.h"

bool (*acpi_buf_fail_alloc_hook)(void);

/*
 * Where a failed buffer's @data and appends point (see acpi.h): written
 * by callers that check only at the end, never read.
 */
static u8 scratch[ACPI_BUF_SCRATCH];

u8 acpi_checksum(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	while (len--)
		sum += *b++;
	return (u8)-sum;
}

/* Records the first error and drops the table. */
static void buf_fail(struct acpi_buf *b, int err)
{
	if (b->err)
		return;
	b->err = err;
	free(b->data);
	b->data = scratch;
	b->len = 0;
	b->cap = 0;
}

static void *scratch_area(size_t len)
{
	if (len > sizeof(scratch))
		return NULL;
	memset(scratch, 0, len);
	return scratch;
}

void *acpi_buf_append(struct acpi_buf *b, size_t len)
{
	void *p;

	if (!b->err && len > SIZE_MAX / 4 - b->len)
		buf_fail(b, -E2BIG);
	if (!b->err && b->len + len > b->cap) {
		size_t cap = MAX(b->cap * 2, b->len + len + 256);
		u8 *n = NULL;

		if (!acpi_buf_fail_alloc_hook || !acpi_buf_fail_alloc_hook())
			n = realloc(b->data, cap);
		if (n) {
			b->data = n;
			b->cap = cap;
		} else {
			buf_fail(b, -ENOMEM);
		}
	}
	if (b->err)
		return scratch_area(len);
	p = b->data + b->len;
	memset(p, 0, len);
	b->len += len;
	return p;
}

void acpi_buf_append_aml(struct acpi_buf *b, struct aml *aml)
{
	u8 *bytes;
	size_t len;
	void *p;
	int ret = aml_serialize(aml, &bytes, &len);

	if (ret) {
		buf_fail(b, ret);
		return;
	}
	p = acpi_buf_append(b, len);
	if (!b->err)
		memcpy(p, bytes, len);
	free(bytes);
}

void acpi_buf_begin(struct acpi_buf *b, const char *sig, u8 revision)
{
	struct acpi_table_header *h;

	memset(b, 0, sizeof(*b));
	h = acpi_buf_append(b, sizeof(*h));
	memcpy(h->signature, sig, 4);
	h->revision = revision;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, 8);
	h->oem_revision = 1;
	memcpy(h->asl_compiler_id, ACPI_CREATOR_ID, 4);
	h->asl_compiler_revision = 1;
}

int acpi_buf_end(struct acpi_buf *b)
{
	struct acpi_table_header *h;

	if (!b->err && b->len < sizeof(*h))
		buf_fail(b, -EINVAL);		/* never begun */
	if (!b->err && b->len > UINT32_MAX)
		buf_fail(b, -E2BIG);
	if (b->err)
		return b->err;
	h = (struct acpi_table_header *)b->data;
	h->length = b->len;
	h->checksum = 0;
	h->checksum = acpi_checksum(b->data, b->len);
	return 0;
}

void acpi_buf_free(struct acpi_buf *b)
{
	if (b->data != scratch)
		free(b->data);
	memset(b, 0, sizeof(*b));
}
