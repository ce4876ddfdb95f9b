// SPDX-License-Identifier: GPL-2.0
/* Begin/append/end helpers shared by every ACPI table builder. */
#include <stdlib.h>
#include <string.h>

#include "acpi.h"

u8 acpi_checksum(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	while (len--)
		sum += *b++;
	return (u8)-sum;
}

void *acpi_buf_append(struct acpi_buf *b, size_t len)
{
	void *p;

	if (b->len + len > b->cap) {
		size_t cap = MAX(b->cap * 2, b->len + len + 256);
		u8 *n = realloc(b->data, cap);

		if (!n)
			die("out of memory building ACPI tables");
		b->data = n;
		b->cap = cap;
	}
	p = b->data + b->len;
	memset(p, 0, len);
	b->len += len;
	return p;
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

void acpi_buf_end(struct acpi_buf *b)
{
	struct acpi_table_header *h = (struct acpi_table_header *)b->data;

	h->length = b->len;
	h->checksum = 0;
	h->checksum = acpi_checksum(b->data, b->len);
}

void acpi_buf_free(struct acpi_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
