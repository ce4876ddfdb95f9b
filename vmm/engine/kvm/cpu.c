// SPDX-License-Identifier: GPL-2.0
/*
 * vCPUs: one thread each, running KVM_RUN and handing port I/O and MMIO
 * exits to the registry.  The main thread stops them by setting
 * immediate_exit and sending SIG_VCPU_KICK, whose handler does nothing: the
 * signal only makes a KVM_RUN in progress return EINTR.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kvm-engine.h"

#define SIG_VCPU_KICK	SIGUSR1

static void kick_handler(int sig)
{
	(void)sig;
}

int kvm_cpu__create(struct kvm_guest *g, unsigned int id, struct err *e)
{
	struct vcpu *v = &g->vcpus[id];
	int ret;

	v->g = g;
	v->id = id;
	v->fd = ioctl(g->vm_fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0)
		return err_set(e, "KVM_CREATE_VCPU %u: %s", id, strerror(errno));
	v->run = mmap(NULL, g->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return err_set(e, "vCPU %u: mmap kvm_run: %s", id, strerror(errno));
	}
	ret = kvm_cpuid__set(g, v, e);
	if (!ret && id == 0)
		ret = kvm_boot__setup_bsp(g, v, e);
	return ret;
}

void kvm_cpu__dump(struct vcpu *v, const char *why)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	flockfile(stderr);
	fprintf(stderr, "mirrorvm: vCPU %u: %s\n", v->id, why);
	if (!ioctl(v->fd, KVM_GET_REGS, &r)) {
		fprintf(stderr, " rip %016llx rsp %016llx rflags %016llx\n"
			" rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
			" rsi %016llx rdi %016llx rbp %016llx\n"
			" r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
			" r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n",
			r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi,
			r.rbp, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15);
	}
	if (!ioctl(v->fd, KVM_GET_SREGS, &s)) {
		fprintf(stderr, " cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx efer %llx\n"
			" cs %04x base %llx l %u db %u  ss %04x  ds %04x  apic_base %llx\n"
			" gdt %llx/%x idt %llx/%x\n",
			s.cr0, s.cr2, s.cr3, s.cr4, s.efer, s.cs.selector, s.cs.base,
			s.cs.l, s.cs.db, s.ss.selector, s.ds.selector, s.apic_base,
			s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit);
	}
	funlockfile(stderr);
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned int size = run->io.size, i;
	u64 off = run->io.data_offset;
	u8 *data;

	/* KVM's own values; checked all the same before we touch memory. */
	if (size > 8 || off > v->g->run_size ||
	    (u64)size * run->io.count > v->g->run_size - off)
		return;
	data = (u8 *)run + off;
	for (i = 0; i < run->io.count; i++, data += size)
		io_bus__access(&v->g->io, run->io.port, data, size,
			       run->io.direction == KVM_EXIT_IO_OUT);
}

static const char *internal_error(u32 sub)
{
	switch (sub) {
	case KVM_INTERNAL_ERROR_EMULATION:
		return "emulation failure";
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		return "exception while delivering an exception";
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		return "exit while delivering an event";
	default:
		return "internal error";
	}
}

/* Returns false when the vCPU must stop. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char why[160];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		io_bus__mmio(&v->g->io, run->mmio.phys_addr, run->mmio.data,
			     run->mmio.len, run->mmio.is_write);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SHUTDOWN:
		kvm_cpu__dump(v, "triple fault (KVM_EXIT_SHUTDOWN): the guest reset itself without the firmware");
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(why, sizeof(why), "KVM internal error: %s (suberror %u)",
			 internal_error(run->internal.suberror), run->internal.suberror);
		kvm_cpu__dump(v, why);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(why, sizeof(why), "VM entry failed (hardware reason 0x%llx)",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		kvm_cpu__dump(v, why);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN) {
			guest__end(v->g, VM_END_POWEROFF, MVM_EXIT_OK);
			return false;
		}
		if (run->system_event.type == KVM_SYSTEM_EVENT_RESET) {
			guest__end(v->g, VM_END_RESET, MVM_EXIT_OK);
			return false;
		}
		snprintf(why, sizeof(why), "system event %u", run->system_event.type);
		kvm_cpu__dump(v, why);
		break;
	default:
		snprintf(why, sizeof(why), "unexpected KVM exit reason %u", run->exit_reason);
		kvm_cpu__dump(v, why);
		break;
	}
	guest__end(v->g, VM_END_CRASH, MVM_EXIT_CRASH);
	return false;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	sigset_t set;
	char name[16];

	snprintf(name, sizeof(name), "vcpu%u", v->id);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, SIG_VCPU_KICK);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!atomic_load(&v->g->stopping)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				if (atomic_exchange(&v->dump_wanted, false)) {
					/* a stop that raced with the dump keeps its flag */
					if (!atomic_load(&v->g->stopping))
						v->run->immediate_exit = 0;
					kvm_cpu__dump(v, "registers on request (SIGQUIT)");
				}
				continue;
			}
			snprintf(name, sizeof(name), "%s", strerror(errno));
			info("vCPU %u: KVM_RUN: %s", v->id, name);
			kvm_cpu__dump(v, "KVM_RUN failed");
			guest__end(v->g, VM_END_CRASH, MVM_EXIT_CRASH);
			break;
		}
		if (!handle_exit(v))
			break;
	}
	return NULL;
}

int kvm_cpu__start(struct kvm_guest *g, struct err *e)
{
	struct sigaction sa;
	unsigned int i;
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;	/* no SA_RESTART: KVM_RUN must return */
	sigaction(SIG_VCPU_KICK, &sa, NULL);
	for (i = 0; i < g->nr_vcpus; i++) {
		ret = pthread_create(&g->vcpus[i].thread, NULL, vcpu_thread, &g->vcpus[i]);
		if (ret)
			return err_set(e, "cannot start vCPU %u: %s", i, strerror(ret));
		g->vcpus[i].started = true;
	}
	return 0;
}

static void kick(struct vcpu *v)
{
	if (v->run)
		v->run->immediate_exit = 1;
	pthread_kill(v->thread, SIG_VCPU_KICK);
}

void kvm_cpu__dump_all(struct kvm_guest *g)
{
	unsigned int i;

	for (i = 0; i < g->nr_vcpus; i++) {
		struct vcpu *v = &g->vcpus[i];

		if (!v->started)
			continue;
		atomic_store(&v->dump_wanted, true);
		kick(v);
	}
}

void kvm_cpu__stop_all(struct kvm_guest *g)
{
	unsigned int i;

	atomic_store(&g->stopping, true);
	for (i = 0; i < g->nr_vcpus; i++)
		if (g->vcpus[i].started)
			kick(&g->vcpus[i]);
	for (i = 0; i < g->nr_vcpus; i++) {
		struct vcpu *v = &g->vcpus[i];

		if (!v->started)
			continue;
		/*
		 * Without KVM_CAP_IMMEDIATE_EXIT a kick that lands just before
		 * KVM_RUN is lost: kick again until the thread is gone.
		 */
		for (;;) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 20 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			if (pthread_timedjoin_np(v->thread, NULL, &ts) == 0)
				break;
			kick(v);
		}
		v->started = false;
	}
}

void kvm_cpu__destroy_all(struct kvm_guest *g)
{
	unsigned int i;

	if (!g->vcpus)
		return;
	for (i = 0; i < g->nr_vcpus; i++) {
		struct vcpu *v = &g->vcpus[i];

		if (v->run)
			munmap(v->run, g->run_size);
		if (v->fd >= 0)
			close(v->fd);
	}
	free(g->vcpus);
	g->vcpus = NULL;
}
