// SPDX-License-Identifier: GPL-2.0
/*
 * vCPUs: one thread each, running KVM_RUN and handing port I/O and MMIO
 * exits to the bus.
 *
 * Other threads ask a vCPU for something (pause, a register dump, a call on
 * its thread) by setting a request bit, setting kvm_run.immediate_exit and
 * sending SIG_VCPU_KICK, whose handler does nothing: the signal only makes
 * a KVM_RUN in progress return.  A vCPU handles its requests only when
 * KVM_RUN returns EINTR, never straight after an exit: KVM completes the
 * exit in flight (an IN's data into the register, the instruction pointer
 * past an OUT) at the start of the next KVM_RUN, before it looks at
 * immediate_exit, so a paused vCPU has no half-done instruction.  That is
 * what KVM_CAP_IMMEDIATE_EXIT is required for.
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

#include "kvm-vm.h"
#include "seccomp-filter.h"

#define SIG_VCPU_KICK	SIGUSR1

static void kick_handler(int sig)
{
	(void)sig;
}

static int create_vcpu(struct kvm_vm *vm, unsigned int id, struct err *e)
{
	struct kvm_vcpu *v = &vm->vcpus[id];

	v->vm = vm;
	v->id = id;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0)
		return err_set(e, "KVM_CREATE_VCPU %u: %s", id, strerror(errno));
	v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return err_set(e, "vCPU %u: mmap kvm_run: %s", id, strerror(errno));
	}
	return kvm_cpuid__set(vm, v, e);
}

int kvm_vcpu__create_all(struct kvm_vm *vm, struct err *e)
{
	unsigned int i;
	int ret;

	ret = kvm_cpuid__init(vm, e);
	if (ret)
		return ret;
	vm->nr_vcpus = vm->image->lay->nr_cpus;
	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return err_set(e, "out of memory");
	for (i = 0; i < vm->nr_vcpus; i++)
		vm->vcpus[i].fd = -1;
	for (i = 0; i < vm->nr_vcpus; i++) {
		ret = create_vcpu(vm, i, e);
		if (ret)
			return ret;
	}
	return 0;
}

void kvm_vcpu__dump(struct kvm_vcpu *v, const char *why)
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

static void handle_io(struct kvm_vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned int size = run->io.size, i;
	u64 off = run->io.data_offset;
	u8 *data;

	/* KVM's own values; checked all the same before we touch memory. */
	if (size > 8 || off > v->vm->run_size ||
	    (u64)size * run->io.count > v->vm->run_size - off)
		return;
	data = (u8 *)run + off;
	for (i = 0; i < run->io.count; i++, data += size)
		bus__access(&v->vm->bus, BUS_PIO, run->io.port, data, size,
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
static bool handle_exit(struct kvm_vcpu *v)
{
	struct kvm_run *run = v->run;
	char why[160];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		bus__access(&v->vm->bus, BUS_MMIO, run->mmio.phys_addr, run->mmio.data,
			    MIN(run->mmio.len, sizeof(run->mmio.data)), run->mmio.is_write);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SHUTDOWN:
		/*
		 * A triple fault: a guest that crashed hard, or one that
		 * resets the legacy way, with no firmware to reset into. On
		 * AMD, KVM has already reset the vCPU (the VMCB is undefined
		 * after a shutdown), so the registers read rip fff0 either way.
		 */
		kvm_vcpu__dump(v, "triple fault (KVM_EXIT_SHUTDOWN): the guest crashed, or reset itself without the firmware (on AMD the registers are already reset)");
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(why, sizeof(why), "KVM internal error: %s (suberror %u)",
			 internal_error(run->internal.suberror), run->internal.suberror);
		kvm_vcpu__dump(v, why);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(why, sizeof(why), "VM entry failed (hardware reason 0x%llx)",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		kvm_vcpu__dump(v, why);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN) {
			kvm_vm__end(v->vm, VM_END_POWEROFF, MVM_EXIT_OK);
			return false;
		}
		if (run->system_event.type == KVM_SYSTEM_EVENT_RESET) {
			kvm_vm__end(v->vm, VM_END_RESET, MVM_EXIT_OK);
			return false;
		}
		snprintf(why, sizeof(why), "system event %u", run->system_event.type);
		kvm_vcpu__dump(v, why);
		break;
	default:
		snprintf(why, sizeof(why), "unexpected KVM exit reason %u", run->exit_reason);
		kvm_vcpu__dump(v, why);
		break;
	}
	kvm_vm__end(v->vm, VM_END_CRASH, MVM_EXIT_CRASH);
	return false;
}

/* Parks until resumed (or stopped); counted in vm->nr_parked meanwhile. */
static void park(struct kvm_vcpu *v)
{
	struct kvm_vm *vm = v->vm;

	pthread_mutex_lock(&vm->lock);
	vm->nr_parked++;
	pthread_cond_broadcast(&vm->cond);
	while (vm->pause_wanted && !atomic_load(&vm->stopping))
		pthread_cond_wait(&vm->cond, &vm->lock);
	vm->nr_parked--;
	pthread_mutex_unlock(&vm->lock);
}

/*
 * After KVM_RUN returned EINTR: the exit in flight is complete.  Clearing
 * immediate_exit before taking the requests means a request that arrives
 * in between sets it again and is seen on the next round.
 */
static void handle_requests(struct kvm_vcpu *v)
{
	struct kvm_vm *vm = v->vm;
	unsigned int req;

	v->run->immediate_exit = 0;
	req = atomic_exchange(&v->requests, 0);
	if (req & VCPU_REQ_DUMP)
		kvm_vcpu__dump(v, "registers on request (SIGQUIT)");
	if (req & VCPU_REQ_CALL) {
		vm->call.fn(v, vm->call.arg);
		pthread_mutex_lock(&vm->lock);
		vm->call.pending--;
		pthread_cond_broadcast(&vm->cond);
		pthread_mutex_unlock(&vm->lock);
	}
	if (req & VCPU_REQ_PAUSE)
		park(v);
}

/*
 * KVM_RUN fails with EFAULT, and no exit reason, when the host cannot give
 * the guest a page it touched.  With host mirrored memory (MFD_MIRROR) that
 * is the normal way mirrored memory running out shows, so say so.
 */
static void explain_efault(struct kvm_vcpu *v)
{
	const struct kvm_vm *vm = v->vm;
	char why[300];
	unsigned int i;

	for (i = 0; i < vm->nr_ram; i++)
		if (vm->ram[i].host_mirrored && vm->image->plan->hm.method == HOST_MIRROR_MFD)
			break;
	if (i == vm->nr_ram) {
		info("vCPU %u: the host could not provide a page of guest memory", v->id);
		return;
	}
	host_mirror__explain_enomem(why, sizeof(why));
	info("vCPU %u: mirrored guest memory could not be provided: %s", v->id, why);
}

static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *v = arg;
	struct kvm_vm *vm = v->vm;
	sigset_t set;
	char name[16];

	snprintf(name, sizeof(name), "vcpu%u", v->id);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, SIG_VCPU_KICK);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (!v->id)
		seccomp__test_violate("vcpu");

	while (!atomic_load(&vm->stopping)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				handle_requests(v);
				continue;
			}
			int err = errno;

			snprintf(name, sizeof(name), "%s", strerror(err));
			info("vCPU %u: KVM_RUN: %s", v->id, name);
			if (err == EFAULT)
				explain_efault(v);
			kvm_vcpu__dump(v, "KVM_RUN failed");
			kvm_vm__end(vm, VM_END_CRASH, MVM_EXIT_CRASH);
			break;
		}
		if (!handle_exit(v))
			break;
	}
	pthread_mutex_lock(&vm->lock);
	vm->nr_running--;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

int kvm_vcpu__start_all(struct kvm_vm *vm, struct err *e)
{
	struct sigaction sa;
	unsigned int i;
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;	/* no SA_RESTART: KVM_RUN must return */
	sigaction(SIG_VCPU_KICK, &sa, NULL);
	for (i = 0; i < vm->nr_vcpus; i++) {
		pthread_mutex_lock(&vm->lock);
		vm->nr_running++;
		pthread_mutex_unlock(&vm->lock);
		ret = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread, &vm->vcpus[i]);
		if (ret) {
			pthread_mutex_lock(&vm->lock);
			vm->nr_running--;
			pthread_mutex_unlock(&vm->lock);
			return err_set(e, "cannot start vCPU %u: %s", i, strerror(ret));
		}
		vm->vcpus[i].started = true;
	}
	return 0;
}

static void kick(struct kvm_vcpu *v)
{
	if (v->run)
		v->run->immediate_exit = 1;
	pthread_kill(v->thread, SIG_VCPU_KICK);
}

void kvm_vcpu__request(struct kvm_vcpu *v, unsigned int req)
{
	if (!v->started)
		return;
	atomic_fetch_or(&v->requests, req);
	kick(v);
}

void kvm_vcpu__dump_all(struct kvm_vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		kvm_vcpu__request(&vm->vcpus[i], VCPU_REQ_DUMP);
}

void kvm_vcpu__stop_all(struct kvm_vm *vm)
{
	unsigned int i;

	pthread_mutex_lock(&vm->lock);
	atomic_store(&vm->stopping, true);
	pthread_cond_broadcast(&vm->cond);	/* parked vCPUs leave */
	pthread_mutex_unlock(&vm->lock);
	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].started)
			kick(&vm->vcpus[i]);
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct kvm_vcpu *v = &vm->vcpus[i];

		if (!v->started)
			continue;
		/* a kick that lands between the flag check and KVM_RUN: kick again */
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

void kvm_vcpu__destroy_all(struct kvm_vm *vm)
{
	unsigned int i;

	if (!vm->vcpus)
		return;
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct kvm_vcpu *v = &vm->vcpus[i];

		if (v->run)
			munmap(v->run, vm->run_size);
		if (v->fd >= 0)
			close(v->fd);
	}
	free(vm->vcpus);
	vm->vcpus = NULL;
}
