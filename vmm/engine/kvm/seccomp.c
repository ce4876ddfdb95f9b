// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM engine's system call filter (seccomp-filter.h).  Everything that
 * needs more of the kernel than the loop below is done before it goes in:
 * /dev/kvm, the VM and its vCPUs, guest memory, the firmware and images, the
 * control socket, the placement report's file.  What is left is what a
 * running VM does, grouped below by who needs it.  A call the list does not
 * name traps (SIGSYS): the handler names it on stderr and ends mirrorvm with
 * MVM_EXIT_SECCOMP.  Trapping rather than SCMP_ACT_KILL_PROCESS, whose only
 * trace is an audit record, so that whoever runs mirrorvm reads which call
 * it was; the handler exits rather than dying of SIGSYS so that no core
 * dump of guest memory is written.  A handler replaced by code that took
 * control of mirrorvm could only keep it alive: the call itself is still
 * refused.
 *
 * Arguments are checked where that is cheap and the set of values used is
 * small and fixed.  Integer arguments are compared on their low 32 bits,
 * which is what the kernel reads of them.  Where a list would be guesswork
 * (futex operations, epoll flags) the call is allowed whole: a wrong guess
 * kills a guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine.h"
#include "platform.h"
#include "pram.h"
#include "seccomp-filter.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

/*
 * AddressSanitizer's runtime needs what the filter exists to forbid: its
 * leak check at exit stops the world by cloning a process-like task and
 * ptrace()ing every thread, and its reports may spawn a symbolizer.  The
 * sanitizer build (build/mirrorvm-san) therefore runs without the filter;
 * the plain and static builds, which the guest trials run, have it on.
 */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN	1
#endif
#endif

/* An argument's low 32 bits equal @v; its bits in @mask equal @v. */
#define ARG_EQ(i, v)		{ (i), SCMP_CMP_MASKED_EQ, 0xffffffffULL, (u32)(v) }
#define ARG_MASK(i, mask, v)	{ (i), SCMP_CMP_MASKED_EQ, (mask), (v) }
/* A pointer argument is NULL (all 64 bits). */
#define ARG_NULL(i)		{ (i), SCMP_CMP_EQ, 0, 0 }

/* One allowed system call, under at most one argument condition. */
struct rule {
	int nr;
	bool has_cmp;
	struct scmp_arg_cmp cmp;
};

#define ALLOW(name)		{ SCMP_SYS(name), false, { 0 } }
#define ALLOW_IF(name, cmp)	{ SCMP_SYS(name), true, cmp }

static const struct rule rules[] = {
	/*
	 * The run loop (main thread): epoll over the VM's event fd, the
	 * signalfd, the console's input and retry timer, memory hotplug's
	 * event fd and deadline timer, and the control socket's clients.
	 * read/write serve all of them and the console's output; stderr
	 * takes mirrorvm's messages (writev: glibc's fatal messages).
	 */
	ALLOW(epoll_wait),
	ALLOW(epoll_pwait),
	ALLOW(epoll_ctl),
	ALLOW(read),
	ALLOW(write),
	ALLOW(writev),
	ALLOW(close),
	ALLOW(timerfd_settime),
	/* the host terminal: isatty(), and raw mode restored at the end */
	ALLOW_IF(ioctl, ARG_EQ(1, TCGETS)),
	ALLOW_IF(ioctl, ARG_EQ(1, TCSETS)),

	/*
	 * vCPU threads: KVM_RUN; the registers for a dump (SIGQUIT, a
	 * crash) and query-cpus; device interrupts.
	 */
	ALLOW_IF(ioctl, ARG_EQ(1, KVM_RUN)),
	ALLOW_IF(ioctl, ARG_EQ(1, KVM_GET_REGS)),
	ALLOW_IF(ioctl, ARG_EQ(1, KVM_GET_SREGS)),
	ALLOW_IF(ioctl, ARG_EQ(1, KVM_IRQ_LINE)),
	/*
	 * Kicks out of KVM_RUN (pause, stop, dumps): pthread_kill() is
	 * tgkill() on our own process (that rule, which needs our pid, is
	 * added by build()), with getpid() before each.
	 * Signal handlers return through rt_sigreturn; the vCPUs' kick
	 * handler is installed as they start; masks change around thread
	 * creation and signalfd.  Locks, condition variables and joins
	 * are futexes.
	 */
	ALLOW(getpid),
	ALLOW(gettid),
	ALLOW(rt_sigreturn),
	ALLOW(rt_sigaction),
	ALLOW(rt_sigprocmask),
	ALLOW(futex),
	ALLOW(restart_syscall),
	/* ...and each vCPU thread names itself ("vcpu0") */
	ALLOW_IF(prctl, ARG_EQ(0, PR_SET_NAME)),
	/*
	 * ...and one whose KVM_RUN fails with EFAULT on a host with
	 * MFD_MIRROR explains it (host_mirror__explain_enomem, also on a
	 * re-plug's fallocate): /proc/meminfo, a sysctl, and RLIMIT_MEMLOCK,
	 * read (prlimit64 with no new limit), never set.
	 */
	ALLOW_IF(prlimit64, ARG_NULL(2)),
	ALLOW(getrlimit),

	/*
	 * The control socket: clients connect and exchange lines
	 * (recv/send are recvfrom/sendto; recvmsg takes the descriptors
	 * a request may come with).  Its removal at the end,
	 * fstatat() then unlinkat() in its directory, is added by
	 * build(), which knows the directory; fstatat() is allowed whole
	 * below.
	 */
	ALLOW(accept4),
	ALLOW(recvfrom),
	ALLOW(recvmsg),
	ALLOW(sendto),

	/*
	 * Snapshots (the "snapshot" command, snapshot.c): the files the
	 * client passed with the request are written (pwrite64, ftruncate
	 * below) with what KVM holds of the paused VM (kvm-state.c's
	 * KVM_GET_* ioctls) and guest memory (mincore below).
	 */
	ALLOW(pwrite64),
	ALLOW_IF(ioctl, ARG_EQ(1, KVM_CHECK_EXTENSION)),
	ALLOW_IF(ioctl, ARG_EQ(1, KVM_GET_MSR_INDEX_LIST)),
	ALLOW_IF(ioctl, ARG_EQ(1, KVM_GET_SREGS2)),
	ALLOW_IF(ioctl, ARG_EQ(1, KVM_GET_XSAVE)),
	ALLOW_IF(ioctl, ARG_EQ(1, KVM_GET_XSAVE2)),
	ALLOW_IF(ioctl, ARG_EQ(1, KVM_GET_XCRS)),
	ALLOW_IF(ioctl, ARG_EQ(1, KVM_GET_DEBUGREGS)),
	ALLOW_IF(ioctl, ARG_EQ(1, KVM_GET_LAPIC)),
	ALLOW_IF(ioctl, ARG_EQ(1, KVM_GET_MSRS)),
	ALLOW_IF(ioctl, ARG_EQ(1, KVM_GET_MP_STATE)),
	ALLOW_IF(ioctl, ARG_EQ(1, KVM_GET_VCPU_EVENTS)),
	ALLOW_IF(ioctl, ARG_EQ(1, KVM_GET_TSC_KHZ)),
	ALLOW_IF(ioctl, ARG_EQ(1, KVM_GET_IRQCHIP)),
	ALLOW_IF(ioctl, ARG_EQ(1, KVM_GET_PIT2)),
	ALLOW_IF(ioctl, ARG_EQ(1, KVM_GET_CLOCK)),

	/*
	 * Live update (the "live-update" command): the state goes into the
	 * memfd the client passed (pwrite64, ftruncate), then it and every
	 * RAM memfd into PRAM through the client's /dev/pram.
	 */
	ALLOW_IF(ioctl, ARG_EQ(1, PRAM_IOC_PRESERVE_FD)),

	/*
	 * Memory hot-unplug and re-plug (memhp.c, memory.c): a unit's KVM
	 * slots deleted and given back; its host memory replaced by an
	 * inaccessible reservation (mmap PROT_NONE MAP_FIXED) and mapped
	 * again as at start-up (backing.c, mirror.c: mmap, memfd_create,
	 * ftruncate, fallocate, mbind, MADV_HUGEPAGE) and moved into place
	 * (mremap); mincore() counts what was freed; prefault=on populates
	 * (MADV_POPULATE_WRITE) on worker threads.  The host checks before
	 * a re-plug read sysfs (huge pages, NUMA nodes); the placement
	 * report (query-placement, --placement-report) reads sysfs,
	 * /proc/self/pagemap and /proc/self/status.  So: open read-only,
	 * never to create or truncate.
	 */
	ALLOW_IF(ioctl, ARG_EQ(1, KVM_SET_USER_MEMORY_REGION)),
	ALLOW_IF(mmap, ARG_MASK(2, PROT_EXEC, 0)),
	ALLOW_IF(mprotect, ARG_MASK(2, PROT_EXEC, 0)),
	ALLOW(mremap),
	ALLOW(munmap),
	ALLOW(mincore),
	ALLOW(memfd_create),
	ALLOW(ftruncate),
	ALLOW_IF(fallocate, ARG_EQ(1, 0)),
	ALLOW(mbind),
	ALLOW_IF(madvise, ARG_EQ(2, MADV_HUGEPAGE)),
	ALLOW_IF(madvise, ARG_EQ(2, MADV_POPULATE_WRITE)),
	ALLOW_IF(openat, ARG_MASK(2, O_ACCMODE | O_CREAT | O_TRUNC, 0)),
	ALLOW(lseek),
	ALLOW(pread64),
	ALLOW(getdents64),
	ALLOW(fstat),
	ALLOW(newfstatat),
	ALLOW(access),
	ALLOW(faccessat),

	/*
	 * Threads, created after the filter (vCPUs, prefault workers): only
	 * clone() of a thread, never of a process; clone3() passes its
	 * flags in memory the filter cannot read, so it fails with ENOSYS
	 * and glibc falls back to clone() (build()).  A new thread
	 * registers its robust futex list and rseq area; its stack is mapped
	 * and its guard page protected (mmap, mprotect above) and released
	 * with MADV_DONTNEED when it ends.  The prefault workers are as
	 * many as the online CPUs (sysfs, or sched_getaffinity()).
	 */
	ALLOW_IF(clone, ARG_MASK(0, CLONE_THREAD, CLONE_THREAD)),
	ALLOW(set_robust_list),
	ALLOW(rseq),
	ALLOW(exit),
	ALLOW(sched_getaffinity),
	ALLOW(sched_yield),

	/* Time: stop_all's join timeout, the progress line, event stamps. */
	ALLOW(clock_gettime),
	ALLOW(gettimeofday),
	ALLOW(clock_nanosleep),
	ALLOW(nanosleep),

	/*
	 * The C library on its own: malloc (brk, mmap, MADV_DONTNEED on
	 * free), qsort() of a large control-socket request (its memory
	 * limit comes from sysinfo()), entropy, and the end of mirrorvm.
	 */
	ALLOW_IF(madvise, ARG_EQ(2, MADV_DONTNEED)),
	ALLOW(brk),
	ALLOW(sysinfo),
	ALLOW(getrandom),
	ALLOW(exit_group),
};

/*
 * Syscall names for the handler, which may not look anything up: a table
 * made from <asm/unistd.h> at build time ("[0] = \"read\",", Makefile).
 */
static const char *const names[] = {
#include "syscall-names.h"
};
static u32 native_arch;

static size_t put_str(char *buf, size_t pos, size_t len, const char *s)
{
	while (*s && pos + 1 < len)
		buf[pos++] = *s++;
	return pos;
}

static size_t put_num(char *buf, size_t pos, size_t len, unsigned long v, unsigned int base)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v && n < sizeof(tmp));
	while (n && pos + 1 < len)
		buf[pos++] = tmp[--n];
	return pos;
}

/* SIGSYS: async-signal-safe only (write, tcsetattr, _exit). */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char msg[512];
	size_t n = 0;
	int nr = si->si_syscall;
	bool native = si->si_arch == native_arch;
	ssize_t w;

	(void)sig;
	(void)uc;
	n = put_str(msg, n, sizeof(msg), "mirrorvm: seccomp: system call ");
	if (native && nr >= 0 && nr < (int)ARRAY_SIZE(names) && names[nr]) {
		n = put_str(msg, n, sizeof(msg), names[nr]);
		n = put_str(msg, n, sizeof(msg), " (");
		n = put_num(msg, n, sizeof(msg), nr, 10);
		n = put_str(msg, n, sizeof(msg), ")");
	} else {
		n = put_num(msg, n, sizeof(msg), (unsigned int)nr, 10);
		if (!native) {
			n = put_str(msg, n, sizeof(msg), " of audit architecture 0x");
			n = put_num(msg, n, sizeof(msg), si->si_arch, 16);
		}
	}
	n = put_str(msg, n, sizeof(msg),
		    " is not allowed while the guest runs: stopping mirrorvm (exit status 159).  "
		    "A bug in mirrorvm, or a guest that took control of it; "
		    "--seccomp off runs without the filter, for debugging.\n");
	w = write(STDERR_FILENO, msg, n);
	(void)w;
	term__restore();
	_exit(MVM_EXIT_SECCOMP);
}

const char *seccomp__unavailable(void)
{
#ifdef UNDER_ASAN
	return "this is an AddressSanitizer build, whose runtime needs ptrace() and more";
#else
	/*
	 * A kernel built without CONFIG_SECCOMP (tinyconfig-based guest and
	 * host kernels among them) fails PR_GET_SECCOMP with EINVAL, and
	 * would refuse the filter at load time.
	 */
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL)
		return "this kernel has no seccomp (CONFIG_SECCOMP is off)";
	return NULL;
#endif
}

bool seccomp__sanitized_build(void)
{
#ifdef UNDER_ASAN
	return true;
#else
	return false;
#endif
}

static int add_rule(scmp_filter_ctx ctx, const struct rule *r, struct err *e)
{
	int ret = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, r->nr, r->has_cmp, &r->cmp);
	char *name;

	if (!ret)
		return 0;
	name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, r->nr);
	err_set(e, "seccomp: the rule for %s: %s", name ? name : "?", strerror(-ret));
	free(name);
	return ret;
}

static int build(scmp_filter_ctx ctx, const struct seccomp_needs *needs, struct err *e)
{
	const struct rule tail[] = {
		/* the control socket's removal: in its directory only */
		ALLOW_IF(unlinkat, ARG_EQ(0, needs->api_dir_fd)),
	};
	const struct rule own_pid = ALLOW_IF(tgkill, ARG_EQ(0, getpid()));
	unsigned int i;
	int ret;

	/* bad architecture (x32, int 0x80): the handler names it too */
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP);
	if (ret)
		return err_set(e, "seccomp: filter attributes: %s", strerror(-ret));
	for (i = 0; i < ARRAY_SIZE(rules); i++) {
		ret = add_rule(ctx, &rules[i], e);
		if (ret)
			return ret;
	}
	ret = add_rule(ctx, &own_pid, e);
	for (i = 0; !ret && needs->api_dir_fd >= 0 && i < ARRAY_SIZE(tail); i++)
		ret = add_rule(ctx, &tail[i], e);
	if (ret)
		return ret;
	/* glibc's pthread_create() falls back to clone() on ENOSYS */
	ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (ret)
		return err_set(e, "seccomp: the rule for clone3: %s", strerror(-ret));
	return 0;
}

/*
 * libseccomp's compiled program, taken from seccomp_export_bpf() through a
 * memfd: compiling costs a third of a millisecond, so the KVM engine does
 * it on another thread while the VM is set up (seccomp__build), and only
 * the loading is left for the moment before the guest runs.
 */
static int export_program(scmp_filter_ctx ctx, struct seccomp_program *prog, struct err *e)
{
	int fd = memfd_create("mirrorvm-seccomp", MFD_CLOEXEC);
	ssize_t n = -1;
	off_t size;
	int ret;

	if (fd < 0)
		return err_set(e, "seccomp: memfd_create: %s", strerror(errno));
	ret = seccomp_export_bpf(ctx, fd);
	if (ret) {
		err_set(e, "seccomp: cannot compile the filter: %s", strerror(-ret));
		goto out;
	}
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % sizeof(struct sock_filter) ||
	    size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		ret = err_set(e, "seccomp: the compiled filter has %lld bytes", (long long)size);
		goto out;
	}
	prog->insns = malloc(size);
	if (!prog->insns) {
		ret = err_set(e, "out of memory");
		goto out;
	}
	n = pread(fd, prog->insns, size, 0);
	if (n != size) {
		ret = err_set(e, "seccomp: reading the compiled filter: %s",
			      n < 0 ? strerror(errno) : "short read");
		goto out;
	}
	prog->len = size / sizeof(struct sock_filter);
	ret = 0;
out:
	if (ret)
		seccomp__program_free(prog);
	close(fd);
	return ret;
}

int seccomp__build(const struct seccomp_needs *needs, struct seccomp_program *prog,
		   struct err *e)
{
	scmp_filter_ctx ctx;
	int ret;

	memset(prog, 0, sizeof(*prog));
	if (seccomp__unavailable())
		return err_set(e, "seccomp: %s", seccomp__unavailable());
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		return err_set(e, "seccomp: cannot create a filter (out of memory)");
	ret = build(ctx, needs, e);
	if (!ret)
		ret = export_program(ctx, prog, e);
	seccomp_release(ctx);
	return ret ? -EINVAL : 0;
}

int seccomp__load(const struct seccomp_program *prog, struct err *e)
{
	struct sock_fprog fprog = { .len = prog->len, .filter = prog->insns };
	struct sigaction sa;
	long ret;

	native_arch = seccomp_arch_native();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL))
		return err_set(e, "seccomp: SIGSYS handler: %s", strerror(errno));
	/* unprivileged filters need it; mirrorvm never gains privileges */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return err_set(e, "seccomp: PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	/* every thread, should one exist already */
	ret = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog);
	if (ret > 0)
		return err_set(e, "seccomp: thread %ld could not take the filter", ret);
	if (ret)
		return err_set(e, "seccomp: cannot install the filter: %s (--seccomp off runs without it)",
			       strerror(errno));
	return 0;
}

void seccomp__program_free(struct seccomp_program *prog)
{
	free(prog->insns);
	prog->insns = NULL;
	prog->len = 0;
}

int seccomp__install(const struct seccomp_needs *needs, struct err *e)
{
	struct seccomp_program prog;
	int ret = seccomp__build(needs, &prog, e);

	if (!ret)
		ret = seccomp__load(&prog, e);
	seccomp__program_free(&prog);
	return ret;
}

void seccomp__test_violate(const char *where)
{
	const char *want = getenv("MIRRORVM_TEST_SECCOMP_VIOLATE");
	int fd;

	if (!want || (strcmp(want, where) && !(!strcmp(want, "1") && !strcmp(where, "main"))))
		return;
	info("test hook: socket() from the %s thread, which the filter forbids", where);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	/* only without the filter */
	info("test hook: socket() returned %d: no system call filter", fd);
	if (fd >= 0)
		close(fd);
}
