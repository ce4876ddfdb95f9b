// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM engine's VM and its lifecycle (kvm-vm.h).  The VM gets the
 * firmware builder's bytes unchanged, one memory slot per layout slot, the
 * in-kernel LAPIC/IOAPIC/PIC and PIT, the platform table's devices on one
 * bus, and one thread per vCPU.  The main thread runs the event loop: host
 * signals, the host console's input, and the vCPUs' events.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "kvm-vm.h"
#include "seccomp-filter.h"

#define NR_IOAPIC_PINS		24
#define ISA_IRQS		16
/* How soon to look again when the serial port cannot take console input. */
#define STDIN_RETRY_NS		(10 * 1000 * 1000)

void kvm_vm__end(struct kvm_vm *vm, enum vm_end end, int status)
{
	u64 one = 1;
	ssize_t n;

	ending__set(&vm->ending, end, status);
	n = write(vm->event_fd, &one, sizeof(one));
	(void)n;		/* a full eventfd has already woken the loop */
}

/* ---- what devices may do (struct dev_ctx) ---- */

static void ctx_set_irq(struct dev_ctx *ctx, unsigned int gsi, int level)
{
	struct kvm_vm *vm = ctx->opaque;
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	/* Fails only when the VM is going away; nothing to do then. */
	(void)ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq);
}

static void ctx_end(struct dev_ctx *ctx, enum vm_end end, int status)
{
	kvm_vm__end(ctx->opaque, end, status);
}

static void ctx_console_out(struct dev_ctx *ctx, const u8 *buf, size_t len)
{
	struct kvm_vm *vm = ctx->opaque;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(vm->console_fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;		/* a closed stdout must not stop the guest */
		done += n;
	}
	if (!vm->watch.panicked && console_watch__feed(&vm->watch, buf, len))
		kvm_vm__end(vm, VM_END_PANIC_CONSOLE, MVM_EXIT_CRASH);
}

/* ---- creation ---- */

static int open_kvm(struct kvm_vm *vm, struct err *e)
{
	int v;

	/* The capabilities were checked by the engine's check step. */
	vm->sys_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->sys_fd < 0)
		return err_set(e, "--engine kvm: /dev/kvm: %s", strerror(errno));
	v = ioctl(vm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (v < (int)sizeof(struct kvm_run))
		return err_set(e, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	vm->run_size = v;
	do {
		vm->vm_fd = ioctl(vm->sys_fd, KVM_CREATE_VM, 0);
	} while (vm->vm_fd < 0 && errno == EINTR);
	if (vm->vm_fd < 0)
		return err_set(e, "KVM_CREATE_VM: %s", strerror(errno));
	return 0;
}

/*
 * ISA IRQs as the MADT describes them: IRQ n on IOAPIC pin n (and the
 * PICs), except the PIT's IRQ 0, which arrives on pin 2 (the MADT's
 * override).  Every platform device's GSI must be one of these pins.
 */
static int setup_irq_routing(struct kvm_vm *vm, struct err *e)
{
	struct kvm_irq_routing *r;
	unsigned int n = 0, i;
	int ret = 0;

	for (i = 0; i < nr_platform_devices; i++) {
		const struct platform_device *d = &platform_devices[i];

		if (d->gsi != NO_GSI && (d->gsi < 0 || d->gsi >= NR_IOAPIC_PINS || d->gsi == 2))
			return err_set(e, "device %s: GSI %d is not an IOAPIC pin the platform routes",
				       d->name, d->gsi);
	}
	r = calloc(1, sizeof(*r) + (ISA_IRQS + NR_IOAPIC_PINS) * sizeof(r->entries[0]));
	if (!r)
		return err_set(e, "out of memory");
	for (i = 0; i < ISA_IRQS; i++) {
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
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, r))
		ret = err_set(e, "KVM_SET_GSI_ROUTING: %s", strerror(errno));
	free(r);
	return ret;
}

static int setup_chips(struct kvm_vm *vm, struct err *e)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	u64 ident = KVM_IDENTITY_MAP_ADDR;

	/* Intel needs both (real mode and its TSS); AMD accepts and ignores them. */
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident))
		return err_set(e, "KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR))
		return err_set(e, "KVM_SET_TSS_ADDR: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0))
		return err_set(e, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
	if (setup_irq_routing(vm, e))
		return -EINVAL;
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit))
		return err_set(e, "KVM_CREATE_PIT2: %s", strerror(errno));
	return 0;
}

/* Every present row of the platform table, on the bus. */
static int create_devices(struct kvm_vm *vm, struct err *e)
{
	const struct layout *lay = vm->image->lay;
	unsigned int i;
	int ret;

	vm->ctx = (struct dev_ctx){
		.set_irq = ctx_set_irq, .end = ctx_end, .console_out = ctx_console_out,
		.opaque = vm,
	};
	vm->devs = calloc(nr_platform_devices, sizeof(*vm->devs));
	if (!vm->devs)
		return err_set(e, "out of memory");
	for (i = 0; i < nr_platform_devices; i++) {
		const struct platform_device *d = &platform_devices[i];
		struct device *dev = &vm->devs[vm->nr_devs];

		if (!platform_device__present(d, lay))
			continue;
		ret = device__create(dev, d, &vm->ctx, &vm->bus, e);
		if (ret)
			return ret;
		vm->nr_devs++;
		if (!vm->console && d->model->ops.input)
			vm->console = dev;
	}
	/* a test hook, outside the platform table: no firmware describes it */
	if (getenv("MIRRORVM_TEST_DEVICES")) {
		vm->test_port_row = (struct platform_device){
			.name = "TSTP", .space = BUS_PIO, .base = MVM_TEST_PORT, .len = 4,
			.gsi = NO_GSI, .model = &test_port,
		};
		ret = device__create(&vm->test_port, &vm->test_port_row, &vm->ctx, &vm->bus, e);
		if (ret)
			return ret;
	}
	return 0;
}

static void *build_filter(void *arg)
{
	struct kvm_vm *vm = arg;

	vm->filter.ret = seccomp__build(&vm->filter.needs, &vm->filter.prog, &vm->filter.err);
	return NULL;
}

/*
 * Starts compiling the system call filter while the VM is set up.  The
 * filter names the control socket's directory, so that is opened now.
 * Without a thread the filter is compiled when it is installed.
 */
static int start_filter_build(struct kvm_vm *vm, struct err *e)
{
	const char *api = vm->image->opts->api_socket;

	vm->filter.wanted = vm->image->opts->seccomp != SECCOMP_OFF && !seccomp__unavailable();
	if (api) {
		vm->api_dir_fd = api__open_dir(api, e);
		if (vm->api_dir_fd < 0)
			return -EINVAL;
	}
	vm->filter.needs.api_dir_fd = vm->api_dir_fd;
	if (vm->filter.wanted)
		vm->filter.started = !pthread_create(&vm->filter.thread, NULL, build_filter, vm);
	return 0;
}

int kvm_vm__create(struct kvm_vm **out, const struct vm_image *image, struct err *e)
{
	struct kvm_vm *vm = calloc(1, sizeof(*vm));
	int ret;

	*out = vm;
	if (!vm)
		return err_set(e, "out of memory");
	vm->image = image;
	vm->sys_fd = vm->vm_fd = vm->event_fd = vm->stdin_timer = vm->api_dir_fd = -1;
	vm->console_fd = STDOUT_FILENO;
	ending__init(&vm->ending);
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	vm->bus.debug = getenv("MIRRORVM_DEBUG_IO") != NULL;

	vm->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->event_fd < 0)
		return err_set(e, "eventfd: %s", strerror(errno));
	ret = start_filter_build(vm, e);
	if (!ret)
		ret = open_kvm(vm, e);
	if (!ret)
		ret = setup_chips(vm, e);
	startup_mark("kvm: VM, irqchip, PIT");
	if (!ret)
		ret = kvm_memory__setup(vm, e);
	startup_mark("kvm: memory slots");
	if (!ret)
		ret = create_devices(vm, e);
	if (!ret)
		ret = kvm_memhp__create(vm, e);
	if (!ret)
		ret = kvm_vcpu__create_all(vm, e);
	startup_mark("kvm: devices, vCPUs");
	return ret;
}

int kvm_vm__boot(struct kvm_vm *vm, struct err *e)
{
	int ret = kvm_memory__finish_loading(vm, e);

	if (!ret)
		ret = kvm_entry__setup_bsp(vm, &vm->vcpus[0], e);
	startup_mark("kvm: images loaded, boot registers");
	return ret;
}

/* ---- pause ---- */

int kvm_vm__pause(struct kvm_vm *vm, struct err *e)
{
	unsigned int i;

	pthread_mutex_lock(&vm->lock);
	if (vm->pause_wanted) {
		pthread_mutex_unlock(&vm->lock);
		return 0;
	}
	vm->pause_wanted = true;
	pthread_mutex_unlock(&vm->lock);
	for (i = 0; i < vm->nr_vcpus; i++)
		kvm_vcpu__request(&vm->vcpus[i], VCPU_REQ_PAUSE);
	pthread_mutex_lock(&vm->lock);
	while (vm->nr_parked < vm->nr_running && !atomic_load(&vm->stopping))
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
	if (atomic_load(&vm->stopping))
		return err_set(e, "the VM is stopping");
	return 0;
}

void kvm_vm__resume(struct kvm_vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->pause_wanted = false;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

bool kvm_vm__paused(struct kvm_vm *vm)
{
	bool paused;

	pthread_mutex_lock(&vm->lock);
	paused = vm->pause_wanted;
	pthread_mutex_unlock(&vm->lock);
	return paused;
}

/* ---- the event loop's sources ---- */

static void on_event(struct event_loop *loop, int fd, u32 events, void *opaque)
{
	struct kvm_vm *vm = opaque;
	u64 v;

	(void)events;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		warn("kvm: vCPU event fd: %s", strerror(errno));
	if (ending__get(&vm->ending, NULL) != VM_END_NONE)
		event_loop__stop(loop);
}

static void on_signal(struct event_loop *loop, int fd, u32 events, void *opaque)
{
	struct kvm_vm *vm = opaque;
	struct signalfd_siginfo si;

	(void)loop;
	(void)events;
	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGQUIT)
		kvm_vcpu__dump_all(vm);
	else
		kvm_vm__end(vm, VM_END_SIGNAL, 128 + si.ssi_signo);
}

static void arm_stdin_retry(struct kvm_vm *vm)
{
	struct itimerspec t = { .it_value = { 0, STDIN_RETRY_NS } };

	timerfd_settime(vm->stdin_timer, 0, &t, NULL);
}

/* The host terminal's input -> the serial port, as fast as it drains. */
static void on_stdin(struct event_loop *loop, int fd, u32 events, void *opaque)
{
	const struct dev_ops *ops;
	struct kvm_vm *vm = opaque;
	size_t room;
	u8 buf[64];
	ssize_t got;

	(void)events;
	ops = &vm->console->desc->model->ops;
	room = ops->input_room(vm->console);
	if (!room) {
		event_loop__modify(loop, fd, 0);
		arm_stdin_retry(vm);
		return;
	}
	got = read(fd, buf, MIN(room, sizeof(buf)));
	if (got > 0) {
		ops->input(vm->console, buf, got);
	} else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
		event_loop__remove(loop, fd);
		vm->stdin_open = false;
	}
}

static void on_stdin_retry(struct event_loop *loop, int fd, u32 events, void *opaque)
{
	struct kvm_vm *vm = opaque;
	u64 n;

	(void)events;
	if (read(fd, &n, sizeof(n)) < 0)
		return;
	if (vm->stdin_open)
		event_loop__modify(loop, STDIN_FILENO, EPOLLIN);
}

static int add_console_input(struct kvm_vm *vm, struct err *e)
{
	int ret;

	if (!vm->console || !isatty(STDIN_FILENO))
		return 0;
	vm->stdin_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (vm->stdin_timer < 0)
		return err_set(e, "timerfd_create: %s", strerror(errno));
	ret = event_loop__add(vm->loop, vm->stdin_timer, EPOLLIN, on_stdin_retry, vm, e);
	if (!ret)
		ret = event_loop__add(vm->loop, STDIN_FILENO, EPOLLIN, on_stdin, vm, e);
	vm->stdin_open = !ret;
	return ret;
}

static void shutdown_data(struct json_writer *w, void *arg)
{
	static const char *const reasons[] = {
		[VM_END_POWEROFF] = "poweroff", [VM_END_RESET] = "reset",
		[VM_END_STATUS] = "status", [VM_END_PANIC] = "panic",
		[VM_END_PANIC_CONSOLE] = "panic", [VM_END_RESET_UNCLEAN] = "crash",
		[VM_END_CRASH] = "crash", [VM_END_SIGNAL] = "signal", [VM_END_QUIT] = "quit",
	};
	enum vm_end end = *(enum vm_end *)arg;

	json_kv_string(w, "reason", end < ARRAY_SIZE(reasons) && reasons[end] ? reasons[end] : "?");
}

/*
 * --seccomp (default on): the system call filter, once everything is set
 * up and before any vCPU runs, so that a guest never runs without it.  It
 * is compiled from the start of kvm_vm__create() on a thread of its own
 * (build_filter), and loaded here.
 */
static int install_filter(struct kvm_vm *vm, struct err *e)
{
	enum seccomp_choice want = vm->image->opts->seccomp;
	const char *why = seccomp__unavailable();
	int ret = 0;

	if (want != SECCOMP_OFF && why) {
		if (want == SECCOMP_ON || !seccomp__sanitized_build())
			warn("%s%s; running without the system call filter",
			     want == SECCOMP_ON ? "--seccomp on: " : "", why);
	} else if (want != SECCOMP_OFF) {
		if (vm->filter.started) {
			pthread_join(vm->filter.thread, NULL);
			vm->filter.started = false;
		} else {
			vm->filter.ret = seccomp__build(&vm->filter.needs, &vm->filter.prog,
							&vm->filter.err);
		}
		ret = vm->filter.ret;
		if (ret)
			err_set(e, "%s", vm->filter.err.msg);
		else
			ret = seccomp__load(&vm->filter.prog, e);
		seccomp__program_free(&vm->filter.prog);
	}
	if (!ret)
		seccomp__test_violate("main");
	return ret;
}

int kvm_vm__run(struct kvm_vm *vm, struct err *e)
{
	sigset_t block, old;
	int sig_fd = -1, ret;
	enum vm_end end;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);	/* a register dump, the guest runs on */
	sigaddset(&block, SIGUSR1);	/* only vCPU threads take kicks */
	pthread_sigmask(SIG_BLOCK, &block, &old);
	sigdelset(&block, SIGUSR1);
	sig_fd = signalfd(-1, &block, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0) {
		ret = err_set(e, "signalfd: %s", strerror(errno));
		goto out;
	}
	vm->loop = event_loop__create(e);
	ret = vm->loop ? 0 : -ENOMEM;
	if (!ret)
		ret = event_loop__add(vm->loop, vm->event_fd, EPOLLIN, on_event, vm, e);
	if (!ret)
		ret = event_loop__add(vm->loop, sig_fd, EPOLLIN, on_signal, vm, e);
	if (!ret)
		ret = add_console_input(vm, e);
	if (!ret)
		ret = kvm_memhp__start(vm, e);
	if (!ret && vm->image->opts->api_socket) {
		kvm_control__init(vm, &vm->control);
		vm->api = api__listen(vm->image->opts->api_socket, vm->api_dir_fd, vm->loop,
				      &vm->control, e);
		vm->api_dir_fd = -1;	/* the server's now, or closed */
		if (!vm->api)
			ret = -EINVAL;
	}
	if (!ret)
		ret = install_filter(vm, e);
	if (ret)
		goto out;
	startup_mark("kvm: system call filter");
	term__raw();
	startup_mark("kvm: event loop; starting vCPUs");
	ret = kvm_vcpu__start_all(vm, e);
	if (!ret && event_loop__run(vm->loop))
		kvm_vm__end(vm, VM_END_CRASH, MVM_EXIT_CRASH);
	if (ret)
		kvm_vm__end(vm, VM_END_CRASH, MVM_EXIT_CRASH);
	kvm_vcpu__stop_all(vm);
	term__restore();
	if (!ret) {
		end = ending__get(&vm->ending, &ret);
		api__event(vm->api, "SHUTDOWN", shutdown_data, &end);
		ret = ending__report(end, ret);
	}
out:
	api__close(vm->api);
	vm->api = NULL;
	if (sig_fd >= 0)
		close(sig_fd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

void kvm_vm__destroy(struct kvm_vm *vm)
{
	unsigned int i;

	if (!vm)
		return;
	if (vm->filter.started)
		pthread_join(vm->filter.thread, NULL);
	/* before RAM goes: the loader may still be copying into it */
	if (vm->loader.started)
		pthread_join(vm->loader.thread, NULL);
	seccomp__program_free(&vm->filter.prog);
	if (vm->api_dir_fd >= 0)
		close(vm->api_dir_fd);
	if (vm->vcpus && vm->nr_running)
		kvm_vcpu__stop_all(vm);
	kvm_vcpu__destroy_all(vm);
	kvm_memhp__destroy(vm);
	for (i = 0; i < vm->nr_devs; i++)
		device__destroy(&vm->devs[i]);
	device__destroy(&vm->test_port);
	free(vm->devs);
	bus__free(&vm->bus);
	kvm_memory__teardown(vm);
	event_loop__destroy(vm->loop);
	if (vm->stdin_timer >= 0)
		close(vm->stdin_timer);
	if (vm->event_fd >= 0)
		close(vm->event_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	free(vm->cpuid);
	pthread_cond_destroy(&vm->cond);
	pthread_mutex_destroy(&vm->lock);
	ending__destroy(&vm->ending);
	free(vm);
}
