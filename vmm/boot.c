// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 boot protocol (Documentation/arch/x86/boot.rst) from the loader's
 * side: check the bzImage, pick where the kernel and initrd go, and hand the
 * firmware builder what the zero page needs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "boot.h"
#include "bootparams.h"

static u32 get32(const u8 *p, unsigned int off) { u32 v; memcpy(&v, p + off, 4); return v; }
static u16 get16(const u8 *p, unsigned int off) { u16 v; memcpy(&v, p + off, 2); return v; }
static u64 get64(const u8 *p, unsigned int off) { u64 v; memcpy(&v, p + off, 8); return v; }

/*
 * Top of the RAM that runs without a gap from 1 MiB, below the PCI hole and
 * outside hotpluggable nodes: the initrd goes there, so no hotplug node holds
 * boot data that would keep its blocks from going offline.
 */
static u64 low_ram_top(const struct layout *lay)
{
	u64 top = LEGACY_HOLE_END;
	unsigned int i;

	for (i = 0; i < lay->nr_ram; i++) {
		const struct ram_range *r = &lay->ram[i];

		if (lay->nodes[r->node].hotplug)
			break;
		if (r->start <= top && r->start + r->size > top && r->start < PCI_HOLE_START)
			top = r->start + r->size;
	}
	return top;
}

int boot__prepare(const struct vm_config *cfg, const struct layout *lay,
		  struct kernel_image *k, struct err *e)
{
	struct boot_info *bi = &k->info;
	const u8 *f;
	u64 load, init_size, initrd_max, top;
	unsigned int setup_sects;
	u16 version;
	struct stat st;
	struct err sub;
	char s[32];
	int ret;

	memset(k, 0, sizeof(*k));
	if (!cfg->kernel)
		return err_set(e, "--kernel is required (or use --dump-firmware)");
	ret = read_file(cfg->kernel, &k->file, &k->file_len, &sub);
	if (ret)
		return err_set(e, "--kernel %s: %s", cfg->kernel, sub.msg);
	f = k->file;
	if (k->file_len < 0x1000 || get16(f, HDR_BOOT_FLAG) != 0xaa55 ||
	    memcmp(f + HDR_MAGIC, "HdrS", 4))
		return err_set(e, "--kernel %s: not a bzImage (no x86 boot header)", cfg->kernel);
	version = get16(f, HDR_VERSION);
	if (version < BOOT_PROTOCOL_MIN)
		return err_set(e, "--kernel %s: boot protocol %u.%02u is too old (need 2.12)",
			       cfg->kernel, version >> 8, version & 0xff);
	if (!(f[HDR_LOADFLAGS] & LOADFLAG_LOADED_HIGH))
		return err_set(e, "--kernel %s: a zImage (loaded low) is not supported",
			       cfg->kernel);
	if (!(get16(f, HDR_XLOADFLAGS) & XLF_KERNEL_64))
		return err_set(e, "--kernel %s: not a 64-bit x86 kernel", cfg->kernel);

	setup_sects = f[HDR_SETUP_SECTS] ? f[HDR_SETUP_SECTS] : 4;
	k->pm_offset = (setup_sects + 1) * 512;
	if (k->pm_offset >= k->file_len)
		return err_set(e, "--kernel %s: truncated bzImage", cfg->kernel);

	load = get64(f, HDR_PREF_ADDRESS);
	if (!load)
		load = KERNEL_LOAD_ADDR;
	init_size = MAX((u64)get32(f, HDR_INIT_SIZE), k->file_len - k->pm_offset);
	if (!layout__is_ram(lay, load, init_size))
		return err_set(e, "--kernel %s: needs RAM at [0x%llx-0x%llx) to decompress; give node 0 more memory",
			       cfg->kernel, (unsigned long long)load,
			       (unsigned long long)(load + init_size));

	if (strlen(cfg->cmdline) + 1 > get32(f, HDR_CMDLINE_SIZE) + 1ULL ||
	    strlen(cfg->cmdline) + 1 > FW_CMDLINE_MAX)
		return err_set(e, "--cmdline: %zu bytes, this kernel takes at most %u",
			       strlen(cfg->cmdline), get32(f, HDR_CMDLINE_SIZE));

	bi->setup_header = f + BP_SETUP_HEADER;
	bi->setup_header_len = 0x202 + f[HDR_JUMP + 1] - BP_SETUP_HEADER;
	bi->kernel_addr = load;
	bi->kernel_size = k->file_len - k->pm_offset;
	bi->entry32 = load;
	bi->entry64 = load + 0x200;
	bi->cmdline = cfg->cmdline;

	if (cfg->initrd) {
		if (stat(cfg->initrd, &st) || !S_ISREG(st.st_mode))
			return err_set(e, "--initrd %s: %s", cfg->initrd,
				       errno ? strerror(errno) : "not a regular file");
		k->initrd_path = cfg->initrd;
		k->initrd_size = st.st_size;
		initrd_max = (u64)get32(f, HDR_INITRD_ADDR_MAX) + 1;
		top = MIN(low_ram_top(lay), initrd_max);
		/* Highest 2 MiB-aligned spot below the top, as GRUB does. */
		if (k->initrd_size > top ||
		    ((top - k->initrd_size) & ~(SZ_2M - 1)) < load + init_size)
			return err_set(e, "--initrd %s: %s does not fit in RAM below 0x%llx after the kernel",
				       cfg->initrd, fmt_size(ALIGN_UP(k->initrd_size, SZ_4K), s),
				       (unsigned long long)top);
		bi->initrd_addr = (top - k->initrd_size) & ~(SZ_2M - 1);
		bi->initrd_size = k->initrd_size;
	}
	return 0;
}

void boot__release(struct kernel_image *k)
{
	free(k->file);
	k->file = NULL;
}
