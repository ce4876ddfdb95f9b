// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket without a VM: the server on an event loop with a fake
 * struct vm_control, a client thread speaking the protocol, and every way a
 * client can get it wrong (bad JSON, unknown commands and arguments, an
 * oversized request, a client that leaves mid-request, too many clients),
 * plus the socket file's rules (0600, stale sockets replaced, nothing else).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "unit.h"
#include "api.h"
#include "layout.h"

static char sock_path[64];

/* The fake VM. */
static struct {
	bool paused;
	unsigned int stops, conts, quits;
} vm;

static int fake_stop(void *opaque, struct err *e)
{
	(void)opaque;
	(void)e;
	vm.paused = true;
	vm.stops++;
	return 0;
}

static int fake_cont(void *opaque, struct err *e)
{
	(void)opaque;
	(void)e;
	vm.paused = false;
	vm.conts++;
	return 0;
}

static bool fake_paused(void *opaque)
{
	(void)opaque;
	return vm.paused;
}

static struct event_loop *loop;
static atomic_bool client_done;

static void fake_quit(void *opaque)
{
	(void)opaque;
	vm.quits++;
}

static int fake_cpus(void *opaque, struct json_writer *w, struct err *e)
{
	(void)opaque;
	(void)e;
	json_array_begin(w);
	json_object_begin(w);
	json_kv_u64(w, "id", 0);
	json_kv_u64(w, "rip", 0x1000200);
	json_object_end(w);
	json_array_end(w);
	return 0;
}

/* The last memory request the fake VM got; unit 9 is busy, node 7 unknown. */
static struct unit_selector last_sel;
static u64 last_timeout;

static int fake_memory(void *opaque, const struct unit_selector *sel, u64 timeout_ms,
		       struct json_writer *w, struct err *e)
{
	(void)opaque;
	last_sel = *sel;
	last_timeout = timeout_ms;
	if (sel->by == SELECT_UNIT && sel->unit == 9) {
		err_set(e, "unit 9 is unplug-requested");
		return -EBUSY;
	}
	if (sel->by == SELECT_NODE && sel->node == 7) {
		err_set(e, "node 7: no such node");
		return -EINVAL;
	}
	json_object_begin(w);
	json_key(w, "units");
	json_array_begin(w);
	json_u64(w, 1);
	json_array_end(w);
	json_object_end(w);
	return 0;
}

/*
 * What the fake VM's snapshot got: calls, stay_paused, how many memory
 * parts, the first bytes of the state file and of the first and last part.
 */
static struct {
	unsigned int calls, parts;
	bool paused;
	char state[8], memory[8], last[8];
} snap;

static int fake_snapshot(void *opaque, int state_fd, const int *memory_fds, unsigned int nr_parts,
			 bool stay_paused, struct json_writer *w, struct err *e)
{
	(void)opaque;
	(void)e;
	snap.calls++;
	snap.paused = stay_paused;
	snap.parts = nr_parts;
	memset(snap.state, 0, sizeof(snap.state));
	memset(snap.memory, 0, sizeof(snap.memory));
	memset(snap.last, 0, sizeof(snap.last));
	if (pread(state_fd, snap.state, sizeof(snap.state) - 1, 0) < 0 ||
	    pread(memory_fds[0], snap.memory, sizeof(snap.memory) - 1, 0) < 0 ||
	    pread(memory_fds[nr_parts - 1], snap.last, sizeof(snap.last) - 1, 0) < 0)
		return err_set(e, "the files: %s", strerror(errno));
	json_object_begin(w);
	json_kv_string(w, "status", stay_paused ? "paused" : "running");
	json_object_end(w);
	return 0;
}

/* What the fake VM's live update got: calls and the name. */
static struct {
	unsigned int calls;
	char name[80];
} live;

static int fake_live_update(void *opaque, int pram_fd, int state_fd, const char *name,
			    struct json_writer *w, struct err *e)
{
	(void)opaque;
	(void)pram_fd;
	(void)state_fd;
	(void)e;
	live.calls++;
	snprintf(live.name, sizeof(live.name), "%s", name);
	json_object_begin(w);
	json_kv_string(w, "name", name);
	json_object_end(w);
	return 0;
}

static const struct vm_control fake_ctl = {
	.engine = "fake", .stop = fake_stop, .cont = fake_cont, .paused = fake_paused,
	.quit = fake_quit, .query_cpus = fake_cpus, .memory_unplug = fake_memory,
	.snapshot = fake_snapshot, .live_update = fake_live_update,
};

/* ---- the client side, in its own thread ---- */

static int client_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, sock_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The next line from @fd into @buf (without '\n'); false at EOF. */
static bool get_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap) {
		char c;
		ssize_t r = recv(fd, &c, 1, 0);

		if (r <= 0)
			return false;
		if (c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = '\0';
	return true;
}

static void put(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		s += n;
		len -= n;
	}
}

/* Sends @req (a line) with @nr files named by @paths (SCM_RIGHTS). */
static void put_files(int fd, const char *req, const char *const *paths, unsigned int nr)
{
	union {
		char buf[CMSG_SPACE(16 * sizeof(int))];
		struct cmsghdr align;
	} u = { 0 };
	struct iovec iov = { .iov_base = (void *)req, .iov_len = strlen(req) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	int fds[16];
	unsigned int i;

	for (i = 0; i < nr && i < ARRAY_SIZE(fds); i++)
		fds[i] = open(paths[i], O_RDONLY);
	if (nr) {
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(nr * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nr * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nr * sizeof(int));
	}
	CHECK(sendmsg(fd, &msg, MSG_NOSIGNAL) == (ssize_t)strlen(req), "sendmsg");
	for (i = 0; i < nr; i++)
		close(fds[i]);
}

/* Sends @req (a line) and returns the reply line, skipping events. */
static const char *ask(int fd, const char *req)
{
	static char buf[8192];

	put(fd, req);
	do {
		if (!get_line(fd, buf, sizeof(buf)))
			return "(connection closed)";
	} while (strstr(buf, "\"event\""));
	return buf;
}

#define EXPECT(fd, req, needle) do {					\
	const char *r_ = ask(fd, req);					\
	CHECK(strstr(r_, needle), "%s -> %s (wanted %s)", req, r_, needle); \
} while (0)

/* The reply line to @req sent with @nr files, skipping events. */
static const char *ask_files(int fd, const char *req, const char *const *paths, unsigned int nr)
{
	static char buf[8192];

	put_files(fd, req, paths, nr);
	do {
		if (!get_line(fd, buf, sizeof(buf)))
			return "(connection closed)";
	} while (strstr(buf, "\"event\""));
	return buf;
}

/*
 * The snapshot request: its files come with it, two of them, checked
 * (as its arguments) before the VM sees anything.
 */
static void client_snapshot(int fd)
{
	static const char *const files[] = { "/proc/self/stat", "/proc/version", "/proc/self/status" };
	static const char *const many_files[] = {
		"/proc/self/stat", "/proc/version", "/proc/version", "/proc/version", "/proc/version",
		"/proc/version", "/proc/version", "/proc/version", "/proc/version", "/proc/self/status",
		"/proc/version", "/proc/version",
	};
	const char *r;

	r = ask_files(fd, "{\"execute\": \"snapshot\", \"arguments\": {\"path\": \"/s\"}}\n", files, 0);
	CHECK(strstr(r, "\"class\": \"bad-argument\"") &&
	      strstr(r, "snapshot /s: the request must come with 2 files (state, memory), it came with 0"),
	      "no files: %s", r);
	r = ask_files(fd, "{\"execute\": \"snapshot\"}\n", files, 3);
	CHECK(strstr(r, "it came with 3"), "three files: %s", r);
	r = ask_files(fd, "{\"execute\": \"snapshot\", \"arguments\": {\"paused\": \"yes\"}}\n", files, 2);
	CHECK(strstr(r, "\"class\": \"bad-argument\"") && strstr(r, "paused: expected a boolean"),
	      "paused=yes: %s", r);
	CHECK(snap.calls == 0, "refused requests never reach the VM (%u calls)", snap.calls);
	r = ask_files(fd, "{\"execute\": \"snapshot\", \"arguments\": {\"paused\": true}}\n", files, 2);
	CHECK(strstr(r, "{\"return\": {\"status\": \"paused\"}}") && snap.calls == 1 && snap.paused &&
	      !strncmp(snap.memory, "Linux", 5) && snap.state[0] >= '1' && snap.state[0] <= '9',
	      "two files, in order: %s (%u calls, state '%s', memory '%s')", r, snap.calls, snap.state,
	      snap.memory);
	/* memory parts: "parts" says how many files come after the state */
	r = ask_files(fd, "{\"execute\": \"snapshot\", \"arguments\": {\"parts\": 2}}\n", files, 3);
	CHECK(strstr(r, "{\"return\": {\"status\": \"running\"}}") && snap.calls == 2 &&
	      snap.parts == 2 && !strncmp(snap.memory, "Linux", 5) && !strncmp(snap.last, "Name:", 5),
	      "state and two parts, in order: %s (%u calls, %u parts, first '%s', last '%s')", r,
	      snap.calls, snap.parts, snap.memory, snap.last);
	r = ask_files(fd, "{\"execute\": \"snapshot\", \"arguments\": {\"parts\": 2}}\n", files, 2);
	CHECK(strstr(r, "the request must come with 3 files (state, 2 memory parts), it came with 2"),
	      "parts 2, two files: %s", r);
	r = ask_files(fd, "{\"execute\": \"snapshot\", \"arguments\": {\"parts\": 0}}\n", files, 1);
	CHECK(strstr(r, "\"class\": \"bad-argument\"") &&
	      strstr(r, "parts: 0 memory parts, a snapshot has 1 to 8"), "parts 0: %s", r);
	r = ask_files(fd, "{\"execute\": \"snapshot\", \"arguments\": {\"parts\": 9}}\n", files, 3);
	CHECK(strstr(r, "parts: 9 memory parts, a snapshot has 1 to 8"), "parts 9: %s", r);
	r = ask_files(fd, "{\"execute\": \"snapshot\", \"arguments\": {\"parts\": \"2\"}}\n", files, 3);
	CHECK(strstr(r, "\"class\": \"bad-argument\"") && strstr(r, "parts"), "parts \"2\": %s", r);
	CHECK(snap.calls == 2, "refused requests never reach the VM (%u calls)", snap.calls);
	/* files sent with a request that is not a snapshot are closed, unused */
	r = ask_files(fd, "{\"execute\": \"query-status\"}\n", files, 2);
	CHECK(strstr(r, "\"status\""), "query-status with files: %s", r);
	/* more files than any request takes: refused, none of them used */
	r = ask_files(fd, "{\"execute\": \"snapshot\", \"arguments\": {\"parts\": 8}}\n", many_files, 10);
	CHECK(strstr(r, "more than 9 files came with the request") && snap.calls == 2,
	      "ten files: %s (%u calls)", r, snap.calls);
	r = ask(fd, "{\"execute\": \"query-status\"}\n");
	CHECK(strstr(r, "\"status\""), "the connection goes on after that: %s", r);
	/* more than fit the server's buffer: the kernel closes the rest (MSG_CTRUNC) */
	r = ask_files(fd, "{\"execute\": \"snapshot\", \"arguments\": {\"parts\": 8}}\n", many_files, 12);
	CHECK(strstr(r, "more than 9 files came with the request") && snap.calls == 2,
	      "twelve files: %s (%u calls)", r, snap.calls);
	r = ask_files(fd, "{\"execute\": \"snapshot\", \"arguments\": {\"parts\": 2}}\n", files, 3);
	CHECK(strstr(r, "\"status\": \"running\"") && snap.calls == 3,
	      "then a snapshot with its 3 files: %s (%u calls)", r, snap.calls);
}

/*
 * The live-update request: a name it can use, and /dev/pram and the state
 * memfd with it, checked before the VM sees anything.
 */
static void client_live_update(int fd)
{
	static const char *const files[] = { "/proc/self/stat", "/proc/version", "/proc/cmdline" };
	const char *r;

	r = ask_files(fd, "{\"execute\": \"live-update\"}\n", files, 2);
	CHECK(strstr(r, "\"class\": \"bad-argument\"") && strstr(r, "which name?"), "no name: %s", r);
	r = ask_files(fd, "{\"execute\": \"live-update\", \"arguments\": {\"name\": \"a/b\"}}\n", files, 2);
	CHECK(strstr(r, "letters, digits"), "a bad name: %s", r);
	r = ask_files(fd, "{\"execute\": \"live-update\", \"arguments\": {\"name\": 5}}\n", files, 2);
	CHECK(strstr(r, "name: expected a string"), "a number for a name: %s", r);
	r = ask_files(fd, "{\"execute\": \"live-update\", \"arguments\": {\"name\": \"vm1\"}}\n", files, 1);
	CHECK(strstr(r, "live-update vm1: the request must come with 2 files (/dev/pram, a memfd for the state), it came with 1"),
	      "one file: %s", r);
	r = ask_files(fd, "{\"execute\": \"live-update\", \"arguments\": {\"name\": \"vm1\", \"force\": 1}}\n",
		      files, 2);
	CHECK(strstr(r, "\"class\": \"bad-argument\""), "an unknown argument: %s", r);
	CHECK(live.calls == 0, "refused requests never reach the VM (%u calls)", live.calls);
	r = ask_files(fd, "{\"execute\": \"live-update\", \"arguments\": {\"name\": \"vm-1.a_b\"}}\n", files, 2);
	CHECK(strstr(r, "{\"return\": {\"name\": \"vm-1.a_b\"}}") && live.calls == 1 &&
	      !strcmp(live.name, "vm-1.a_b"), "a good request: %s", r);
}

static void *client(void *arg)
{
	char buf[8192], *big;
	int fd, fds[API_MAX_CLIENTS + 1], i;

	(void)arg;
	fd = client_connect();
	CHECK(fd >= 0, "connect");
	CHECK(get_line(fd, buf, sizeof(buf)) && strstr(buf, "\"greeting\"") &&
	      strstr(buf, "\"engine\": \"fake\"") && strstr(buf, "\"snapshot-parts\": 8"),
	      "greeting: %s", buf);

	EXPECT(fd, "{\"execute\": \"query-status\"}\n", "{\"return\": {\"status\": \"running\"");
	EXPECT(fd, "{\"execute\": \"stop\", \"id\": 7}\n", "{\"return\": {}, \"id\": 7}");
	EXPECT(fd, "{\"execute\": \"query-status\", \"id\": \"a\"}\n", "\"paused\"");
	EXPECT(fd, "{\"execute\": \"query-cpus\"}\n", "\"rip\": 16777728");
	EXPECT(fd, "{\"execute\": \"cont\"}\n", "{\"return\": {}}");
	EXPECT(fd, "{\"execute\": \"query-cpus\"}\n", "\"class\": \"wrong-state\"");
	/* mistakes */
	EXPECT(fd, "{\"execute\": \"frob\", \"id\": 3}\n", "\"class\": \"unknown-command\", \"desc\": \"frob: no such command");
	EXPECT(fd, "{\"execute\": \"frob\", \"id\": 3}\n", "\"id\": 3");
	EXPECT(fd, "not json\n", "\"class\": \"bad-request\"");
	EXPECT(fd, "[1, 2]\n", "a request is a JSON object");
	EXPECT(fd, "{\"execute\": 5}\n", "execute: expected a string");
	EXPECT(fd, "{\"exec\": \"stop\"}\n", "bad-request");
	EXPECT(fd, "{\"execute\": \"stop\", \"arguments\": 3}\n", "arguments: expected an object");
	EXPECT(fd, "{\"execute\": \"stop\", \"arguments\": {\"force\": true}}\n", "\"class\": \"bad-argument\"");
	EXPECT(fd, "{\"execute\": \"stop\", \"id\": [1]}\n", "id: expected a string or an integer");
	EXPECT(fd, "{\"execute\": \"query-status\"} {}\n", "bad-request");
	EXPECT(fd, "{\"execute\": \"x-test-port\"}\n", "\"class\": \"unavailable\"");
	/* memory requests: exactly one selector, checked before the VM sees it */
	EXPECT(fd, "{\"execute\": \"memory-unplug\", \"arguments\": {\"node\": 2}}\n",
	       "{\"return\": {\"units\": [1]}}");
	CHECK(last_sel.by == SELECT_NODE && last_sel.node == 2 && last_timeout == 0, "node=2");
	EXPECT(fd, "{\"execute\": \"memory-unplug\", \"arguments\": {\"start\": \"0x80000000\", \"size\": \"128M\", \"timeout-ms\": 500}}\n",
	       "\"units\": [1]");
	CHECK(last_sel.by == SELECT_RANGE && last_sel.start == 0x80000000ULL &&
	      last_sel.size == 128ULL << 20 && last_timeout == 500, "range as strings");
	last_sel.by = SELECT_NODE;
	last_sel.node = 1234;
	EXPECT(fd, "{\"execute\": \"memory-unplug\"}\n", "name the memory by one of node=N");
	EXPECT(fd, "{\"execute\": \"memory-unplug\", \"arguments\": {\"node\": 1, \"unit\": 2}}\n",
	       "\"class\": \"bad-argument\"");
	EXPECT(fd, "{\"execute\": \"memory-unplug\", \"arguments\": {\"start\": 0}}\n",
	       "a range needs both start= and size=");
	EXPECT(fd, "{\"execute\": \"memory-unplug\", \"arguments\": {\"node\": \"two\"}}\n",
	       "arguments.node: expected an unsigned integer");
	EXPECT(fd, "{\"execute\": \"memory-unplug\", \"arguments\": {\"start\": 0, \"size\": \"12Q\"}}\n",
	       "size=12Q:");
	EXPECT(fd, "{\"execute\": \"memory-unplug\", \"arguments\": {\"unit\": 1, \"timeout-ms\": 0}}\n",
	       "timeout-ms=0: from 1 to 86400000");
	EXPECT(fd, "{\"execute\": \"memory-unplug\", \"arguments\": {\"unit\": 1, \"force\": true}}\n",
	       "\"class\": \"bad-argument\"");
	CHECK(last_sel.by == SELECT_NODE && last_sel.node == 1234, "bad requests never reach the VM");
	EXPECT(fd, "{\"execute\": \"memory-unplug\", \"arguments\": {\"unit\": 9}}\n",
	       "{\"error\": {\"class\": \"wrong-state\", \"desc\": \"unit 9 is unplug-requested\"}}");
	EXPECT(fd, "{\"execute\": \"memory-unplug\", \"arguments\": {\"node\": 7}}\n",
	       "{\"error\": {\"class\": \"bad-argument\", \"desc\": \"node 7: no such node\"}}");
	/* what the fake engine has not got */
	EXPECT(fd, "{\"execute\": \"memory-plug\", \"arguments\": {\"node\": 2}}\n",
	       "\"class\": \"unavailable\", \"desc\": \"the fake engine cannot hot-(un)plug memory\"");
	EXPECT(fd, "{\"execute\": \"query-memory\"}\n", "\"class\": \"unavailable\"");
	EXPECT(fd, "{\"execute\": \"query-placement\"}\n", "\"class\": \"unavailable\"");
	client_snapshot(fd);
	client_live_update(fd);
	/* blank lines are no requests; CRLF is a line end */
	EXPECT(fd, "\n\r\n{\"execute\": \"query-status\"}\r\n", "\"running\"");
	/* an oversized request: refused, skipped, and the next one works */
	big = malloc(API_MAX_REQUEST + 100);
	memset(big, ' ', API_MAX_REQUEST + 98);
	memcpy(big, "{\"execute\": \"stop\"", 18);
	big[API_MAX_REQUEST + 98] = '\n';
	big[API_MAX_REQUEST + 99] = '\0';
	EXPECT(fd, big, "\"class\": \"too-large\"");
	free(big);
	EXPECT(fd, "{\"execute\": \"query-status\"}\n", "\"running\"");
	CHECK(vm.stops == 1, "the oversized stop did nothing (%u stops)", vm.stops);
	EXPECT(fd, "{\"execute\": \"query-commands\"}\n", "\"name\": \"cont\"");

	/*
	 * An oversized line whose newline comes a few bytes after the limit,
	 * the next request right behind it: the refusal must not cost the
	 * line end (the error was once formatted over the received bytes),
	 * or the next request is skipped with the rest of the long line.
	 */
	i = client_connect();
	CHECK(get_line(i, buf, sizeof(buf)), "greeting");
	setsockopt(i, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){ .tv_sec = 10 },
		   sizeof(struct timeval));
	big = malloc(API_MAX_REQUEST + 64);
	memset(big, ' ', API_MAX_REQUEST + 5);
	strcpy(big + API_MAX_REQUEST + 5, "\n{\"execute\": \"query-status\"}\n");
	put(i, big);
	free(big);
	CHECK(get_line(i, buf, sizeof(buf)) && strstr(buf, "\"too-large\""), "%s", buf);
	CHECK(get_line(i, buf, sizeof(buf)) && strstr(buf, "\"status\""),
	      "the request after an oversized one: %s", buf);
	close(i);

	/* a client that leaves mid-request costs nothing but itself */
	i = client_connect();
	CHECK(get_line(i, buf, sizeof(buf)), "second greeting");
	put(i, "{\"execute\": \"st");
	close(i);
	EXPECT(fd, "{\"execute\": \"query-status\"}\n", "\"running\"");

	/*
	 * A client that no longer reads: the STOP event its own request sends
	 * cannot reach it, which drops it while that request is still being
	 * answered (and more of its lines wait).  The server must not touch
	 * it after that; ASan (tests-san) sees it if it does.
	 */
	i = client_connect();
	CHECK(get_line(i, buf, sizeof(buf)), "third greeting");
	shutdown(i, SHUT_RD);
	put(i, "{\"execute\": \"stop\"}\n{\"execute\": \"query-status\"}\n");
	EXPECT(fd, "{\"execute\": \"query-status\"}\n", "\"paused\"");
	close(i);
	EXPECT(fd, "{\"execute\": \"cont\"}\n", "{\"return\": {}}");

	/* mirrorvm ctl's client, events arriving before its reply included */
	{
		static char text[4096];
		char *args[] = { "unused=1" };
		struct err e = { "" };
		FILE *f = fmemopen(text, sizeof(text), "w");
		const struct api_ctl_opts text_opts = { .timeout_ms = 5000 };
		const struct api_ctl_opts json_opts = { .raw = true, .timeout_ms = 5000 };

		CHECK(api__ctl(sock_path, "stop", 0, NULL, &text_opts, f, &e) == 0, "stop: %s", e.msg);
		CHECK(api__ctl(sock_path, "query-status", 0, NULL, &text_opts, f, &e) == 0, "%s", e.msg);
		CHECK(api__ctl(sock_path, "cont", 0, NULL, &json_opts, f, &e) == 0, "cont: %s", e.msg);
		CHECK(api__ctl(sock_path, "cont", 1, args, &json_opts, f, &e) != 0 &&
		      strstr(e.msg, "cont: bad-argument:"), "%s", e.msg);
		CHECK(api__ctl(sock_path, "nope", 0, NULL, &text_opts, f, &e) != 0 &&
		      strstr(e.msg, "nope: unknown-command: nope: no such command"), "%s", e.msg);
		fclose(f);
		CHECK(strstr(text, "status: paused\nengine: fake\n") &&
		      strstr(text, "{\"return\": {}, \"id\": 1}\n"), "%s", text);
		CHECK(api__ctl("/nonexistent/sock", "stop", 0, NULL, &text_opts, stdout, &e) != 0 &&
		      strstr(e.msg, "is mirrorvm running with --api-socket"), "%s", e.msg);
	}
	/* at most API_MAX_CLIENTS at once; the next is told and closed */
	for (i = 0; i < API_MAX_CLIENTS; i++)
		fds[i] = -1;
	for (i = 0; i < API_MAX_CLIENTS - 1; i++) {
		fds[i] = client_connect();
		CHECK(fds[i] >= 0 && get_line(fds[i], buf, sizeof(buf)), "client %d", i);
	}
	fds[i] = client_connect();
	CHECK(fds[i] >= 0 && get_line(fds[i], buf, sizeof(buf)) && strstr(buf, "too many clients"),
	      "client over the limit: %s", buf);
	for (i = 0; i < API_MAX_CLIENTS; i++)
		if (fds[i] >= 0)
			close(fds[i]);

	EXPECT(fd, "{\"execute\": \"quit\"}\n", "{\"return\": {}}");
	CHECK(vm.quits == 1, "quit reached the VM");
	close(fd);
	atomic_store(&client_done, true);
	return NULL;
}

static void test_protocol(void)
{
	struct api_server *srv;
	struct err e = { "" };
	struct stat st;
	pthread_t th;

	loop = event_loop__create(&e);
	CHECK(loop, "%s", e.msg);
	srv = api__listen(sock_path, -1, loop, &fake_ctl, &e);
	CHECK(srv, "%s", e.msg);
	if (!srv)
		return;
	CHECK(stat(sock_path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600,
	      "socket mode %o", st.st_mode & 0777);
	pthread_create(&th, NULL, client, NULL);
	/* serve until the client thread is done */
	while (!atomic_load(&client_done))
		event_loop__run_once(loop, 100);
	pthread_join(th, NULL);
	api__close(srv);
	CHECK(access(sock_path, F_OK) != 0, "the socket is removed on close");
	event_loop__destroy(loop);
}

static void test_socket_file_rules(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct api_server *srv;
	struct err e = { "" };
	int fd;

	loop = event_loop__create(&e);
	/* a regular file is the user's: never replaced */
	close(creat(sock_path, 0600));
	srv = api__listen(sock_path, -1, loop, &fake_ctl, &e);
	CHECK(!srv && strstr(e.msg, "is not a socket"), "%s", e.msg);
	unlink(sock_path);
	/* a socket something listens on: in use */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, sock_path);
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 1) == 0, "bind");
	srv = api__listen(sock_path, -1, loop, &fake_ctl, &e);
	CHECK(!srv && strstr(e.msg, "another process is listening"), "%s", e.msg);
	/* the same socket, stale: replaced */
	close(fd);
	srv = api__listen(sock_path, -1, loop, &fake_ctl, &e);
	CHECK(srv, "stale socket not replaced: %s", e.msg);
	api__close(srv);
	srv = api__listen("", -1, loop, &fake_ctl, &e);
	CHECK(!srv && strstr(e.msg, "a socket path is 1 to"), "%s", e.msg);
	event_loop__destroy(loop);
}

/*
 * mirrorvm ctl --wait against a scripted server: the reply names the units,
 * then events arrive, some about other units or other operations, which
 * --wait must not count.  Each script ends with the lines a real server
 * would send; the client must stop by itself on the last outcome.
 */
struct script {
	int listen_fd;
	const char *greeting;	/* NULL: a minimal one */
	const char *lines;	/* sent after the request, '\n'-separated */
	char request[512];
};

static void *script_server(void *arg)
{
	struct script *sc = arg;
	int fd = accept(sc->listen_fd, NULL, NULL);
	ssize_t n = 0, r;

	if (fd < 0)
		return NULL;
	put(fd, sc->greeting ? sc->greeting : "{\"greeting\": {\"version\": 1}}\n");
	while (n < (ssize_t)sizeof(sc->request) - 1 && !memchr(sc->request, '\n', n)) {
		r = read(fd, sc->request + n, sizeof(sc->request) - 1 - n);
		if (r <= 0)
			break;
		n += r;
	}
	sc->request[n] = '\0';
	put(fd, sc->lines);
	/* keep the connection open: the client must not wait for EOF */
	while (read(fd, sc->request + n, 1) > 0)
		;
	close(fd);
	return NULL;
}

/* mirrorvm ctl SOCKET @cmd @args... against the scripted server @sc; its output into @text */
static int run_script(struct script *sc, const struct api_ctl_opts *opts, const char *cmd,
		      int argc, char **args, char *text, size_t len, struct err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pthread_t th;
	FILE *f;
	int rc;

	unlink(sock_path);
	sc->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, sock_path);
	if (bind(sc->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(sc->listen_fd, 1))
		return -99;
	pthread_create(&th, NULL, script_server, sc);
	f = fmemopen(text, len, "w");
	rc = api__ctl(sock_path, cmd, argc, args, opts, f, e);
	fclose(f);
	shutdown(sc->listen_fd, SHUT_RDWR);
	close(sc->listen_fd);
	pthread_cancel(th);
	pthread_join(th, NULL);
	unlink(sock_path);
	return rc;
}

static int run_wait(const char *cmd, const char *lines, char *text, size_t len, struct err *e)
{
	const struct api_ctl_opts opts = { .wait = true, .timeout_ms = 5000 };
	struct script sc = { .lines = lines };
	char *args[] = { "node=2" };
	int rc = run_script(&sc, &opts, cmd, 1, args, text, len, e);

	CHECK(strstr(sc.request, "\"execute\": \"") && strstr(sc.request, "\"node\": 2"),
	      "request %s", sc.request);
	return rc;
}

#define EV(name, data) "{\"event\": \"" name "\", \"data\": {" data "}, \"timestamp\": 1}\n"
#define UNIT(u) "\"unit\": " #u ", \"node\": 2, \"start\": 4294967296, \"size\": 134217728"

static void test_ctl_wait(void)
{
	static char text[4096];
	struct err e = { "" };
	int rc;

	/* both units done; events for unit 7 and a plug of unit 3 are not ours */
	rc = run_wait("memory-unplug",
		      "{\"return\": {\"units\": [3, 4]}, \"id\": 1}\n"
		      EV("ACPI_DEVICE_OST", UNIT(3) ", \"event\": 259, \"status\": 0")
		      EV("MEMORY_UNIT_UNPLUGGED", UNIT(7) ", \"ms\": 1, \"ejected_ms\": 1, \"freed_bytes\": 1")
		      EV("MEMORY_OP_FAILED", UNIT(3) ", \"op\": \"plug\", \"reason\": \"host-error\", \"desc\": \"x\"")
		      EV("MEMORY_UNIT_UNPLUGGED", UNIT(3) ", \"ms\": 900, \"ejected_ms\": 800, \"freed_bytes\": 134217728")
		      EV("MEMORY_UNIT_UNPLUGGED", UNIT(4) ", \"ms\": 950, \"ejected_ms\": 850, \"freed_bytes\": 134217728"),
		      text, sizeof(text), &e);
	CHECK(rc == 0, "rc %d: %s", rc, e.msg);
	CHECK(strstr(text, "unit 3 (node 2, 0x100000000-0x108000000): guest _OST(0x103, 0x0)") &&
	      strstr(text, "unit 3 (node 2, 0x100000000-0x108000000): unplugged in 900 ms (ejected after 800 ms), 128M of host memory released") &&
	      strstr(text, "unit 4 (node 2,") && !strstr(text, "unit 7") && !strstr(text, "host-error"),
	      "%s", text);

	/* one unit refused by the guest: an error naming it */
	rc = run_wait("memory-unplug",
		      "{\"return\": {\"units\": [3, 4]}, \"id\": 1}\n"
		      EV("MEMORY_UNIT_UNPLUGGED", UNIT(3) ", \"ms\": 900, \"ejected_ms\": 800, \"freed_bytes\": 134217728")
		      EV("MEMORY_OP_FAILED", UNIT(4) ", \"op\": \"unplug\", \"reason\": \"guest-busy\", \"desc\": \"_OST 0x82\""),
		      text, sizeof(text), &e);
	CHECK(rc != 0 && rc != -ETIME && strstr(e.msg, "memory-unplug: unit 4 (node 2,") &&
	      strstr(e.msg, "guest-busy: _OST 0x82"), "rc %d: %s", rc, e.msg);

	/* the server's timeout: its own exit status (2) */
	rc = run_wait("memory-plug",
		      "{\"return\": {\"units\": [3]}, \"id\": 1}\n"
		      EV("MEMORY_OP_TIMEOUT", UNIT(3) ", \"op\": \"plug\", \"ms\": 120000, \"state\": \"plugging\""),
		      text, sizeof(text), &e);
	CHECK(rc == -ETIME && strstr(e.msg, "timed out on the server"), "rc %d: %s", rc, e.msg);
	CHECK(strstr(text, "unit 3 (node 2, 0x100000000-0x108000000): plug not done after 120000 ms (plugging;"),
	      "%s", text);

	/* nothing to wait for: an error reply ends it at once */
	rc = run_wait("memory-plug",
		      "{\"error\": {\"class\": \"wrong-state\", \"desc\": \"unit 3 is plugged\"}, \"id\": 1}\n",
		      text, sizeof(text), &e);
	CHECK(rc != 0 && strstr(e.msg, "memory-plug: wrong-state: unit 3 is plugged"), "rc %d: %s", rc, e.msg);

	/* --wait on a command without an outcome is refused before connecting */
	{
		const struct api_ctl_opts opts = { .wait = true, .timeout_ms = 100 };

		rc = api__ctl("/nonexistent/sock", "stop", 0, NULL, &opts, stdout, &e);
		CHECK(rc != 0 && strstr(e.msg, "--wait: only memory-unplug and memory-plug"), "%s", e.msg);
	}
}

/* mirrorvm ctl SOCKET snapshot ARGS... against a scripted server greeting with @greeting */
static int run_snapshot(const char *greeting, int argc, char **args, char *request, size_t len,
			struct err *e)
{
	const struct api_ctl_opts opts = { .timeout_ms = 5000 };
	struct script sc = { .greeting = greeting, .lines = "{\"return\": {\"status\": \"running\"}, \"id\": 1}\n" };
	char text[256];
	int rc = run_script(&sc, &opts, "snapshot", argc, args, text, sizeof(text), e);

	snprintf(request, len, "%s", sc.request);
	return rc;
}

/*
 * How many memory files ctl makes: what the server's greeting says it
 * takes ("snapshot-parts"), and one, without a "parts" argument, for a
 * mirrorvm from before memory parts, whose snapshot takes no such argument.
 */
static void test_ctl_snapshot_parts(void)
{
	char dir[96], path[160], request[512], *args[2];
	struct err e = { "" };
	struct stat st;
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/mirrorvm-test-api-snap-%d", getpid());
	args[0] = dir;
	rc = run_snapshot("{\"greeting\": {\"name\": \"mirrorvm\", \"version\": \"0.1\", \"engine\": \"kvm\"}}\n",
			  1, args, request, sizeof(request), &e);
	snprintf(path, sizeof(path), "%s/memory.1", dir);
	CHECK(rc == 0 && strstr(request, "\"path\": ") && !strstr(request, "parts") &&
	      stat(path, &st) && errno == ENOENT, "old server: rc %d %s; request %s", rc, e.msg, request);
	snprintf(path, sizeof(path), "%s/memory", dir);
	CHECK(!stat(path, &st), "old server: %s made", path);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state", dir);
	unlink(path);
	rmdir(dir);

	args[1] = "parts=2";
	rc = run_snapshot("{\"greeting\": {\"name\": \"mirrorvm\", \"version\": \"0.1\", \"engine\": \"kvm\"}}\n",
			  2, args, request, sizeof(request), &e);
	CHECK(rc != 0 && strstr(e.msg, "parts=2: the mirrorvm at") &&
	      strstr(e.msg, "(version 0.1) takes at most 1 memory part") && stat(dir, &st),
	      "old server, parts=2: rc %d %s", rc, e.msg);

	rc = run_snapshot("{\"greeting\": {\"name\": \"mirrorvm\", \"version\": \"0.2\", \"engine\": \"kvm\", \"snapshot-parts\": 3}}\n",
			  2, args, request, sizeof(request), &e);
	snprintf(path, sizeof(path), "%s/memory.1", dir);
	CHECK(rc == 0 && strstr(request, "\"parts\": 2") && !stat(path, &st),
	      "server taking 3, parts=2: rc %d %s; request %s", rc, e.msg, request);
	unlink(path);
	snprintf(path, sizeof(path), "%s/memory", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	snprintf(sock_path, sizeof(sock_path), "/tmp/mirrorvm-test-api-%d.sock", getpid());
	RUN(test_protocol);
	RUN(test_socket_file_rules);
	RUN(test_ctl_wait);
	RUN(test_ctl_snapshot_parts);
	unlink(sock_path);
	UNIT_DONE();
}
