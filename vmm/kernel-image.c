// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 boot protocol (Documentation/arch/x86/boot.rst) from the loader's
 * side: check the bzImage, pick where the kernel and initrd go, and hand the
 * firmware builder what the zero page needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel-image.h"
#include "bootparams.h"
#include "platform.h"

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

static int parse_bzimage(const char *path, const struct layout *lay, struct kernel_image *k,
			 u64 *init_size, u32 *cmdline_size, u32 *initrd_max, struct err *e)
{
	struct boot_info *bi = &k->info;
	const u8 *f = k->head;
	unsigned int setup_sects;
	u16 version;
	u64 load;

	if (k->head_len < 0x1000 || get16(f, HDR_BOOT_FLAG) != 0xaa55 ||
	    memcmp(f + HDR_MAGIC, "HdrS", 4))
		return err_set(e, "--kernel %s: neither a bzImage (no x86 boot header) nor an x86-64 vmlinux ELF",
			       path);
	version = get16(f, HDR_VERSION);
	if (version < BOOT_PROTOCOL_MIN)
		return err_set(e, "--kernel %s: boot protocol %u.%02u is too old (need 2.12)",
			       path, version >> 8, version & 0xff);
	if (!(f[HDR_LOADFLAGS] & LOADFLAG_LOADED_HIGH))
		return err_set(e, "--kernel %s: a zImage (loaded low) is not supported", path);
	if (!(get16(f, HDR_XLOADFLAGS) & XLF_KERNEL_64))
		return err_set(e, "--kernel %s: not a 64-bit x86 kernel", path);

	setup_sects = f[HDR_SETUP_SECTS] ? f[HDR_SETUP_SECTS] : 4;
	k->pm_offset = (setup_sects + 1) * 512;
	if (k->pm_offset >= k->file_len)
		return err_set(e, "--kernel %s: truncated bzImage", path);

	load = get64(f, HDR_PREF_ADDRESS);
	if (!load)
		load = KERNEL_LOAD_ADDR;
	*init_size = MAX((u64)get32(f, HDR_INIT_SIZE), k->file_len - k->pm_offset);
	if (!layout__is_ram(lay, load, *init_size))
		return err_set(e, "--kernel %s: needs RAM at [0x%llx-0x%llx) to decompress; give node 0 more memory",
			       path, (unsigned long long)load, (unsigned long long)(load + *init_size));
	*cmdline_size = get32(f, HDR_CMDLINE_SIZE);
	*initrd_max = get32(f, HDR_INITRD_ADDR_MAX);

	bi->setup_header = f + BP_SETUP_HEADER;
	bi->setup_header_len = 0x202 + f[HDR_JUMP + 1] - BP_SETUP_HEADER;
	bi->kernel_addr = load;
	bi->kernel_size = k->file_len - k->pm_offset;
	bi->entry32 = load;
	bi->entry64 = load + 0x200;
	return 0;
}

#define ELF_PT_LOAD	1
#define ELF_EM_X86_64	62
#define ELF_ET_EXEC	2

/*
 * An uncompressed vmlinux: ENTRY(phys_startup_64) makes e_entry the
 * physical address of startup_64, which takes boot_params in %rsi in long
 * mode, as the decompressor would hand over.  No relocation is applied, so
 * the segments go to their link-time physical addresses (no KASLR).
 */
static int parse_elf(const char *path, const struct layout *lay, struct kernel_image *k,
		     u64 *init_size, u32 *cmdline_size, u32 *initrd_max, struct err *e)
{
	const u8 *f = k->head;
	struct boot_info *bi = &k->info;
	u64 phoff, entry, lo = ~0ULL, hi = 0;
	u16 phentsize, phnum, i;
	bool entry_ok = false;
	u8 *h = k->setup_header;

	if (k->head_len < 64 || f[4] != 2 || f[5] != 1 || get16(f, 18) != ELF_EM_X86_64 ||
	    get16(f, 16) != ELF_ET_EXEC)
		return err_set(e, "--kernel %s: an ELF file, but not a 64-bit little-endian x86-64 executable",
			       path);
	entry = get64(f, 24);
	phoff = get64(f, 32);
	phentsize = get16(f, 54);
	phnum = get16(f, 56);
	if (phentsize < 56 || phoff > k->head_len || (u64)phnum * phentsize > k->head_len - phoff)
		return err_set(e, "--kernel %s: program headers not within the first %u KiB of the file",
			       path, KERNEL_HEAD_MAX / 1024);
	for (i = 0; i < phnum; i++) {
		const u8 *ph = f + phoff + (u64)i * phentsize;
		struct kernel_segment *sg;

		if (get32(ph, 0) != ELF_PT_LOAD || !get64(ph, 40))
			continue;
		if (k->nr_seg == KERNEL_MAX_SEGMENTS)
			return err_set(e, "--kernel %s: more than %d loadable segments", path,
				       KERNEL_MAX_SEGMENTS);
		sg = &k->seg[k->nr_seg++];
		sg->offset = get64(ph, 8);
		sg->paddr = get64(ph, 24);
		sg->filesz = get64(ph, 32);
		sg->memsz = get64(ph, 40);
		if (sg->filesz > sg->memsz || sg->offset > k->file_len ||
		    sg->filesz > k->file_len - sg->offset || sg->paddr + sg->memsz < sg->paddr)
			return err_set(e, "--kernel %s: segment %u lies outside the file or wraps", path, i);
		if (!layout__is_ram(lay, sg->paddr, sg->memsz) || sg->paddr < LEGACY_HOLE_END)
			return err_set(e, "--kernel %s: segment at [0x%llx-0x%llx) is not usable guest RAM",
				       path, (unsigned long long)sg->paddr,
				       (unsigned long long)(sg->paddr + sg->memsz));
		lo = MIN(lo, sg->paddr);
		hi = MAX(hi, sg->paddr + sg->memsz);
		entry_ok |= entry >= sg->paddr && entry < sg->paddr + sg->memsz;
	}
	if (!k->nr_seg)
		return err_set(e, "--kernel %s: no loadable segment", path);
	if (!entry_ok)
		return err_set(e, "--kernel %s: entry point 0x%llx is in no segment (not a vmlinux?)",
			       path, (unsigned long long)entry);
	*init_size = hi - lo;
	*cmdline_size = 2047;		/* x86 COMMAND_LINE_SIZE - 1 */
	*initrd_max = 0x7fffffff;

	/* The setup header a bzImage of protocol 2.15 would carry. */
	memset(h, 0, sizeof(k->setup_header));
	h[HDR_BOOT_FLAG - BP_SETUP_HEADER] = 0x55;
	h[HDR_BOOT_FLAG + 1 - BP_SETUP_HEADER] = 0xaa;
	h[HDR_JUMP + 1 - BP_SETUP_HEADER] = 0x266 - 0x202;	/* header length */
	memcpy(h + HDR_MAGIC - BP_SETUP_HEADER, "HdrS", 4);
	h[HDR_VERSION - BP_SETUP_HEADER] = 0x0f;
	h[HDR_VERSION + 1 - BP_SETUP_HEADER] = 0x02;
	h[HDR_LOADFLAGS - BP_SETUP_HEADER] = LOADFLAG_LOADED_HIGH;
	memcpy(h + HDR_KERNEL_ALIGNMENT - BP_SETUP_HEADER, &(u32){ SZ_2M }, 4);
	memcpy(h + HDR_XLOADFLAGS - BP_SETUP_HEADER, &(u16){ XLF_KERNEL_64 }, 2);
	memcpy(h + HDR_CMDLINE_SIZE - BP_SETUP_HEADER, cmdline_size, 4);
	memcpy(h + HDR_INITRD_ADDR_MAX - BP_SETUP_HEADER, initrd_max, 4);
	memcpy(h + HDR_PREF_ADDRESS - BP_SETUP_HEADER, &lo, 8);
	memcpy(h + HDR_INIT_SIZE - BP_SETUP_HEADER, &(u32){ (u32)*init_size }, 4);

	k->elf = true;
	bi->setup_header = h;
	bi->setup_header_len = 0x266 - BP_SETUP_HEADER;
	bi->kernel_addr = lo;
	bi->kernel_size = hi - lo;
	bi->entry32 = 0;		/* no 32-bit entry: KVM engine only */
	bi->entry64 = entry;
	return 0;
}

/* Opens the kernel and reads its headers; the fd stays open for the engines. */
static int read_head(const char *path, struct kernel_image *k, struct err *e)
{
	struct stat st;
	int ret;

	k->path = path;
	k->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);	/* a FIFO must not hang us */
	if (k->fd < 0)
		return err_set(e, "--kernel %s: %s", path, strerror(errno));
	if (fstat(k->fd, &st) || !S_ISREG(st.st_mode))
		return err_set(e, "--kernel %s: not a regular file", path);
	k->file_len = st.st_size;
	k->head = malloc(KERNEL_HEAD_MAX);
	if (!k->head)
		return err_set(e, "out of memory");
	k->head_len = MIN(k->file_len, (u64)KERNEL_HEAD_MAX);
	ret = kernel_image__read(k, 0, k->head, k->head_len, e);
	if (ret)
		k->head_len = 0;
	return ret;
}

static int prepare(const struct vm_spec *spec, const struct layout *lay,
		   const char *extra, struct kernel_image *k, struct err *e)
{
	struct boot_info *bi = &k->info;
	const char *cmdline = spec__cmdline(spec);
	u64 init_size = 0, top;
	u32 cmdline_size, initrd_max;
	struct stat st;
	size_t len;
	char s[32];
	int ret;

	memset(k, 0, sizeof(*k));
	k->fd = -1;
	if (!spec->kernel)
		return err_set(e, "--kernel is required (or use --dump-firmware)");
	ret = read_head(spec->kernel, k, e);
	if (ret)
		return ret;
	if (k->head_len >= 4 && !memcmp(k->head, "\x7f" "ELF", 4))
		ret = parse_elf(spec->kernel, lay, k, &init_size, &cmdline_size, &initrd_max, e);
	else
		ret = parse_bzimage(spec->kernel, lay, k, &init_size, &cmdline_size, &initrd_max, e);
	if (ret)
		return ret;

	/* The engine's arguments come after a space. */
	len = strlen(cmdline) + (extra && *extra ? 1 + strlen(extra) : 0);
	if (len > cmdline_size || len + 1 > FW_CMDLINE_MAX) {
		if (len == strlen(cmdline))
			return err_set(e, "--cmdline: %zu bytes, this kernel takes at most %u",
				       len, MIN(cmdline_size, (u32)FW_CMDLINE_MAX - 1));
		return err_set(e, "--cmdline: %zu bytes and the %zu mirrorvm appends (%s), this kernel takes at most %u",
			       strlen(cmdline), len - strlen(cmdline), extra,
			       MIN(cmdline_size, (u32)FW_CMDLINE_MAX - 1));
	}
	bi->cmdline = cmdline;
	bi->cmdline_extra = extra && *extra ? extra : NULL;

	if (spec->initrd) {
		if (stat(spec->initrd, &st) || !S_ISREG(st.st_mode))
			return err_set(e, "--initrd %s: %s", spec->initrd,
				       errno ? strerror(errno) : "not a regular file");
		k->initrd_path = spec->initrd;
		k->initrd_size = st.st_size;
		top = MIN(low_ram_top(lay), (u64)initrd_max + 1);
		/* Highest 2 MiB-aligned spot below the top, as GRUB does. */
		if (k->initrd_size > top ||
		    ((top - k->initrd_size) & ~(SZ_2M - 1)) < bi->kernel_addr + init_size)
			return err_set(e, "--initrd %s: %s does not fit in RAM below 0x%llx after the kernel",
				       spec->initrd, fmt_size(ALIGN_UP(k->initrd_size, SZ_4K), s),
				       (unsigned long long)top);
		bi->initrd_addr = (top - k->initrd_size) & ~(SZ_2M - 1);
		bi->initrd_size = k->initrd_size;
	}
	return 0;
}

int kernel_image__prepare(const struct vm_spec *spec, const struct layout *lay,
			  const char *cmdline_extra, struct kernel_image *k, struct err *e)
{
	int ret = prepare(spec, lay, cmdline_extra, k, e);

	if (ret)
		kernel_image__release(k);	/* a rejected kernel keeps nothing */
	return ret;
}

/*
 * Reads @len bytes of the kernel file at @off into @dst (guest RAM or a
 * buffer).  The file was checked when it was opened; one that has shrunk
 * since is an error, not a guest with a hole in its kernel.
 */
int kernel_image__read(const struct kernel_image *k, u64 off, void *dst, u64 len,
		       struct err *e)
{
	int ret = pread_exact(k->fd, dst, len, off);

	if (ret)
		return err_set(e, "--kernel %s: %s", k->path, ret == -ENODATA ?
			       "the file shrank after it was checked" : strerror(-ret));
	return 0;
}

void kernel_image__release(struct kernel_image *k)
{
	free(k->head);
	k->head = NULL;
	k->head_len = 0;
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}
