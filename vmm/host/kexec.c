// SPDX-License-Identifier: GPL-2.0
/*
 * "mirrorvm kexec": replace the host kernel with kexec_file_load(2) and
 * reboot(LINUX_REBOOT_CMD_KEXEC), the first half of a live update.
 *
 * kexec_file_load rather than kexec_load: the kernel itself places the
 * segments, checks the image and (with kvm-patches 0014) hands its mirrored
 * ranges to the next kernel in a setup_data entry, since the EFI memory map
 * a kexec'ed kernel gets lists runtime regions only.  Without them the new
 * kernel would run kernelcore=mirror and MFD_MIRROR with no mirrored
 * memory.  No kexec-tools are needed, so a static mirrorvm in an initramfs
 * is enough.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bootparams.h"
#include "commands.h"
#include "host.h"
#include "pram.h"
#include "util.h"

#ifndef KEXEC_FILE_UNLOAD
#define KEXEC_FILE_UNLOAD	0x00000001
#define KEXEC_FILE_NO_INITRAMFS	0x00000004
#endif

/* x86's COMMAND_LINE_SIZE: longer command lines are cut by the kernel. */
#define KEXEC_CMDLINE_MAX	2048

struct kexec_opts {
	const char *kernel;
	const char *initrd;
	const char *cmdline;	/* NULL: the running kernel's */
	const char *append;
	bool dry_run;
	bool load_only;
	bool exec_loaded;
	bool unload;
	bool finish;
};

static void kexec_usage(FILE *out)
{
	fputs("usage: mirrorvm kexec [--dry-run] [--load-only] --kernel FILE [--initrd FILE]\n"
	      "                      [--cmdline STR] [--append STR]\n"
	      "       mirrorvm kexec --exec | --unload | --finish\n"
	      "\n"
	      "Loads a kernel with kexec_file_load(2) and reboots into it at once\n"
	      "(reboot(LINUX_REBOOT_CMD_KEXEC): no shutdown of services, file systems are\n"
	      "only synced).  A kernel booted with kernelcore=mirror and kvm-patches hands\n"
	      "its mirrored ranges to the new kernel; it needs kernelcore=mirror on its\n"
	      "command line too to use them.\n"
	      "\n"
	      "  --kernel FILE   a relocatable 64-bit bzImage (CONFIG_RELOCATABLE)\n"
	      "  --initrd FILE   its initramfs; /sys/firmware/initrd is the running\n"
	      "                  kernel's own when it was booted with retain_initrd\n"
	      "  --cmdline STR   the new kernel's command line (default: the running\n"
	      "                  kernel's, /proc/cmdline)\n"
	      "  --append STR    added to the command line after a space\n"
	      "  --dry-run       check everything and print what would be done\n"
	      "  --load-only     load the kernel, do not reboot into it\n"
	      "  --exec          reboot into the kernel loaded before\n"
	      "  --unload        forget the kernel loaded before\n"
	      "  --finish        after the kexec, once every VM is restored (run\n"
	      "                  --live-restore): free the preserved memory nobody took\n"
	      "\n"
	      "Needs CAP_SYS_BOOT and a running kernel with CONFIG_KEXEC_FILE.  See mirrorvm(1).\n",
	      out);
}

static int parse_args(int argc, char **argv, struct kexec_opts *o, struct err *e)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **val = NULL;

		if (!strcmp(a, "--kernel"))
			val = &o->kernel;
		else if (!strcmp(a, "--initrd"))
			val = &o->initrd;
		else if (!strcmp(a, "--cmdline"))
			val = &o->cmdline;
		else if (!strcmp(a, "--append"))
			val = &o->append;
		else if (!strcmp(a, "--dry-run"))
			o->dry_run = true;
		else if (!strcmp(a, "--load-only"))
			o->load_only = true;
		else if (!strcmp(a, "--exec"))
			o->exec_loaded = true;
		else if (!strcmp(a, "--unload"))
			o->unload = true;
		else if (!strcmp(a, "--finish"))
			o->finish = true;
		else
			return err_set(e, "unknown flag '%s'", a);
		if (val) {
			if (i + 1 >= argc)
				return err_set(e, "%s needs a value", a);
			*val = argv[++i];
		}
	}
	if (o->exec_loaded + o->unload + o->finish > 1)
		return err_set(e, "--exec, --unload and --finish exclude each other");
	if (o->exec_loaded || o->unload || o->finish) {
		if (o->kernel || o->initrd || o->cmdline || o->append || o->load_only ||
		    o->dry_run)
			return err_set(e, "%s takes no other flag",
				       o->exec_loaded ? "--exec" : o->unload ? "--unload" : "--finish");
		return 0;
	}
	if (!o->kernel)
		return err_set(e, "--kernel is required (or --exec, --unload)");
	return 0;
}

/*
 * What kexec_file_load's bzImage64 loader accepts: a boot protocol 2.12+
 * bzImage of a 64-bit kernel that may be loaded above 4 GiB, which x86 sets
 * only with CONFIG_RELOCATABLE.  Checked here to name the reason, which
 * the kernel reports as a bare ENOEXEC.
 */
static int check_kernel(const char *path, u32 *cmdline_size, struct err *e)
{
	u8 hdr[0x280];
	u16 xlf, version;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, "--kernel %s: %s", path, strerror(errno));
	ret = pread_exact(fd, hdr, sizeof(hdr), 0);
	close(fd);
	if (ret == -ENODATA)
		return err_set(e, "--kernel %s: too short for a bzImage", path);
	if (ret)
		return err_set(e, "--kernel %s: %s", path, strerror(-ret));
	if (hdr[HDR_BOOT_FLAG] != 0x55 || hdr[HDR_BOOT_FLAG + 1] != 0xaa ||
	    memcmp(hdr + HDR_MAGIC, "HdrS", 4))
		return err_set(e, "--kernel %s: not a bzImage (no x86 boot header)", path);
	memcpy(&version, hdr + HDR_VERSION, 2);
	memcpy(&xlf, hdr + HDR_XLOADFLAGS, 2);
	if (version < BOOT_PROTOCOL_MIN || !(xlf & XLF_KERNEL_64))
		return err_set(e, "--kernel %s: not a 64-bit kernel of boot protocol 2.12 or later",
			       path);
	if (!(xlf & XLF_CAN_BE_LOADED_ABOVE_4G))
		return err_set(e, "--kernel %s: not relocatable (build it with CONFIG_RELOCATABLE)",
			       path);
	memcpy(cmdline_size, hdr + HDR_CMDLINE_SIZE, 4);
	return 0;
}

/*
 * @src without its words that start with @prefix, into @buf; returns its
 * length (at least @cap if it did not fit).
 */
static size_t strip_word(char *buf, size_t cap, const char *src, const char *prefix)
{
	size_t len = 0, n, plen = strlen(prefix);
	const char *p = src;

	buf[0] = '\0';
	while (*p) {
		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n && strncmp(p, prefix, plen)) {
			if (len + !!len + n < cap)
				snprintf(buf + len, cap - len, "%s%.*s", len ? " " : "", (int)n, p);
			len += !!len + n;
		}
		p += n;
	}
	return len;
}

/*
 * The new kernel's command line into @buf: --cmdline or /proc/cmdline
 * without pram= (only this kexec's preserved memory may be named there),
 * and --append.
 */
static int build_cmdline(const struct kexec_opts *o, u32 kernel_max, char *buf, size_t cap,
			 struct err *e)
{
	char cur[KEXEC_CMDLINE_MAX + 1];
	const char *base = o->cmdline;
	size_t len;

	if (!base) {
		if (hostfs__read_str("/proc/cmdline", cur, sizeof(cur)))
			return err_set(e, "cannot read /proc/cmdline: %s (give --cmdline)",
				       strerror(errno));
		base = cur;
	}
	len = strip_word(buf, cap, base, "pram=");
	if (len < cap)
		len += snprintf(buf + len, cap - len, "%s%s", o->append && len ? " " : "",
				o->append ? o->append : "");
	if (kernel_max && kernel_max < cap - 1)
		cap = kernel_max + 1;
	if (len >= cap)
		return err_set(e, "the command line is %zu bytes, the kernel takes at most %zu",
			       len, cap - 1);
	return 0;
}

static bool has_word(const char *cmdline, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = cmdline; (p = strstr(p, word)); p += n)
		if ((p == cmdline || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

/*
 * Says whether the new kernel will know its mirrored memory: only if the
 * running one recorded ranges (kernelcore=mirror, kvm-patches) and the new
 * command line asks for kernelcore=mirror again.
 */
static void report_mirror(const char *new_cmdline)
{
	char cur[KEXEC_CMDLINE_MAX + 1] = "";
	struct host_mirror hm = { .nr_ranges = 0 };
	bool have_file = !host_mirror__read_ranges(&hm);
	unsigned int nr = hm.nr_ranges;

	hostfs__read_str("/proc/cmdline", cur, sizeof(cur));
	if (nr && !has_word(new_cmdline, "kernelcore=mirror"))
		warn("the new command line lacks kernelcore=mirror: the new kernel will not use the %u mirrored ranges handed to it",
		     nr);
	else if (nr)
		info("%u mirrored ranges go to the new kernel", nr);
	else if (!have_file && has_word(cur, "kernelcore=mirror"))
		warn("the running kernel has no /sys/kernel/mm/mirror/ranges (no kvm-patches): the new kernel will see no mirrored memory");
}

/*
 * Memfds preserved through /dev/pram (kvm-patches 0015) go to the new
 * kernel: the metadata is built now, before the kernel is loaded (kexec
 * then places it around the preserved memory), and pram=<pfn> appended.
 * Nothing preserved, or a kernel without PRAM: nothing to do.
 */
static int finalize_pram(char *cmdline, size_t cap, struct err *e)
{
	struct pram_finalize res;
	size_t len = strlen(cmdline);
	int fd, ret;

	fd = open(PRAM_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return err_set(e, "%s: %s", PRAM_DEVICE, strerror(errno));
	ret = ioctl(fd, PRAM_IOC_FINALIZE, &res) ? -errno : 0;
	close(fd);
	if (ret == -ENODATA)
		return 0;
	if (ret)
		return err_set(e, "%s: building the metadata of the preserved memory: %s", PRAM_DEVICE,
			       strerror(-ret));
	if ((size_t)snprintf(cmdline + len, cap - len, "%spram=%#llx", len ? " " : "",
			     (unsigned long long)res.sb_pfn) >= cap - len)
		return err_set(e, "the command line has no room for pram=");
	info("%llu pages of %u preserved memfds (%u extents) go to the new kernel",
	     (unsigned long long)res.nr_pages, res.nr_files, res.nr_extents);
	return 0;
}

/* What the previous kernel preserved and no VM took back, freed */
static int finish_pram(struct err *e)
{
	int fd = pram__open(e), ret;

	if (fd < 0)
		return fd;
	ret = ioctl(fd, PRAM_IOC_FINISH) ? -errno : 0;
	close(fd);
	if (ret == -ENOENT)
		return err_set(e, "--finish: the previous kernel preserved nothing for this one (or it is freed already)");
	if (ret)
		return err_set(e, "--finish: %s", strerror(-ret));
	info("preserved memory that was not taken back is free again");
	return 0;
}

static long sys_kexec_file_load(int kfd, int ifd, unsigned long len, const char *cmdline,
				unsigned long flags)
{
	return syscall(SYS_kexec_file_load, kfd, ifd, len, cmdline, flags);
}

static const char *kexec_errno_reason(int err)
{
	switch (err) {
	case ENOSYS:
		return "the running kernel lacks CONFIG_KEXEC_FILE";
	case EPERM:
		return "needs CAP_SYS_BOOT, and kexec must not be disabled (kernel.kexec_load_disabled)";
	case ENOEXEC:
		return "the kernel refused the image (not a relocatable bzImage, or a signature is required)";
	case EBUSY:
		return "another kexec load is in progress";
	default:
		return strerror(err);
	}
}

static int reboot_into_loaded(struct err *e)
{
	if (hostfs__read_long("/sys/kernel/kexec_loaded") == 0)
		return err_set(e, "--exec: no kernel is loaded (mirrorvm kexec --load-only first)");
	sync();
	info("rebooting into the loaded kernel");
	fflush(NULL);
	reboot(RB_KEXEC);
	return err_set(e, "reboot into the loaded kernel failed: %s", kexec_errno_reason(errno));
}

static int do_kexec(const struct kexec_opts *o, struct err *e)
{
	char cmdline[KEXEC_CMDLINE_MAX + 1];
	unsigned long flags = 0;
	u32 kernel_max = 0;
	u64 t0;
	int kfd, ifd = -1, ret;

	if (o->unload) {
		if (sys_kexec_file_load(-1, -1, 0, NULL, KEXEC_FILE_UNLOAD))
			return err_set(e, "--unload: %s", kexec_errno_reason(errno));
		info("unloaded the kexec kernel");
		return 0;
	}
	if (o->exec_loaded)
		return reboot_into_loaded(e);
	if (o->finish)
		return finish_pram(e);

	ret = check_kernel(o->kernel, &kernel_max, e);
	if (ret)
		return ret;
	if (o->initrd && access(o->initrd, R_OK))
		return err_set(e, "--initrd %s: %s", o->initrd, strerror(errno));
	ret = build_cmdline(o, kernel_max, cmdline, sizeof(cmdline), e);
	if (ret)
		return ret;
	report_mirror(cmdline);
	if (!o->dry_run) {
		ret = finalize_pram(cmdline, kernel_max ? MIN(sizeof(cmdline), (size_t)kernel_max + 1)
						   : sizeof(cmdline), e);
		if (ret)
			return ret;
	}
	if (o->dry_run) {
		printf("kernel %s\ninitrd %s\ncmdline %s\n%s\n", o->kernel,
		       o->initrd ? o->initrd : "(none)", cmdline,
		       o->load_only ? "load only" : "load and reboot");
		return 0;
	}

	kfd = open(o->kernel, O_RDONLY | O_CLOEXEC);
	if (kfd < 0)
		return err_set(e, "--kernel %s: %s", o->kernel, strerror(errno));
	if (o->initrd) {
		ifd = open(o->initrd, O_RDONLY | O_CLOEXEC);
		if (ifd < 0) {
			ret = err_set(e, "--initrd %s: %s", o->initrd, strerror(errno));
			close(kfd);
			return ret;
		}
	} else {
		flags |= KEXEC_FILE_NO_INITRAMFS;
	}
	info("loading %s%s%s", o->kernel, o->initrd ? " with " : "", o->initrd ? o->initrd : "");
	t0 = mono_ms();
	ret = sys_kexec_file_load(kfd, ifd, strlen(cmdline) + 1, cmdline, flags) ? -errno : 0;
	close(kfd);
	if (ifd >= 0)
		close(ifd);
	if (ret)
		return err_set(e, "kexec_file_load %s: %s", o->kernel, kexec_errno_reason(-ret));
	info("loaded in %llu ms", (unsigned long long)(mono_ms() - t0));
	if (o->load_only) {
		info("loaded; mirrorvm kexec --exec reboots into it");
		return 0;
	}
	return reboot_into_loaded(e);
}

int cmd_kexec(int argc, char **argv)
{
	struct kexec_opts o;
	struct err e;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		kexec_usage(stdout);
		return 0;
	}
	if (parse_args(argc, argv, &o, &e)) {
		fprintf(stderr, "mirrorvm kexec: %s\n", e.msg);
		kexec_usage(stderr);
		return 1;
	}
	if (do_kexec(&o, &e)) {
		fprintf(stderr, "mirrorvm kexec: %s\n", e.msg);
		return 1;
	}
	return 0;
}
