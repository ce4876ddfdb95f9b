// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzzes "mirrorvm run" flags -> layout -> firmware, in-process.  The input
 * is the argument vector, one word per line.  Whatever the flags, parsing
 * and layout either refuse with a message or produce a layout, and every
 * layout the builder accepts must give firmware that holds together:
 *
 *  - the layout's RAM ranges are sorted, disjoint, outside the PCI hole and
 *    add up to total_ram; unplug units lie in the RAM of hotplug nodes;
 *  - the e820 map and the EFI map each cover exactly the layout's RAM: every
 *    byte in exactly one entry, none outside RAM; their usable parts (e820
 *    RAM, EFI conventional memory) are the same bytes; EFI descriptors are
 *    page-aligned, marked reliable exactly inside reliable ranges; each
 *    unplug unit is exactly one e820 entry (Linux removes it on unplug);
 *  - the zero page carries the same e820 map, the EFI map's size, the RSDP;
 *  - ACPI: the RSDP's checksums, every table reached from it (XSDT, FADT,
 *    DSDT) and every table placed has a valid header, length and checksum
 *    inside the ACPI area, no two overlap; the MADT, SRAT and SLIT
 *    subtables walk exactly to their table's end and describe the layout's
 *    CPUs, nodes and RAM.
 * The ASL compiler's own rules (iasl) are the firmware suite's (tests/fw).
 */
#include "fuzz.h"
#include "acpi.h"
#include "bootparams.h"
#include "cli.h"
#include "fw.h"
#include "layout.h"

#define MAX_WORDS	256

/* A range list kept sorted and merged: what a map covers, as bytes. */
struct cover {
	struct addr_range r[2 * FW_MAX_PIECES];
	unsigned int nr;
};

/* Appends [start, start + size); entries must come in address order. */
static void cover_add(struct cover *c, u64 start, u64 size, const char *what)
{
	struct addr_range *last = c->nr ? &c->r[c->nr - 1] : NULL;

	FUZZ_ASSERT(size, "%s: empty entry at 0x%llx", what, (unsigned long long)start);
	FUZZ_ASSERT(start + size > start, "%s: entry at 0x%llx wraps", what,
		    (unsigned long long)start);
	FUZZ_ASSERT(!last || start >= range_end(last), "%s: 0x%llx overlaps or is out of order",
		    what, (unsigned long long)start);
	if (last && start == range_end(last)) {
		last->size += size;
		return;
	}
	FUZZ_ASSERT(c->nr < ARRAY_SIZE(c->r), "%s: too many entries", what);
	c->r[c->nr++] = (struct addr_range){ start, size };
}

static void cover_equal(const struct cover *a, const struct cover *b, const char *what)
{
	unsigned int i;

	FUZZ_ASSERT(a->nr == b->nr, "%s: %u ranges against %u", what, a->nr, b->nr);
	for (i = 0; i < a->nr; i++)
		FUZZ_ASSERT(a->r[i].start == b->r[i].start && a->r[i].size == b->r[i].size,
			    "%s: range %u is 0x%llx+0x%llx against 0x%llx+0x%llx", what, i,
			    (unsigned long long)a->r[i].start, (unsigned long long)a->r[i].size,
			    (unsigned long long)b->r[i].start, (unsigned long long)b->r[i].size);
}

static void check_layout(const struct layout *lay, struct cover *ram)
{
	u64 total = 0;
	unsigned int i, j;

	ram->nr = 0;
	FUZZ_ASSERT(lay->nr_ram >= 1 && lay->nr_ram <= ARRAY_SIZE(lay->ram), "nr_ram %u",
		    lay->nr_ram);
	for (i = 0; i < lay->nr_ram; i++) {
		const struct ram_range *r = &lay->ram[i];

		FUZZ_ASSERT(r->start >= PCI_HOLE_END || r->start + r->size <= PCI_HOLE_START,
			    "RAM 0x%llx+0x%llx in the PCI hole", (unsigned long long)r->start,
			    (unsigned long long)r->size);
		FUZZ_ASSERT(r->start + r->size <= GUEST_PHYS_LIMIT, "RAM beyond the guest's reach");
		FUZZ_ASSERT(r->node < lay->nr_nodes, "RAM of node %u", r->node);
		total += r->size;
		cover_add(ram, r->start, r->size, "layout RAM");
	}
	FUZZ_ASSERT(total == lay->total_ram, "RAM adds up to 0x%llx, total_ram 0x%llx",
		    (unsigned long long)total, (unsigned long long)lay->total_ram);
	FUZZ_ASSERT(range_end(&ram->r[ram->nr - 1]) == lay->ram_end, "ram_end");
	FUZZ_ASSERT(lay->nr_units <= MAX_UNITS, "nr_units %u", lay->nr_units);
	for (i = 0; i < lay->nr_units; i++) {
		const struct unplug_unit *u = &lay->units[i];

		FUZZ_ASSERT(u->node < lay->nr_nodes && lay->nodes[u->node].hotplug,
			    "unit %u in node %u, not a hotplug node", i, u->node);
		FUZZ_ASSERT(u->size && layout__is_ram(lay, u->gpa, u->size), "unit %u not RAM", i);
		FUZZ_ASSERT(!i || u->gpa >= lay->units[i - 1].gpa + lay->units[i - 1].size,
			    "units %u and %u out of order or overlapping", i - 1, i);
		for (j = 0; j < lay->nr_ram; j++)
			if (u->gpa >= lay->ram[j].start &&
			    u->gpa < lay->ram[j].start + lay->ram[j].size)
				FUZZ_ASSERT(lay->ram[j].node == u->node, "unit %u in another node's RAM", i);
	}
}

static void check_maps(const struct layout *lay, const struct fw_image *img,
		       const struct cover *ram)
{
	static struct cover all, usable, efi_all, efi_usable;
	const u8 *zp = fw_ptr(img, FW_ZERO_PAGE);
	unsigned int i, j;
	u32 v32;
	u64 v64;

	all.nr = usable.nr = efi_all.nr = efi_usable.nr = 0;
	FUZZ_ASSERT(img->nr_e820 <= E820_MAX_ZEROPAGE, "%u e820 entries", img->nr_e820);
	for (i = 0; i < img->nr_e820; i++) {
		const struct e820_entry *en = &img->e820[i];

		FUZZ_ASSERT(en->type == E820_TYPE_RAM || en->type == E820_TYPE_RESERVED ||
			    en->type == E820_TYPE_ACPI, "e820 type %u", en->type);
		cover_add(&all, en->addr, en->size, "e820");
		if (en->type == E820_TYPE_RAM)
			cover_add(&usable, en->addr, en->size, "e820 RAM");
	}
	cover_equal(&all, ram, "e820 against the layout's RAM");

	FUZZ_ASSERT((u64)img->nr_efi_desc * EFI_MEMDESC_SIZE <= FW_EFI_MEMMAP_MAX, "EFI map size");
	for (i = 0; i < img->nr_efi_desc; i++) {
		const struct efi_memory_desc *d = fw_ptr(img, FW_EFI_MEMMAP + i * EFI_MEMDESC_SIZE);
		u64 size = d->num_pages << 12;
		u64 rel = layout__reliable_bytes(lay, d->phys_addr, size);

		FUZZ_ASSERT(d->phys_addr % SZ_4K == 0, "EFI descriptor %u at 0x%llx", i,
			    (unsigned long long)d->phys_addr);
		FUZZ_ASSERT(d->num_pages && d->num_pages < (1ULL << 52), "EFI descriptor %u size", i);
		cover_add(&efi_all, d->phys_addr, size, "EFI map");
		if (d->type == EFI_CONVENTIONAL_MEMORY)
			cover_add(&efi_usable, d->phys_addr, size, "EFI conventional memory");
		if (d->attribute & EFI_MEMORY_MORE_RELIABLE)
			FUZZ_ASSERT(rel == size, "EFI descriptor %u reliable outside reliable ranges", i);
		else
			FUZZ_ASSERT(rel == 0, "EFI descriptor %u unmarked inside a reliable range", i);
		FUZZ_ASSERT(!!(d->attribute & EFI_MEMORY_RUNTIME) ==
			    (d->type == EFI_RUNTIME_SERVICES_CODE ||
			     d->type == EFI_RUNTIME_SERVICES_DATA), "EFI descriptor %u runtime", i);
	}
	cover_equal(&efi_all, ram, "EFI map against the layout's RAM");
	cover_equal(&efi_usable, &usable, "EFI conventional memory against e820 RAM");

	for (i = 0; i < lay->nr_units; i++) {
		bool found = false;

		for (j = 0; j < img->nr_e820; j++)
			found |= img->e820[j].addr == lay->units[i].gpa &&
				 img->e820[j].size == lay->units[i].size;
		FUZZ_ASSERT(found, "unplug unit %u (0x%llx+0x%llx) is not one e820 entry", i,
			    (unsigned long long)lay->units[i].gpa,
			    (unsigned long long)lay->units[i].size);
	}

	FUZZ_ASSERT(zp[BP_E820_ENTRIES] == img->nr_e820, "zero page e820 count");
	FUZZ_ASSERT(!memcmp(zp + BP_E820_TABLE, img->e820, img->nr_e820 * sizeof(img->e820[0])),
		    "zero page e820 table");
	memcpy(&v32, zp + BP_EFI_INFO + EFI_MEMMAP_SIZE, 4);
	FUZZ_ASSERT(v32 == img->nr_efi_desc * EFI_MEMDESC_SIZE, "zero page EFI map size");
	memcpy(&v64, zp + BP_ACPI_RSDP_ADDR, 8);
	FUZZ_ASSERT(v64 == img->rsdp_addr, "zero page RSDP");
}

/* A table at @gpa with a sound header: inside the ACPI area, length, checksum. */
static const struct acpi_table_header *table_at(const struct fw_image *img, u64 gpa,
						const char *sig)
{
	const struct acpi_table_header *h;

	FUZZ_ASSERT(gpa >= FW_ACPI && gpa + sizeof(*h) <= FW_END, "%s at 0x%llx", sig,
		    (unsigned long long)gpa);
	h = fw_ptr(img, gpa);
	FUZZ_ASSERT(!sig || !memcmp(h->signature, sig, 4), "%.4s where %s should be",
		    h->signature, sig);
	FUZZ_ASSERT(h->length >= sizeof(*h) && gpa + h->length <= FW_END, "%.4s length %u",
		    h->signature, h->length);
	FUZZ_ASSERT(acpi_checksum(h, h->length) == 0, "%.4s checksum", h->signature);
	return h;
}

/* Walks subtables from @off to the table's end; returns how many of @type. */
static unsigned int count_subtables(const struct acpi_table_header *h, size_t off, u8 type)
{
	const u8 *p = (const u8 *)h + off, *end = (const u8 *)h + h->length;
	unsigned int n = 0;

	while (p < end) {
		const struct acpi_subtable_header *s = (const void *)p;

		FUZZ_ASSERT(p + 2 <= end && s->length >= 2 && p + s->length <= end,
			    "%.4s: subtable at %zu has length %u", h->signature,
			    (size_t)(p - (const u8 *)h), p + 2 <= end ? s->length : 0);
		n += s->type == type;
		p += s->length;
	}
	return n;
}

static void check_acpi(const struct layout *lay, const struct fw_image *img)
{
	const struct acpi_table_rsdp *rsdp = fw_ptr(img, img->rsdp_addr);
	const struct acpi_table_header *xsdt, *h;
	const struct acpi_table_fadt *fadt = NULL;
	const struct acpi_table_slit *slit;
	const u8 *p, *end;
	unsigned int i, j, n, madt = 0, srat = 0, slits = 0;
	u64 mem = 0;

	FUZZ_ASSERT(img->rsdp_addr >= FW_ACPI && img->rsdp_addr + sizeof(*rsdp) <= FW_END, "RSDP");
	FUZZ_ASSERT(!memcmp(rsdp->signature, "RSD PTR ", 8) && rsdp->revision == 2 &&
		    rsdp->length == sizeof(*rsdp), "RSDP header");
	FUZZ_ASSERT(acpi_checksum(rsdp, 20) == 0 && acpi_checksum(rsdp, sizeof(*rsdp)) == 0,
		    "RSDP checksums");

	/* every placed table sound, in place order, none overlapping */
	for (i = 0; i < img->nr_tables; i++) {
		const struct fw_table *t = &img->tables[i];

		FUZZ_ASSERT(t->addr % 16 == 0, "%s misaligned", t->signature);
		FUZZ_ASSERT(!i || t->addr >= img->tables[i - 1].addr + img->tables[i - 1].len,
			    "%s overlaps %s", t->signature, img->tables[i - 1].signature);
		if (!strcmp(t->signature, "RSDP"))
			continue;
		h = table_at(img, t->addr, t->signature);
		FUZZ_ASSERT(h->length == t->len, "%s length %u, placed %u", t->signature,
			    h->length, t->len);
	}

	/* what the guest finds from the RSDP */
	xsdt = table_at(img, rsdp->xsdt_physical_address, "XSDT");
	FUZZ_ASSERT((xsdt->length - sizeof(*xsdt)) % 8 == 0, "XSDT length %u", xsdt->length);
	n = (xsdt->length - sizeof(*xsdt)) / 8;
	for (i = 0; i < n; i++) {
		u64 addr;

		memcpy(&addr, (const u8 *)xsdt + sizeof(*xsdt) + 8 * i, 8);
		h = table_at(img, addr, NULL);
		for (j = 0; j < i; j++) {
			u64 other;

			memcpy(&other, (const u8 *)xsdt + sizeof(*xsdt) + 8 * j, 8);
			FUZZ_ASSERT(other != addr, "XSDT lists 0x%llx twice", (unsigned long long)addr);
		}
		if (!memcmp(h->signature, "FACP", 4)) {
			FUZZ_ASSERT(h->length == sizeof(*fadt), "FADT length %u", h->length);
			fadt = (const void *)h;
		} else if (!memcmp(h->signature, "APIC", 4)) {
			madt++;
			FUZZ_ASSERT(count_subtables(h, sizeof(struct acpi_table_madt),
						    ACPI_MADT_TYPE_LOCAL_APIC) == lay->nr_cpus,
				    "MADT local APICs, %u CPUs", lay->nr_cpus);
		} else if (!memcmp(h->signature, "SRAT", 4)) {
			srat++;
			FUZZ_ASSERT(count_subtables(h, sizeof(struct acpi_table_srat),
						    ACPI_SRAT_TYPE_CPU_AFFINITY) == lay->nr_cpus,
				    "SRAT CPU entries, %u CPUs", lay->nr_cpus);
			p = (const u8 *)h + sizeof(struct acpi_table_srat);
			end = (const u8 *)h + h->length;
			for (; p < end; p += ((const struct acpi_subtable_header *)p)->length) {
				const struct acpi_srat_mem_affinity *m = (const void *)p;

				if (m->header.type != ACPI_SRAT_TYPE_MEMORY_AFFINITY)
					continue;
				FUZZ_ASSERT(m->header.length == sizeof(*m), "SRAT memory entry length");
				FUZZ_ASSERT(m->proximity_domain < lay->nr_nodes, "SRAT domain %u",
					    m->proximity_domain);
				FUZZ_ASSERT(layout__is_ram(lay, m->base_address, m->length),
					    "SRAT memory 0x%llx+0x%llx is not RAM",
					    (unsigned long long)m->base_address,
					    (unsigned long long)m->length);
				mem += m->length;
			}
		} else if (!memcmp(h->signature, "SLIT", 4)) {
			slits++;
			slit = (const void *)h;
			FUZZ_ASSERT(slit->locality_count == lay->nr_nodes &&
				    h->length == sizeof(*slit) + lay->nr_nodes * lay->nr_nodes,
				    "SLIT for %u nodes: count %llu, length %u", lay->nr_nodes,
				    (unsigned long long)slit->locality_count, h->length);
			for (j = 0; j < lay->nr_nodes; j++)
				FUZZ_ASSERT(((const u8 *)(slit + 1))[j * lay->nr_nodes + j] ==
					    SLIT_LOCAL_DISTANCE, "SLIT diagonal");
		}
	}
	FUZZ_ASSERT(fadt && madt == 1 && srat == 1 && slits <= 1, "XSDT: FADT %d, MADT %u, SRAT %u",
		    !!fadt, madt, srat);
	FUZZ_ASSERT(mem == lay->total_ram, "SRAT memory 0x%llx, RAM 0x%llx",
		    (unsigned long long)mem, (unsigned long long)lay->total_ram);
	FUZZ_ASSERT(fadt->dsdt == fadt->xdsdt, "FADT DSDT and X_DSDT differ");
	table_at(img, fadt->xdsdt, "DSDT");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static u8 setup_header[0x80];
	static struct layout lay;
	static struct fw_image img;
	static struct cover ram;
	struct boot_info boot = {
		.setup_header = setup_header, .setup_header_len = sizeof(setup_header),
		.kernel_addr = KERNEL_LOAD_ADDR, .cmdline_extra = "tsc=reliable",
	};
	char *argv[MAX_WORDS], *buf;
	struct run_opts opts;
	struct vm_spec spec;
	struct err e = { "" };
	int argc;

	/* a copy of its own, freed at the end: a pointer kept into it is caught */
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	argc = fuzz_words(data, size, buf, argv, MAX_WORDS, "run");
	if (cli__parse_spec(argc, argv, NULL, &spec, &opts, &e) == 0 &&
	    layout__build(&spec, &lay, &e) == 0) {
		check_layout(&lay, &ram);
		boot.cmdline = spec__cmdline(&spec);
		if (fw__build(&lay, &boot, &img, &e) == 0) {
			check_maps(&lay, &img, &ram);
			check_acpi(&lay, &img);
		}
	}
	spec__free(&spec);
	free(buf);
	return 0;
}
