// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM engine's system call filter without KVM: in a child process
 * with the filter installed, what a running VM does apart from its KVM
 * ioctls (threads and their signals, the event loop and the control
 * socket with a query-placement, memory released and mapped again as a
 * hot-unplug and re-plug do, prefault workers, sysfs reads, the C
 * library's own calls) must go on working, and what it must not do
 * (create a file, map executable memory, start a process, open a socket)
 * must end the child with exit status 159 and a message naming the call.
 * Under AddressSanitizer the filter is off by design (seccomp-filter.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "api.h"
#include "backing.h"
#include "event-loop.h"
#include "host.h"
#include "json.h"
#include "platform.h"
#include "seccomp-filter.h"

static char dir[] = "/tmp/mirrorvm-seccomp-XXXXXX";

/* What a child printed on stderr and how it ended. */
struct outcome {
	int status;		/* exit status, or -signal */
	char err[4096];
};

/* Runs @fn in a child with its stderr captured; @fn's return is the exit status. */
static void in_child(int (*fn)(void), struct outcome *o)
{
	int pipefd[2], st;
	ssize_t n, got = 0;
	pid_t pid;

	memset(o, 0, sizeof(*o));
	if (pipe(pipefd))
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[0]);
		_exit(fn());
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], o->err + got, sizeof(o->err) - 1 - got)) > 0)
		got += n;
	close(pipefd[0]);
	waitpid(pid, &st, 0);
	o->status = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

static int install(int api_dir_fd)
{
	struct seccomp_needs needs = { .api_dir_fd = api_dir_fd };
	struct err e;

	if (seccomp__install(&needs, &e)) {
		fprintf(stderr, "install: %s\n", e.msg);
		return -1;
	}
	return 0;
}

/* ---- allowed: what a running VM does ---- */

static volatile sig_atomic_t kicks;

static void on_kick(int sig)
{
	(void)sig;
	kicks++;
}

/* A vCPU thread's life apart from KVM_RUN: its name, a lock, messages, memory. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static bool go;

static void *vcpu_like(void *arg)
{
	char *p;

	(void)arg;
	pthread_setname_np(pthread_self(), "vcpu0");
	p = malloc(1 << 20);		/* a thread's first malloc: its own arena */
	if (p)
		memset(p, 1, 1 << 20);
	free(p);
	fprintf(stderr, "thread: message\n");
	pthread_mutex_lock(&lock);
	while (!go)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static int fake_placement(void *opaque, struct json_writer *w, struct err *e)
{
	static u8 *mem;
	struct ram_mapping ram = { .slot = { 0, 4 << 20, 0, false } };
	static const struct layout lay = { .nr_nodes = 1 };
	static const struct host_mirror hm = { .method = HOST_MIRROR_NONE };

	(void)opaque;
	if (!mem)
		mem = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return err_set(e, "mmap");
	mem[0] = 1;
	ram.hva = mem;
	return placement__json(&lay, &hm, &ram, 1, w, e);
}

static bool fake_paused(void *opaque)
{
	(void)opaque;
	return false;
}

static const struct vm_control ctl = {
	.engine = "kvm", .paused = fake_paused, .query_placement = fake_placement,
};

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Reads a reply line from @fd (blocking). */
static bool read_line(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got + 1 < len) {
		ssize_t n = recv(fd, buf + got, 1, 0);

		if (n <= 0)
			return false;
		if (buf[got++] == '\n')
			break;
	}
	buf[got] = '\0';
	return true;
}

#define STEP(cond, what) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "step failed: %s (errno %d)\n", what, errno); \
		return 1;						\
	}								\
} while (0)

static int allowed_work(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct itimerspec t = { .it_value = { 0, 1000000 } };
	struct backing_range r[2];
	struct event_loop *loop;
	struct api_server *srv;
	struct sigaction sa_kick;
	struct timespec ts = { 0, 1000000 };
	struct termios tio;
	struct dirent *de;
	struct err e;
	char path[128], line[8192];
	int efd, tfd, cfd, mfd, i, *nums;
	u8 *p, *q, vec[16];
	pthread_t th;
	u64 v = 1;
	FILE *f;
	DIR *d;

	/* set up before the filter, as the engine does */
	loop = event_loop__create(&e);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	srv = loop ? api__listen(path, -1, loop, &ctl, &e) : NULL;
	cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	STEP(srv && efd >= 0 && tfd >= 0 && cfd >= 0, "setup");
	STEP(!connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), "connect");
	memset(&sa_kick, 0, sizeof(sa_kick));
	sa_kick.sa_handler = on_kick;

	if (install(api__dir_fd(srv)))
		return 2;

	/* signals and threads: the vCPUs' kick handler, start, kick, join */
	STEP(!sigaction(SIGUSR1, &sa_kick, NULL), "sigaction");
	STEP(!pthread_create(&th, NULL, vcpu_like, NULL), "pthread_create");
	STEP(!pthread_kill(th, SIGUSR1), "pthread_kill");
	nanosleep(&ts, NULL);
	pthread_mutex_lock(&lock);
	go = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	STEP(!pthread_join(th, NULL), "pthread_join");

	/* the event loop: an event fd, a timer, a client of the control socket */
	STEP(write(efd, &v, sizeof(v)) == sizeof(v) && read(efd, &v, sizeof(v)) == sizeof(v),
	     "eventfd");
	STEP(!timerfd_settime(tfd, 0, &t, NULL), "timerfd_settime");
	STEP(!event_loop__run_once(loop, 100), "accept");
	STEP(read_line(cfd, line, sizeof(line)) && strstr(line, "greeting"), "greeting");
	STEP(send(cfd, "{\"execute\":\"query-placement\"}\n", 30, 0) == 30, "send");
	STEP(!event_loop__run_once(loop, 1000), "request");
	STEP(read_line(cfd, line, sizeof(line)) && strstr(line, "resident_bytes"), line);
	api__close(srv);
	STEP(access(path, F_OK) && errno == ENOENT, "the control socket removed");
	event_loop__destroy(loop);

	/* hot-unplug and re-plug: release as memory.c does, map again, move into place */
	p = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	STEP(p != MAP_FAILED, "mmap");
	madvise(p, 4 << 20, MADV_HUGEPAGE);
	memset(p, 1, 4 << 20);
	STEP(!mincore(p, 16 * 4096, vec), "mincore");
	STEP(mmap(p, 4 << 20, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		  -1, 0) == p, "mmap PROT_NONE MAP_FIXED");
	mfd = memfd_create("mirrorvm-node1", MFD_CLOEXEC);
	STEP(mfd >= 0 && !ftruncate(mfd, 4 << 20), "memfd");
	q = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	close(mfd);
	STEP(q != MAP_FAILED, "mmap memfd");
	STEP(mremap(q, 4 << 20, 4 << 20, MREMAP_MAYMOVE | MREMAP_FIXED, p) == p, "mremap");
	r[0] = (struct backing_range){ p, 2 << 20 };
	r[1] = (struct backing_range){ p + (2 << 20), 2 << 20 };
	STEP(!backing__prefault(1, r, 2, &e), e.msg);
	STEP(!munmap(p, 4 << 20), "munmap");

	/* the host checks before a re-plug: sysfs, the NUMA nodes and their sizes */
	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (f) {
		STEP(fgets(line, sizeof(line), f) != NULL, "fgets");
		fclose(f);
	}
	d = opendir("/sys/devices/system/cpu");
	STEP(d != NULL, "opendir");
	while ((de = readdir(d)))
		;
	closedir(d);
	STEP(sysconf(_SC_NPROCESSORS_ONLN) > 0, "sysconf");
	{
		struct idset nodes;
		long long freemem;

		host_numa__nodes(&nodes);
		host_numa__node_size(0, &freemem);
	}

	/* a vCPU's KVM_RUN failing with EFAULT on a host with mirrored memory */
	host_mirror__explain_enomem(line, sizeof(line));
	STEP(strstr(line, "RLIMIT_MEMLOCK"), line);

	/* the C library on its own: large allocations, qsort, time, the terminal */
	nums = malloc(100000 * sizeof(*nums));
	STEP(nums != NULL, "malloc");
	for (i = 0; i < 100000; i++)
		nums[i] = 100000 - i;
	qsort(nums, 100000, sizeof(*nums), cmp_int);
	nums = realloc(nums, 4000000 * sizeof(*nums));
	STEP(nums != NULL, "realloc");
	free(nums);
	STEP(!clock_gettime(CLOCK_REALTIME, &ts), "clock_gettime");
	tcgetattr(STDIN_FILENO, &tio);
	fprintf(stderr, "allowed work done (kicks %d)\n", (int)kicks);
	return kicks == 1 ? 0 : 3;
}

static void test_allowed(void)
{
	struct outcome o;

	in_child(allowed_work, &o);
	CHECK(o.status == 0 && strstr(o.err, "allowed work done"), "exit %d: %s", o.status, o.err);
	CHECK(!strstr(o.err, "seccomp"), "%s", o.err);
}

/* ---- forbidden: each ends the child, naming the call ---- */

static int violate_hook(void)
{
	setenv("MIRRORVM_TEST_SECCOMP_VIOLATE", "main", 1);
	if (install(-1))
		return 2;
	seccomp__test_violate("vcpu");		/* not this thread's value: nothing */
	seccomp__test_violate("main");
	return 0;
}

static int create_file(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/new", dir);
	if (install(-1))
		return 2;
	return open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600) >= 0 ? 0 : 4;
}

static int exec_memory(void)
{
	if (install(-1))
		return 2;
	return mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ==
	       MAP_FAILED ? 4 : 0;
}

static int start_process(void)
{
	pid_t pid;

	if (install(-1))
		return 2;
	pid = fork();
	if (pid == 0)
		_exit(0);
	return 0;
}

static int remove_elsewhere(void)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/keep", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return 5;
	close(fd);
	if (install(-1))
		return 2;
	return unlink(path) ? 4 : 0;
}

static void expect_refused(int (*fn)(void), const char *call, const char *what)
{
	struct outcome o;
	char want[64];

	in_child(fn, &o);
	snprintf(want, sizeof(want), "system call %s (", call);
	CHECK(o.status == MVM_EXIT_SECCOMP && strstr(o.err, want) &&
	      strstr(o.err, "--seccomp off"), "%s: exit %d, want %d naming %s: %s", what,
	      o.status, MVM_EXIT_SECCOMP, call, o.err);
}

static void test_refused(void)
{
	struct outcome o;

	expect_refused(violate_hook, "socket", "the test hook");
	in_child(violate_hook, &o);
	CHECK(strstr(o.err, "test hook: socket() from the main thread") &&
	      !strstr(o.err, "returned"), "%s", o.err);
	expect_refused(create_file, "openat", "creating a file");
	expect_refused(exec_memory, "mmap", "executable memory");
	expect_refused(start_process, "clone", "fork()");
	expect_refused(remove_elsewhere, "unlink", "removing a file elsewhere");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	if (seccomp__unavailable()) {
		printf("SKIP the filter's tests: %s\n", seccomp__unavailable());
		rmdir(dir);
		UNIT_DONE();
	}
	RUN(test_allowed);
	RUN(test_refused);
	unlink(strcat(dir, "/keep"));
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
	UNIT_DONE();
}
