/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_SECCOMP_FILTER_H
#define MIRRORVM_SECCOMP_FILTER_H

/*
 * The KVM engine's system call filter (vmm/engine/kvm/seccomp.c, libseccomp),
 * installed once the VM is set up and before the guest runs (--seccomp,
 * on by default).  From then on mirrorvm may make only the system calls its
 * run loop, vCPU threads, console, control socket, memory hot-(un)plug and
 * placement report need, with their arguments narrowed where that is cheap
 * (ioctl: the KVM and terminal requests used; mmap/mprotect: never
 * executable; open: read-only; clone: threads only).  Any other system call
 * stops mirrorvm at once with a message naming it on stderr and exit status
 * MVM_EXIT_SECCOMP.  (Named seccomp-filter.h: -Ivmm/include must not hide
 * libseccomp's <seccomp.h>.)
 */
#include "util.h"

/* What the filter allows beyond its fixed set, from the VM being run. */
struct seccomp_needs {
	/* api__dir_fd(): the control socket is removed there at the end; -1: none */
	int api_dir_fd;
};

/* NULL when this build, on this kernel, can install the filter, else why not. */
const char *seccomp__unavailable(void);
/* An ASan build: no filter, and by default nothing said about it. */
bool seccomp__sanitized_build(void);

/* Installs the filter for every thread of mirrorvm: 0, or -errno with @e set. */
int seccomp__install(const struct seccomp_needs *needs, struct err *e);

/*
 * The same in two steps, so that the costly one can run on another thread
 * while the VM is set up: build compiles the filter (no system call of the
 * process changes), load installs it for every thread.
 */
struct sock_filter;
struct seccomp_program {
	struct sock_filter *insns;
	unsigned short len;
};
int seccomp__build(const struct seccomp_needs *needs, struct seccomp_program *prog,
		   struct err *e);
int seccomp__load(const struct seccomp_program *prog, struct err *e);
void seccomp__program_free(struct seccomp_program *prog);

/*
 * A test hook, not part of the VMM: with MIRRORVM_TEST_SECCOMP_VIOLATE set to
 * @where ("main", also "1", or "vcpu"), make a system call the filter
 * forbids (socket()) from that thread, as a guest that took control of
 * mirrorvm might; without the filter it succeeds and says so.
 */
void seccomp__test_violate(const char *where);

#endif
