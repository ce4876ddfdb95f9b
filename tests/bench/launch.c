// SPDX-License-Identifier: GPL-2.0
/*
 * launch - times one program from execve() to its first KVM_RUN, then kills
 * it before that KVM_RUN reaches KVM.  A tool of scripts/bench-startup.sh.
 *
 *   launch [--method shim|seccomp] [--preload SHIM.so] [--no-seccomp]
 *          [--timeout SEC] [--log FILE] -- PROG [ARG...]
 *
 * PROG's stdin is /dev/null; its stdout and stderr go to FILE (default:
 * /dev/null), opened before the clock starts.
 *
 * On success it prints one line on stdout and exits 0:
 *
 *   first_kvm_run_ns=N method=M [seccomp_wakeup_ns=W]
 *
 * N runs from CLOCK_MONOTONIC taken in the child immediately before
 * execve() to the first KVM_RUN.  A program that exits, is killed or times
 * out before any KVM_RUN, or whose first KVM_RUN the shim did not see, is an
 * error (exit 1, the reason on stderr), never a number.
 *
 * Two ways to see the first KVM_RUN, used together by default:
 *
 * the shim (first-run-shim.c)  the program's own ioctl() reads the clock on
 *   the first KVM_RUN and writes it to a pipe (MVM_BENCH_SHIM_FD).  It is
 *   LD_PRELOAD'ed into dynamic programs (--preload) and linked into static
 *   ones with -Wl,--wrap=ioctl.  N is the shim's time: read in the calling
 *   thread, just before the syscall.
 *
 * a seccomp filter  installed in the child before execve(), it turns
 *   ioctl(fd, KVM_RUN) into a user notification (SECCOMP_RET_USER_NOTIF,
 *   Linux 5.0): the calling thread stops inside the syscall, before KVM
 *   sees it, and the listener fd, passed back over a socketpair, wakes
 *   this process.  It proves that the KVM_RUN the shim saw was the
 *   program's first KVM_RUN syscall (one that bypassed libc's ioctl would
 *   arrive here first: an error), and it stops the guest before it runs.
 *   No ptrace; the child pays one short BPF program per syscall.
 *
 * --method seccomp  takes the time when this process wakes up on the
 *   notification: no shim needed, but the wakeup latency is in the figure
 *   (measured 0.1 to 6 ms on a 2-vCPU VM, 0.3 to 22 ms in a TCG L1: too
 *   noisy for a 1 ms target).  The default method reports that latency as
 *   seccomp_wakeup_ns, as a check of the instrument.
 * --no-seccomp  the shim _exit(0)s at once instead (for kernels without
 *   seccomp user notification).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Written by the child between fork() and execve(), read by the parent. */
struct shared {
	uint64_t t_exec;
	int exec_errno;
	char what[64];		/* the step that failed, with exec_errno */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr, "usage: launch [--method shim|seccomp] [--preload SHIM.so] [--no-seccomp] "
		"[--timeout SEC] [--log FILE] -- PROG [ARG...]\n");
	exit(2);
}

/*
 * ioctl(2) takes an unsigned int request: the kernel ignores the upper half
 * of the register, so the filter compares the lower 32 bits only.
 */
static int install_filter(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, KVM_RUN, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
		       SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

static int send_fd(int sock, int fd)
{
	char c = 0, cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char c, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* Runs in the child: never returns. */
static void child(char **argv, bool use_seccomp, int sock, int shim_fd,
		  const char *log, volatile struct shared *sh)
{
	int in = open("/dev/null", O_RDONLY), out = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	char env[32];

	if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) {
		sh->exec_errno = errno;
		snprintf((char *)sh->what, sizeof(sh->what), "--log %s", log);
		_exit(126);
	}
	if (in > 2)
		close(in);
	if (out > 2)
		close(out);

	if (use_seccomp) {
		int fd = install_filter();

		if (fd < 0 || send_fd(sock, fd)) {
			sh->exec_errno = errno;
			snprintf((char *)sh->what, sizeof(sh->what), "seccomp user notification");
			_exit(126);
		}
		close(fd);
	}
	close(sock);
	if (shim_fd >= 0) {
		snprintf(env, sizeof(env), "%d", shim_fd);
		setenv("MVM_BENCH_SHIM_FD", env, 1);
		if (use_seccomp)
			setenv("MVM_BENCH_SHIM_PASS", "1", 1);
	}
	sh->t_exec = now_ns();
	execvp(argv[0], argv);
	sh->exec_errno = errno;
	snprintf((char *)sh->what, sizeof(sh->what), "%s", argv[0]);
	_exit(127);
}

static void describe_exit(const char *prog, int status, const char *before)
{
	if (WIFEXITED(status))
		fprintf(stderr, "launch: %s exited with status %d %s\n", prog,
			WEXITSTATUS(status), before);
	else if (WIFSIGNALED(status))
		fprintf(stderr, "launch: %s was killed by signal %d %s\n", prog,
			WTERMSIG(status), before);
}

/* Waits for the first KVM_RUN notification: 1 and its time, 0 (child gone), -1. */
static int wait_notification(int listener, int timeout_ms, const char *prog, uint64_t *t)
{
	struct seccomp_notif req;
	struct pollfd p = { .fd = listener, .events = POLLIN };
	int n;

	do {
		n = poll(&p, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	*t = now_ns();
	if (n == 0) {
		fprintf(stderr, "launch: %s made no KVM_RUN within %d s\n", prog, timeout_ms / 1000);
		return -1;
	}
	if (n < 0)
		return -1;
	if (!(p.revents & POLLIN))
		return 0;	/* POLLHUP: every thread of the child is gone */
	memset(&req, 0, sizeof(req));
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req)) {
		fprintf(stderr, "launch: SECCOMP_IOCTL_NOTIF_RECV: %s\n", strerror(errno));
		return -1;
	}
	if (req.data.nr != __NR_ioctl || (uint32_t)req.data.args[1] != KVM_RUN) {
		fprintf(stderr, "launch: unexpected notification for syscall %d\n", req.data.nr);
		return -1;
	}
	return 1;
}

/* The shim's time, or 0 when it wrote nothing (within @timeout_ms). */
static uint64_t read_shim(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t t = 0;

	if (poll(&p, 1, timeout_ms) <= 0 || read(fd, &t, sizeof(t)) != (ssize_t)sizeof(t))
		return 0;
	return t;
}

int main(int argc, char **argv)
{
	bool use_shim = true, use_seccomp = true;
	const char *preload = NULL, *log = "/dev/null", *prog;
	int timeout = 60, sv[2] = { -1, -1 }, pipefd[2] = { -1, -1 }, listener = -1;
	volatile struct shared *sh;
	uint64_t t_notif = 0, t_shim = 0;
	int i, status, got = 0;
	pid_t pid;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--no-seccomp")) {
			use_seccomp = false;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--method")) {
			const char *m = argv[++i];

			if (!strcmp(m, "shim"))
				use_shim = true;
			else if (!strcmp(m, "seccomp"))
				use_shim = false;
			else
				usage();
		} else if (!strcmp(argv[i], "--preload")) {
			preload = argv[++i];
		} else if (!strcmp(argv[i], "--log")) {
			log = argv[++i];
		} else if (!strcmp(argv[i], "--timeout")) {
			timeout = atoi(argv[++i]);
			if (timeout <= 0)
				usage();
		} else {
			usage();
		}
	}
	if (i + 1 >= argc || (!use_shim && !use_seccomp))
		usage();
	argv += i + 1;
	prog = argv[0];
	if (use_shim) {
		if (pipe(pipefd)) {
			perror("launch: pipe");
			return 1;
		}
		fcntl(pipefd[0], F_SETFD, FD_CLOEXEC);
		if (preload)
			setenv("LD_PRELOAD", preload, 1);
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("launch: mmap");
		return 1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		perror("launch: socketpair");
		return 1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("launch: fork");
		return 1;
	}
	if (pid == 0) {
		close(sv[0]);
		if (pipefd[0] >= 0)
			close(pipefd[0]);
		child(argv, use_seccomp, sv[1], pipefd[1], log, sh);
	}
	close(sv[1]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);

	if (use_seccomp) {
		listener = recv_fd(sv[0]);
		if (listener < 0) {
			waitpid(pid, &status, 0);
			fprintf(stderr, "launch: %s: %s\n", sh->exec_errno ? sh->what : "seccomp",
				strerror(sh->exec_errno ? sh->exec_errno : EIO));
			return 1;
		}
		got = wait_notification(listener, timeout * 1000, prog, &t_notif);
	}
	/* With seccomp the shim wrote before the notification, if at all. */
	if (use_shim && got >= 0)
		t_shim = read_shim(pipefd[0], use_seccomp ? 0 : timeout * 1000);
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (sh->exec_errno) {
		fprintf(stderr, "launch: %s: %s\n", sh->what, strerror(sh->exec_errno));
		return 1;
	}
	if (got < 0)
		return 1;
	if (use_seccomp && !got) {
		describe_exit(prog, status, "before its first KVM_RUN");
		return 1;
	}
	if (use_shim && !t_shim) {
		if (use_seccomp)
			fprintf(stderr, "launch: %s made a KVM_RUN that the shim did not see "
				"(no shim: a static binary without --wrap=ioctl, or no --preload?)\n",
				prog);
		else
			describe_exit(prog, status, "and the shim saw no KVM_RUN");
		return 1;
	}
	if (!use_shim)
		printf("first_kvm_run_ns=%llu method=seccomp\n",
		       (unsigned long long)(t_notif - sh->t_exec));
	else if (!use_seccomp)
		printf("first_kvm_run_ns=%llu method=shim-only\n",
		       (unsigned long long)(t_shim - sh->t_exec));
	else
		printf("first_kvm_run_ns=%llu method=shim seccomp_wakeup_ns=%llu\n",
		       (unsigned long long)(t_shim - sh->t_exec),
		       (unsigned long long)(t_notif - t_shim));
	if (listener >= 0)
		close(listener);
	return 0;
}
