// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM engine: mirrorvm runs the guest itself.  The VM gets the
 * firmware builder's bytes unchanged, one memory slot per layout slot, the
 * in-kernel LAPIC/IOAPIC/PIC and PIT, the 8250 and mirrorvm's ports in
 * userspace, and one thread per vCPU.  The main thread waits for the guest
 * to end (a port write, a crash, a host signal), feeds terminal input to
 * the 8250, and tears everything down.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "kvm-engine.h"

/* Below the IOAPIC and LAPIC, above every slot (RAM ends below 3 GiB there). */
#define KVM_IDENTITY_MAP_ADDR	0xfffbc000ULL
#define KVM_TSS_ADDR		0xfffbd000ULL

#define NR_IOAPIC_PINS		24

void guest__end(struct kvm_guest *g, enum vm_end end, int status)
{
	u64 one = 1;
	ssize_t n;

	ending__set(&g->ending, end, status);
	n = write(g->event_fd, &one, sizeof(one));
	(void)n;		/* a full eventfd has already woken the main loop */
}

/* The capabilities were checked by the engine's check step (engine.c). */
static int open_kvm(struct kvm_guest *g, struct err *e)
{
	int v;

	g->sys_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (g->sys_fd < 0)
		return err_set(e, "--engine kvm: /dev/kvm: %s", strerror(errno));
	g->has_immediate_exit = true;
	v = ioctl(g->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (v < (int)sizeof(struct kvm_run))
		return err_set(e, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	g->run_size = v;
	do {
		g->vm_fd = ioctl(g->sys_fd, KVM_CREATE_VM, 0);
	} while (g->vm_fd < 0 && errno == EINTR);
	if (g->vm_fd < 0)
		return err_set(e, "KVM_CREATE_VM: %s", strerror(errno));
	return 0;
}

/*
 * ISA IRQs as the MADT describes them: IRQ n on IOAPIC pin n, except the
 * PIT's IRQ 0, which arrives on pin 2 (the MADT's interrupt override).
 */
static int setup_irq_routing(struct kvm_guest *g, struct err *e)
{
	struct kvm_irq_routing *r;
	unsigned int n = 0, i;
	int ret = 0;

	r = calloc(1, sizeof(*r) + (16 + NR_IOAPIC_PINS) * sizeof(r->entries[0]));
	if (!r)
		return err_set(e, "out of memory");
	for (i = 0; i < 16; i++) {
		if (i == 2)
			continue;
		r->entries[n].gsi = i;
		r->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		r->entries[n].u.irqchip.irqchip = i < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
		r->entries[n++].u.irqchip.pin = i % 8;
	}
	for (i = 0; i < NR_IOAPIC_PINS; i++) {
		if (i == 2)
			continue;
		r->entries[n].gsi = i;
		r->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		r->entries[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		r->entries[n++].u.irqchip.pin = i ? i : 2;
	}
	r->nr = n;
	if (ioctl(g->vm_fd, KVM_SET_GSI_ROUTING, r))
		ret = err_set(e, "KVM_SET_GSI_ROUTING: %s", strerror(errno));
	free(r);
	return ret;
}

static int setup_vm(struct kvm_guest *g, struct err *e)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	u64 ident = KVM_IDENTITY_MAP_ADDR;

	/* Intel needs both (real mode and its TSS); AMD accepts and ignores them. */
	if (ioctl(g->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident))
		return err_set(e, "KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	if (ioctl(g->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR))
		return err_set(e, "KVM_SET_TSS_ADDR: %s", strerror(errno));
	if (ioctl(g->vm_fd, KVM_CREATE_IRQCHIP, 0))
		return err_set(e, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
	if (setup_irq_routing(g, e))
		return -EINVAL;
	if (ioctl(g->vm_fd, KVM_CREATE_PIT2, &pit))
		return err_set(e, "KVM_CREATE_PIT2: %s", strerror(errno));
	return 0;
}

static int create_vcpus(struct kvm_guest *g, struct err *e)
{
	unsigned int i;
	int ret;

	ret = kvm_cpuid__init(g, e);
	if (ret)
		return ret;
	g->nr_vcpus = g->vm->lay->nr_cpus;
	g->vcpus = calloc(g->nr_vcpus, sizeof(*g->vcpus));
	if (!g->vcpus)
		return err_set(e, "out of memory");
	for (i = 0; i < g->nr_vcpus; i++)
		g->vcpus[i].fd = -1;
	for (i = 0; i < g->nr_vcpus; i++) {
		ret = kvm_cpu__create(g, i, e);
		if (ret)
			return ret;
	}
	return 0;
}

/* Waits for the guest to end; feeds a terminal's input to the 8250. */
static void main_loop(struct kvm_guest *g, int sig_fd)
{
	bool input = isatty(STDIN_FILENO);

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = g->event_fd, .events = POLLIN },
			{ .fd = sig_fd, .events = POLLIN },
			{ .fd = STDIN_FILENO, .events = POLLIN },
		};
		size_t room = input ? uart__room(g->uart) : 0;
		int n = input && room ? 3 : 2;

		if (poll(p, n, input && !room ? 10 : -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) != sizeof(si))
				si.ssi_signo = 0;
			if (si.ssi_signo == SIGQUIT)
				kvm_cpu__dump_all(g);
			else if (si.ssi_signo)
				guest__end(g, VM_END_SIGNAL, 128 + si.ssi_signo);
		}
		if (n == 3 && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			u8 buf[64];
			ssize_t got = read(STDIN_FILENO, buf, MIN(room, sizeof(buf)));

			if (got > 0)
				uart__input(g->uart, buf, got);
			else if (got == 0 || (errno != EINTR && errno != EAGAIN))
				input = false;
		}
		if (ending__get(&g->ending, NULL) != VM_END_NONE)
			return;
	}
	guest__end(g, VM_END_CRASH, MVM_EXIT_CRASH);
}

static void teardown(struct kvm_guest *g)
{
	kvm_cpu__destroy_all(g);
	uart__exit(g);
	kvm_memory__teardown(g);
	if (g->event_fd >= 0)
		close(g->event_fd);
	if (g->vm_fd >= 0)
		close(g->vm_fd);
	if (g->sys_fd >= 0)
		close(g->sys_fd);
	free(g->cpuid);
	ending__destroy(&g->ending);
	free(g);
}

static int run_guest(struct kvm_guest *g, struct err *e)
{
	sigset_t block, old;
	int sig_fd, ret;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);	/* a register dump, the guest runs on */
	sigaddset(&block, SIGUSR1);	/* only vCPU threads take kicks */
	pthread_sigmask(SIG_BLOCK, &block, &old);
	sigdelset(&block, SIGUSR1);
	sig_fd = signalfd(-1, &block, SFD_CLOEXEC);
	if (sig_fd < 0) {
		ret = err_set(e, "signalfd: %s", strerror(errno));
		goto out;
	}
	term__raw();
	ret = kvm_cpu__start(g, e);
	if (!ret)
		main_loop(g, sig_fd);
	else
		guest__end(g, VM_END_CRASH, MVM_EXIT_CRASH);
	kvm_cpu__stop_all(g);
	term__restore();
	close(sig_fd);
	if (!ret) {
		enum vm_end end = ending__get(&g->ending, &ret);

		ret = ending__report(end, ret);
	}
out:
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

int kvm_vm__run(const struct vm_image *vm, struct err *e)
{
	struct kvm_guest *g = calloc(1, sizeof(*g));
	struct err sub;
	int ret;

	if (!g)
		return err_set(e, "out of memory");
	g->vm = vm;
	g->sys_fd = g->vm_fd = g->event_fd = -1;
	ending__init(&g->ending);
	g->io.debug = getenv("MIRRORVM_DEBUG_IO") != NULL;

	ret = open_kvm(g, e);
	if (!ret)
		ret = setup_vm(g, e);
	if (!ret)
		ret = kvm_memory__setup(g, e);
	if (!ret)
		ret = kvm_memory__load_images(g, e);
	if (!ret)
		ret = kvm_boot__setup_memory(g, e);
	if (!ret)
		ret = create_vcpus(g, e);
	if (!ret)
		ret = uart__init(g, e);
	if (!ret)
		ret = platform__init(g, e);
	if (!ret) {
		g->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (g->event_fd < 0)
			ret = err_set(e, "eventfd: %s", strerror(errno));
	}
	if (!ret)
		ret = run_guest(g, e);
	if (ret >= 0 && vm->opts->placement_report) {
		if (placement__report(vm->lay, &vm->plan->hm, g->ram, g->nr_ram,
				      vm->opts->placement_report, &sub)) {
			warn("%s", sub.msg);
			if (ret == MVM_EXIT_OK)
				ret = MVM_EXIT_ERROR;
		}
	}
	teardown(g);
	return ret;
}
