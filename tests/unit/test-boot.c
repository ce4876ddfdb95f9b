// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel images: crafted bzImage and vmlinux ELF headers through
 * kernel_image__prepare(), the placement of kernel and initrd, and the rejections.
 */
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"
#include "helpers.h"
#include "kernel-image.h"
#include "bootparams.h"

static struct vm_spec cfg;
static struct layout lay;
static struct kernel_image k;
static char path[] = "/tmp/mirrorvm-kernel-XXXXXX";

static void put16(u8 *p, u16 v) { memcpy(p, &v, 2); }
static void put32(u8 *p, u32 v) { memcpy(p, &v, 4); }
static void put64(u8 *p, u64 v) { memcpy(p, &v, 8); }

static void write_image(const u8 *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fwrite(buf, 1, len, f);
		fclose(f);
	}
}

static int prepare_extra(const char *flags, const char *extra, struct err *e)
{
	char all[4096];

	snprintf(all, sizeof(all), "--kernel %s %s", path, flags);
	if (build_layout(all, &cfg, &lay, e))
		return -1;
	return kernel_image__prepare(&cfg, &lay, extra, &k, e);
}

static int prepare(const char *flags, struct err *e)
{
	return prepare_extra(flags, NULL, e);
}

/* A bzImage header good enough for the loader: 2.15, 64-bit, 16M. */
static size_t make_bzimage(u8 *b, size_t len)
{
	memset(b, 0, len);
	b[HDR_SETUP_SECTS] = 4;
	put16(b + HDR_BOOT_FLAG, 0xaa55);
	b[HDR_JUMP + 1] = 0x66;
	memcpy(b + HDR_MAGIC, "HdrS", 4);
	put16(b + HDR_VERSION, 0x020f);
	b[HDR_LOADFLAGS] = LOADFLAG_LOADED_HIGH;
	put32(b + HDR_INITRD_ADDR_MAX, 0x7fffffff);
	put16(b + HDR_XLOADFLAGS, XLF_KERNEL_64);
	put32(b + HDR_CMDLINE_SIZE, 2047);
	put64(b + HDR_PREF_ADDRESS, 0x1000000);
	put32(b + HDR_INIT_SIZE, 0x2000000);
	return len;
}

/* An x86-64 ELF executable with one PT_LOAD at 16M, entry at its start. */
static size_t make_elf(u8 *b, size_t len, u64 entry, u64 filesz)
{
	u8 *ph = b + 64;

	memset(b, 0, len);
	memcpy(b, "\x7f" "ELF", 4);
	b[4] = 2;	/* 64-bit */
	b[5] = 1;	/* little-endian */
	put16(b + 16, 2);	/* ET_EXEC */
	put16(b + 18, 62);	/* x86-64 */
	put64(b + 24, entry);
	put64(b + 32, 64);	/* phoff */
	put16(b + 54, 56);
	put16(b + 56, 1);
	put32(ph, 1);		/* PT_LOAD */
	put64(ph + 8, 0x1000);	/* offset */
	put64(ph + 24, 0x1000000);
	put64(ph + 32, filesz);
	put64(ph + 40, 0x3000000);
	return len;
}

static u8 img[0x8000];

static void test_bzimage(void)
{
	struct err e = { "" };

	write_image(img, make_bzimage(img, sizeof(img)));
	CHECK(prepare("--memory 512M --cmdline console=ttyS0", &e) == 0, "%s", e.msg);
	CHECK(!k.elf && k.pm_offset == 5 * 512, "pm offset %zu", k.pm_offset);
	CHECK(k.info.kernel_addr == 0x1000000 && k.info.entry64 == 0x1000200 &&
	      k.info.entry32 == 0x1000000, "entries");
	CHECK(k.info.setup_header_len == 0x202 + 0x66 - 0x1f1, "%zu", k.info.setup_header_len);
	kernel_image__release(&k);
}

/*
 * The engine's arguments count against the kernel's command line size,
 * and the error says they are mirrorvm's, not the user's.
 */
static void test_cmdline_extra(void)
{
	static char flags[2300];
	struct err e = { "" };

	write_image(img, make_bzimage(img, sizeof(img)));
	memset(flags, 0, sizeof(flags));
	strcpy(flags, "--memory 512M --cmdline ");
	memset(flags + strlen(flags), 'x', 2040);
	CHECK(prepare_extra(flags, NULL, &e) == 0, "2040 bytes fit: %s", e.msg);
	CHECK(k.info.cmdline_extra == NULL, "no extra");
	kernel_image__release(&k);
	CHECK(prepare_extra(flags, "tsc_early_khz=1", &e) != 0 &&
	      strstr(e.msg, "2040 bytes and the 16 mirrorvm appends (tsc_early_khz=1)") &&
	      strstr(e.msg, "at most 2047"), "%s", e.msg);
	CHECK(prepare_extra("--memory 512M --cmdline quiet", "tsc_early_khz=1", &e) == 0, "%s", e.msg);
	CHECK(!strcmp(k.info.cmdline, "quiet") && !strcmp(k.info.cmdline_extra, "tsc_early_khz=1"),
	      "the guest's command line is not edited");
	kernel_image__release(&k);
}

/* The engines read the kernel from the file they checked, not a copy. */
static void test_kernel_read(void)
{
	struct err e = { "" };
	u8 got[64];
	unsigned int i;

	make_bzimage(img, sizeof(img));
	for (i = 0; i < sizeof(got); i++)
		img[5 * 512 + i] = 0xa0 + i;
	write_image(img, sizeof(img));
	CHECK(prepare("--memory 512M", &e) == 0, "%s", e.msg);
	CHECK(k.info.kernel_size == sizeof(img) - 5 * 512, "kernel size %llu",
	      (unsigned long long)k.info.kernel_size);
	CHECK(kernel_image__read(&k, k.pm_offset, got, sizeof(got), &e) == 0 &&
	      !memcmp(got, img + 5 * 512, sizeof(got)), "protected-mode bytes");
	/* a file cut short after the check is an error, not a short kernel */
	CHECK(truncate(path, 5 * 512 + 16) == 0, "truncate");
	CHECK(kernel_image__read(&k, k.pm_offset, got, sizeof(got), &e) != 0 &&
	      strstr(e.msg, "shrank"), "%s", e.msg);
	kernel_image__release(&k);
	CHECK(k.fd == -1 && !k.head, "released");
}

static void test_initrd_placement(void)
{
	struct err e = { "" };
	char flags[256];
	FILE *f;

	write_image(img, make_bzimage(img, sizeof(img)));
	f = fopen("/tmp/mirrorvm-initrd-test", "w");
	CHECK(f && ftruncate(fileno(f), 3 << 20) == 0, "initrd");
	if (f)
		fclose(f);
	/* node 1 is hotpluggable: the initrd stays in node 0, below 1G */
	snprintf(flags, sizeof(flags), "--initrd /tmp/mirrorvm-initrd-test --node id=0,size=1G --node id=1,size=1G,hotplug=on");
	CHECK(prepare(flags, &e) == 0, "%s", e.msg);
	CHECK(k.info.initrd_addr == SZ_1G - (4 << 20) && k.info.initrd_size == 3 << 20,
	      "initrd at %llx", (unsigned long long)k.info.initrd_addr);
	kernel_image__release(&k);
	unlink("/tmp/mirrorvm-initrd-test");
}

static void test_elf(void)
{
	struct err e = { "" };

	write_image(img, make_elf(img, sizeof(img), 0x1000000, 0x2000));
	CHECK(prepare("--memory 512M", &e) == 0, "%s", e.msg);
	CHECK(k.elf && k.nr_seg == 1 && k.seg[0].paddr == 0x1000000 && k.seg[0].offset == 0x1000,
	      "segments");
	CHECK(k.info.entry64 == 0x1000000 && k.info.entry32 == 0, "entry");
	CHECK(k.info.kernel_size == 0x3000000, "size");
	/* the synthesized header reads like a bzImage's */
	CHECK(!memcmp(k.info.setup_header + (HDR_MAGIC - BP_SETUP_HEADER), "HdrS", 4), "HdrS");
	kernel_image__release(&k);
}

static void test_elf_rejections(void)
{
	struct err e = { "" };

	write_image(img, make_elf(img, sizeof(img), 0x5000000, 0x2000));
	CHECK(prepare("--memory 512M", &e) != 0 && strstr(e.msg, "is in no segment"), "%s", e.msg);
	write_image(img, make_elf(img, sizeof(img), 0x1000000, 0x100000));
	CHECK(prepare("--memory 512M", &e) != 0 && strstr(e.msg, "outside the file"), "%s", e.msg);
	write_image(img, make_elf(img, sizeof(img), 0x1000000, 0x2000));
	CHECK(prepare("--memory 32M", &e) != 0 && strstr(e.msg, "not usable guest RAM"), "%s", e.msg);
	make_elf(img, sizeof(img), 0x1000000, 0x2000);
	put16(img + 18, 183);	/* aarch64 */
	write_image(img, sizeof(img));
	CHECK(prepare("--memory 512M", &e) != 0 && strstr(e.msg, "not a 64-bit little-endian x86-64"),
	      "%s", e.msg);
	memset(img, 0, sizeof(img));
	write_image(img, sizeof(img));
	CHECK(prepare("--memory 512M", &e) != 0 && strstr(e.msg, "neither a bzImage"), "%s", e.msg);
	write_image(img, make_bzimage(img, sizeof(img)));
	CHECK(prepare("--memory 16M", &e) != 0 && strstr(e.msg, "to decompress"), "%s", e.msg);
}

int main(void)
{
	int fd = mkstemp(path);

	if (fd < 0)
		return 1;
	close(fd);
	RUN(test_bzimage);
	RUN(test_initrd_placement);
	RUN(test_kernel_read);
	RUN(test_cmdline_extra);
	RUN(test_elf);
	RUN(test_elf_rejections);
	unlink(path);
	UNIT_DONE();
}
