// SPDX-License-Identifier: GPL-2.0
/*
 * The QEMU engine: qemu-system-x86_64 runs the guest, but every byte of
 * firmware the guest reads is mirrorvm's.  QEMU gets a reset stub as -bios
 * (no SeaBIOS, so no SeaBIOS tables), the firmware area, kernel and initrd
 * through -device loader, one memory backend per guest node laid out exactly
 * as the layout says, and isa-debugcon devices on mirrorvm's control, status
 * and pvpanic ports whose bytes come back to us through FIFOs.  The serial
 * console comes through a FIFO too: mirrorvm copies it to stdout (and a
 * terminal's input back), and ends the VM when a guest without a pvpanic
 * driver prints the end of a panic report.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backing.h"
#include "console.h"
#include "device.h"
#include "ending.h"
#include "engine.h"

#define MAX_ARGS	(64 + 8 * MAX_NODES)

struct qemu_run {
	char dir[256];
	char *argv[MAX_ARGS];
	int argc;
	char bufs[MAX_ARGS][512];
	bool too_long;			/* an argument did not fit: refuse, never cut */
};

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void arg(struct qemu_run *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void arg(struct qemu_run *q, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (q->argc >= MAX_ARGS - 1) {
		q->too_long = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(q->bufs[q->argc], sizeof(q->bufs[0]), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(q->bufs[0]))
		q->too_long = true;
	q->argv[q->argc] = q->bufs[q->argc];
	q->argc++;
	q->argv[q->argc] = NULL;
}

static void cleanup_dir(struct qemu_run *q)
{
	static const char *const files[] = {
		"bios.bin", "firmware.bin", "kernel.bin", "ctl", "status", "panic",
		"con.in", "con.out",
	};
	char path[512];
	size_t i;

	if (!q->dir[0])
		return;
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", q->dir, files[i]);
		unlink(path);
	}
	rmdir(q->dir);
	q->dir[0] = '\0';
}

static int write_in_dir(struct qemu_run *q, const char *name, const void *buf, size_t len,
			struct err *e)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", q->dir, name);
	return write_file(path, buf, len, e);
}

/* DIR/kernel.bin: the bzImage's protected-mode part, for -device loader. */
static int write_kernel(struct qemu_run *q, const struct kernel_image *k, struct err *e)
{
	u8 *buf = malloc(MAX(k->info.kernel_size, 1));
	int ret;

	if (!buf)
		return err_set(e, "out of memory for the kernel (%llu bytes)",
			       (unsigned long long)k->info.kernel_size);
	ret = kernel_image__read(k, k->pm_offset, buf, k->info.kernel_size, e);
	if (!ret)
		ret = write_in_dir(q, "kernel.bin", buf, k->info.kernel_size, e);
	free(buf);
	return ret;
}

/*
 * Creates DIR/NAME as a FIFO and opens our end before QEMU starts, so that
 * QEMU's open never blocks: O_RDONLY for what QEMU writes, O_RDWR for what
 * it reads.
 */
static int open_fifo(struct qemu_run *q, const char *name, int mode, struct err *e)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", q->dir, name);
	if (mkfifo(path, 0600))
		return err_set(e, "mkfifo %s: %s", path, strerror(errno));
	fd = open(path, mode | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, "open %s: %s", path, strerror(errno));
	return fd;
}

static const char *backend_for(const struct node_host *nc, char *extra, size_t len)
{
	switch (nc->backing) {
	case BACKING_MEMFD:
		snprintf(extra, len, "%s", "");
		return "memory-backend-memfd";
	case BACKING_HUGETLB2M:
		snprintf(extra, len, ",hugetlb=on,hugetlbsize=2M");
		return "memory-backend-memfd";
	case BACKING_HUGETLB1G:
		snprintf(extra, len, ",hugetlb=on,hugetlbsize=1G");
		return "memory-backend-memfd";
	default:
		/* reserve=off: a 130 GiB guest must start on a 24 GiB host. */
		snprintf(extra, len, ",reserve=off");
		return "memory-backend-ram";
	}
}

static void build_memory_args(struct qemu_run *q, const struct vm_image *vm)
{
	const struct layout *lay = vm->lay;
	unsigned int i;
	char list[512], extra[128], cpus[600];

	arg(q, "-m");
	arg(q, "%lluk", (unsigned long long)(lay->total_ram >> 10));
	for (i = 0; i < lay->nr_nodes; i++) {
		const struct layout_node *n = &lay->nodes[i];
		const struct node_host *nc = &n->host;
		const char *type = backend_for(nc, extra, sizeof(extra));
		char host[600] = "";

		if (nc->has_host_nodes) {
			idset_format(&nc->host_nodes, list, sizeof(list));
			/* QEMU spells a list as repeated host-nodes= keys. */
			char *tok, *save = NULL;
			for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				strcat(host, ",host-nodes=");
				strcat(host, tok);
			}
			strcat(host, ",policy=");
			strcat(host, policy_name(nc->policy));
		}
		arg(q, "-object");
		arg(q, "%s,id=mem%u,size=%lluk%s%s%s", type, n->id,
		    (unsigned long long)(n->size >> 10), extra, host,
		    nc->prefault ? ",prealloc=on" : "");
		cpus[0] = '\0';
		if (!idset_empty(&n->cpus)) {
			char *tok, *save = NULL;

			idset_format(&n->cpus, list, sizeof(list));
			for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				strcat(cpus, ",cpus=");
				strcat(cpus, tok);
			}
		}
		arg(q, "-numa");
		arg(q, "node,nodeid=%u,memdev=mem%u%s", n->id, n->id, cpus);
	}
}

/*
 * The platform table's devices as QEMU devices: the serial port as QEMU's
 * own 16550 on a pipe we relay, mirrorvm's ports as isa-debugcon devices
 * whose bytes come back through FIFOs named after their role.
 */
static const char *qemu_role(const struct device_model *m)
{
	if (m == &serial_8250)
		return "con";
	if (m == &control_port)
		return "ctl";
	if (m == &status_port)
		return "status";
	if (m == &pvpanic)
		return "panic";
	/* the pc machine's PIIX4 has its GPE0 block there, and its SCI on 9 */
	if (m == &ged)
		return "piix4";
	/*
	 * Nothing: the pc machine without -m slots= has no memory hotplug
	 * block at 0x0a00, reads there give all ones, and the AML takes
	 * that for "no block": every unit's _STA is 0, its memory stays what
	 * the e820 map made it, and nothing can be unplugged.
	 */
	if (m == &mem_hotplug)
		return "absent";
	return NULL;
}

static void device_args(struct qemu_run *q, const struct platform_device *d)
{
	const char *role = qemu_role(d->model);

	if (!role || !strcmp(role, "piix4") || !strcmp(role, "absent"))
		return;		/* refused by qemu_check() / QEMU's own / none */
	arg(q, "-chardev");
	if (d->model == &serial_8250) {
		arg(q, "pipe,id=%s,path=%s/con", role, q->dir);
		arg(q, "-device");
		arg(q, "isa-serial,chardev=%s,iobase=0x%llx,irq=%d", role,
		    (unsigned long long)d->base, d->gsi);
		return;
	}
	arg(q, "file,id=%s,path=%s/%s", role, q->dir, role);
	arg(q, "-device");
	/* pvpanic's register: reads give the supported events (PANICKED) */
	arg(q, "isa-debugcon,chardev=%s,iobase=0x%llx%s", role, (unsigned long long)d->base,
	    d->model == &pvpanic ? ",readback=1" : "");
}

static int build_args(struct qemu_run *q, const struct vm_image *vm, bool use_kvm)
{
	unsigned int i;

	const struct boot_info *bi = &vm->kernel->info;

	arg(q, "%s", vm->opts->qemu_binary ? vm->opts->qemu_binary : "qemu-system-x86_64");
	arg(q, "-nodefaults");
	arg(q, "-no-user-config");
	arg(q, "-display");
	arg(q, "none");
	arg(q, "-machine");
	/* max-ram-below-4g=3G: RAM that would enter [3G, 4G) continues at 4G. */
	arg(q, "pc,max-ram-below-4g=3G,hpet=off,vmport=off,smbus=off,usb=off");
	arg(q, "-accel");
	arg(q, "%s", use_kvm ? "kvm" : "tcg,thread=multi");
	arg(q, "-cpu");
	arg(q, "%s", use_kvm ? "host" : "max");
	arg(q, "-smp");
	arg(q, "%u,sockets=%u,cores=1,threads=1", vm->lay->nr_cpus, vm->lay->nr_cpus);
	build_memory_args(q, vm);
	arg(q, "-bios");
	arg(q, "%s/bios.bin", q->dir);
	arg(q, "-device");
	arg(q, "loader,file=%s/firmware.bin,addr=0x%llx,force-raw=on", q->dir,
	    (unsigned long long)FW_BASE);
	arg(q, "-device");
	arg(q, "loader,file=%s/kernel.bin,addr=0x%llx,force-raw=on", q->dir,
	    (unsigned long long)bi->kernel_addr);
	if (vm->kernel->initrd_path) {
		arg(q, "-device");
		arg(q, "loader,file=%s,addr=0x%llx,force-raw=on", vm->kernel->initrd_path,
		    (unsigned long long)bi->initrd_addr);
	}
	for (i = 0; i < nr_platform_devices; i++)
		if (platform_device__present(&platform_devices[i], vm->lay))
			device_args(q, &platform_devices[i]);
	arg(q, "-no-reboot");
	return q->too_long ? -E2BIG : 0;
}

/* -accel kvm when it can boot Linux here (or is asked for), else TCG. */
static bool pick_kvm(const struct run_opts *opts)
{
	char why[160];
	bool ok = kvm_can_boot_linux(why, sizeof(why));

	switch (opts->qemu_accel) {
	case ACCEL_TCG:
		return false;
	case ACCEL_KVM:
		if (!ok)
			warn("--qemu-accel kvm: %s; QEMU will likely fail", why);
		return true;
	default:
		info("qemu engine: using %s (%s)", ok ? "KVM" : "TCG", why);
		return ok;
	}
}

static int qemu_check(const struct layout *lay, const struct run_opts *opts,
		      const char *cmdline, struct engine_plan *plan, struct err *e)
{
	struct mem_slot *slots;
	unsigned int nr, i;
	u64 khz;
	int ret;

	for (i = 0; i < nr_platform_devices; i++) {
		const struct platform_device *d = &platform_devices[i];

		if (platform_device__present(d, lay) && !qemu_role(d->model))
			return err_set(e, "the qemu engine has no device for the platform's %s (%s); use --engine kvm",
				       d->name, d->model->kind);
	}
	if (lay->nr_reliable && lay->host_mirror != HOST_MIRROR_OFF) {
		if (lay->host_mirror == HOST_MIRROR_REQUIRED)
			return err_set(e, "--host-mirror=required: the qemu engine cannot back reliable guest ranges with host mirrored memory (use --engine kvm)");
		warn("qemu engine: reliable guest ranges are not backed by host mirrored memory (--host-mirror=preferred)");
	}
	/* Host nodes and huge pages: the same checks as the KVM engine. */
	slots = calloc(MAX_SLOTS, sizeof(*slots));
	if (!slots)
		return err_set(e, "out of memory");
	nr = layout__slots(lay, slots, MAX_SLOTS);
	ret = backing__check(lay, slots, nr, false, e);
	free(slots);
	if (ret)
		return ret;

	plan->qemu_kvm = pick_kvm(opts);
	/*
	 * Under TCG a guest's TSC calibration races the emulated PIT and fails
	 * on a busy host; HW-reduced ACPI then leaves it without a timer.
	 */
	khz = plan->qemu_kvm ? 0 : host_tsc_khz();
	if (khz && !strstr(cmdline, "tsc_early_khz=")) {
		snprintf(plan->cmdline_extra, sizeof(plan->cmdline_extra), "tsc_early_khz=%llu",
			 (unsigned long long)khz);
		info("qemu engine (TCG): appended %s to the kernel command line (TCG guests cannot calibrate their TSC reliably)",
		     plan->cmdline_extra);
	}
	return 0;
}

/* Drains a FIFO; returns the last byte seen or -1. */
static int drain(int fd, bool *hup)
{
	u8 buf[64];
	int last = -1;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		last = buf[n - 1];
	if (n == 0)
		*hup = true;
	return last;
}

static void write_all(int fd, const u8 *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;		/* a closed stdout must not stop the guest */
		p += w;
		n -= w;
	}
}

/* Console FIFO -> stdout; true when the guest printed a panic's end. */
static bool copy_console(int fd, struct console_watch *watch, bool *hup)
{
	u8 buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		write_all(STDOUT_FILENO, buf, n);
		console_watch__feed(watch, buf, n);
	}
	if (n == 0)
		*hup = true;
	return watch->panicked;
}

/* Terminal input -> the console FIFO (QEMU's serial receive side). */
static void copy_input(int in_fd, bool *hup)
{
	u8 buf[256];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n <= 0) {
		*hup = n == 0 || (errno != EINTR && errno != EAGAIN);
		return;
	}
	write_all(in_fd, buf, n);
}

enum { FD_CTL, FD_STATUS, FD_PANIC, FD_CONSOLE, FD_STDIN, NR_FDS };

static int supervise(pid_t pid, int fds[NR_FDS], int con_in, struct err *e)
{
	enum vm_end end = VM_END_NONE;
	bool hup[NR_FDS] = { false };
	int status = 0, wstatus, guest_status = 0;
	struct console_watch watch = { .len = 0 };
	bool killed = false;

	hup[FD_STDIN] = fds[FD_STDIN] < 0;
	for (;;) {
		struct pollfd p[NR_FDS];
		int i, n = 0, map[NR_FDS];
		pid_t r;

		if (got_signal && !killed) {
			kill(pid, SIGKILL);
			killed = true;
		}
		for (i = 0; i < NR_FDS; i++) {
			if (hup[i])
				continue;
			p[n].fd = fds[i];
			p[n].events = POLLIN;
			map[n++] = i;
		}
		poll(p, n, 100);
		for (i = 0; i < n; i++) {
			int b, which = map[i];

			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (which == FD_CONSOLE) {
				if (copy_console(fds[which], &watch, &hup[which]) && end == VM_END_NONE)
					end = VM_END_PANIC_CONSOLE;
				continue;
			}
			if (which == FD_STDIN) {
				copy_input(con_in, &hup[which]);
				continue;
			}
			b = drain(fds[which], &hup[which]);
			if (b < 0 || end != VM_END_NONE)
				continue;
			switch (which) {
			case FD_CTL:
				end = ending__control_byte(b);
				if (end == VM_END_NONE)
					warn("guest wrote 0x%02x to the control port; ignored", b);
				break;
			case FD_STATUS:
				end = VM_END_STATUS;
				guest_status = b;
				break;
			case FD_PANIC:
				if (ending__pvpanic(b))
					end = VM_END_PANIC;
				break;
			}
		}
		/*
		 * The guest's console bytes reach the FIFO before its write to a
		 * port does, and QEMU does not own the terminal: killing it
		 * loses nothing.  The console is drained below.
		 */
		if (end != VM_END_NONE && !killed) {
			kill(pid, SIGKILL);
			killed = true;
		}
		r = waitpid(pid, &wstatus, WNOHANG);
		if (r == pid)
			break;
	}
	if (!hup[FD_CONSOLE])
		copy_console(fds[FD_CONSOLE], &watch, &hup[FD_CONSOLE]);
	term__restore();
	if (end != VM_END_NONE)
		return ending__report(end, guest_status);
	if (got_signal)
		return ending__report(VM_END_SIGNAL, 128 + got_signal);
	/* -no-reboot: a reset that did not come through our port. */
	if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
		return ending__report(VM_END_RESET_UNCLEAN, 0);
	status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	return err_set(e, "QEMU failed (exit status %d)", status);
}

static int qemu_run(const struct vm_image *vm, struct err *e)
{
	static struct qemu_run q;
	static u8 rom[RESET_STUB_SIZE];
	const struct kernel_image *k = vm->kernel;
	const char *tmp = getenv("TMPDIR");
	int fds[NR_FDS] = { -1, -1, -1, -1, -1 }, con_in = -1, ret, i, devnull = -1;
	struct sigaction sa;
	bool use_kvm = vm->plan->qemu_kvm;
	pid_t pid;

	memset(&q, 0, sizeof(q));
	snprintf(q.dir, sizeof(q.dir), "%s/mirrorvm.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(q.dir)) {
		q.dir[0] = '\0';
		return err_set(e, "cannot create a temporary directory: %s", strerror(errno));
	}
	reset_stub__build(rom, FW_ZERO_PAGE, k->info.entry32);
	ret = write_in_dir(&q, "bios.bin", rom, sizeof(rom), e);
	if (!ret)
		ret = write_in_dir(&q, "firmware.bin", vm->fw->area, FW_SIZE, e);
	if (!ret)
		ret = write_kernel(&q, k, e);
	for (i = 0; !ret && i < 3; i++) {
		static const char *const names[] = { "ctl", "status", "panic" };

		fds[i] = open_fifo(&q, names[i], O_RDONLY, e);
		if (fds[i] < 0)
			ret = fds[i];
	}
	/* QEMU's pipe chardev: it writes con.out and reads con.in. */
	if (!ret && (fds[FD_CONSOLE] = open_fifo(&q, "con.out", O_RDONLY, e)) < 0)
		ret = fds[FD_CONSOLE];
	if (!ret && (con_in = open_fifo(&q, "con.in", O_RDWR, e)) < 0)
		ret = con_in;
	if (ret)
		goto out;
	if (build_args(&q, vm, use_kvm)) {
		ret = err_set(e, "the QEMU command line does not fit (an argument over %zu bytes, such as a long file name, or more than %d arguments)",
			      sizeof(q.bufs[0]) - 1, MAX_ARGS - 1);
		goto out;
	}
	if (getenv("MIRRORVM_SHOW_QEMU")) {
		fprintf(stderr, "mirrorvm: qemu command:");
		for (i = 0; i < q.argc; i++)
			fprintf(stderr, " %s", q.argv[i]);
		fputc('\n', stderr);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	/* QEMU reads no terminal: mirrorvm forwards a terminal's input. */
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (isatty(STDIN_FILENO)) {
		fds[FD_STDIN] = STDIN_FILENO;
		term__raw();
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = err_set(e, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* QEMU must not outlive mirrorvm, however mirrorvm ends. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(127);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		execvp(q.argv[0], q.argv);
		fprintf(stderr, "mirrorvm: cannot run %s: %s\n", q.argv[0], strerror(errno));
		_exit(127);
	}
	ret = supervise(pid, fds, con_in, e);
out:
	term__restore();
	for (i = 0; i < FD_STDIN; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (con_in >= 0)
		close(con_in);
	if (devnull >= 0)
		close(devnull);
	cleanup_dir(&q);
	return ret;
}

const struct engine qemu_engine = {
	.name = "qemu",
	.caps = 0,
	.no_elf = "its reset stub enters the 32-bit boot protocol",
	.check = qemu_check,
	.run = qemu_run,
};
