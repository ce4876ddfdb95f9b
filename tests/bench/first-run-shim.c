// SPDX-License-Identifier: GPL-2.0
/*
 * The first-KVM_RUN shim of tests/bench/launch: the first
 * ioctl(fd, KVM_RUN) writes CLOCK_MONOTONIC in nanoseconds (a u64) to the
 * fd named by MVM_BENCH_SHIM_FD, then either goes on into the real ioctl
 * (MVM_BENCH_SHIM_PASS set: launch's seccomp filter stops it there and
 * proves it was the first KVM_RUN syscall) or _exit(0)s at once.  Every
 * other ioctl passes through unchanged.
 *
 * Two builds of this one file:
 *   gcc -shared -fPIC -o first-run-shim.so first-run-shim.c -ldl
 *       LD_PRELOAD'ed into dynamic programs (mirrorvm, QEMU): it takes the
 *       place of libc's ioctl, which is what both call;
 *   gcc -c -DSHIM_WRAP -o first-run-shim-wrap.o first-run-shim.c
 *       linked into static programs with -Wl,--wrap=ioctl (the floor,
 *       mirrorvm-static), where LD_PRELOAD cannot reach.
 */
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#ifdef SHIM_WRAP
int __real_ioctl(int fd, unsigned long req, ...);
#define SHIM_IOCTL	__wrap_ioctl
#else
#include <dlfcn.h>
#define SHIM_IOCTL	ioctl
static int (*real_ioctl)(int, unsigned long, void *);
#endif

static int fired;

int SHIM_IOCTL(int fd, unsigned long req, ...);

int SHIM_IOCTL(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	/* the kernel reads the request as an unsigned int */
	if ((unsigned int)req == KVM_RUN && !__atomic_exchange_n(&fired, 1, __ATOMIC_SEQ_CST)) {
		const char *out = getenv("MVM_BENCH_SHIM_FD");
		struct timespec ts;
		uint64_t t;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		t = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
		if (out && write(atoi(out), &t, sizeof(t)) != sizeof(t))
			_exit(125);
		if (!getenv("MVM_BENCH_SHIM_PASS"))
			_exit(0);
	}
#ifdef SHIM_WRAP
	return __real_ioctl(fd, req, arg);
#else
	if (!real_ioctl)
		real_ioctl = (int (*)(int, unsigned long, void *))dlsym(RTLD_NEXT, "ioctl");
	return real_ioctl(fd, req, arg);
#endif
}
