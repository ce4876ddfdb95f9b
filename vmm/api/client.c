// SPDX-License-Identifier: GPL-2.0
/*
 * "mirrorvm ctl SOCKET COMMAND [KEY=VALUE...]": one request to a running
 * mirrorvm's control socket, its reply printed as readable text (or, with
 * --json, as the JSON line it was).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "host.h"
#include "snapshot.h"

#define CTL_DEFAULT_TIMEOUT_MS	30000

static void ctl_usage(FILE *out)
{
	fputs("usage: mirrorvm ctl [--json] [--wait] [--timeout SECONDS] SOCKET COMMAND [KEY=VALUE...]\n"
	      "\n"
	      "Sends COMMAND with its arguments to the control socket of a mirrorvm\n"
	      "started with --api-socket SOCKET and prints the reply.  A VALUE that is a\n"
	      "number (decimal or 0x hex) or true/false is sent as one, anything else as\n"
	      "a string.  \"mirrorvm ctl SOCKET query-commands\" lists the commands;\n"
	      "mirrorvm(1) documents them.\n"
	      "\n"
	      "  --json      print the reply (and events) as the JSON lines they were\n"
	      "  --wait      memory-unplug, memory-plug: wait until every unit is done,\n"
	      "              printing the events about them\n"
	      "  --timeout   seconds to wait (default 30, with --wait: as long as the\n"
	      "              server's timeout-ms lets the operation run)\n"
	      "\n"
	      "live-update NAME opens /dev/pram and a memfd for the guest's state and\n"
	      "passes them with the request; mirrorvm preserves the paused guest there\n"
	      "and exits, mirrorvm kexec replaces the host kernel, mirrorvm run\n"
	      "--live-restore NAME resumes the guest.\n"
	      "\n"
	      "snapshot DIR [paused=true] [parts=N] creates DIR (0700, or an existing\n"
	      "empty one) with the files \"state\" and the N memory parts \"memory\",\n"
	      "\"memory.1\", ... (1 to 8, default: this host's CPUs, at most 8; a save\n"
	      "writes each on a thread of its own) and passes them with the request;\n"
	      "mirrorvm run --restore DIR resumes the guest.  A failed snapshot leaves no\n"
	      "files.\n"
	      "\n"
	      "Exit status: 0 on success; 1 when the command or a unit's operation\n"
	      "failed or the socket could not be reached; 2 when an operation timed out\n"
	      "on the server (the guest may still complete it).\n", out);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Reads one line into @buf (NUL-terminated, without '\n'): 0, or -errno. */
static int read_line(int fd, char *buf, size_t cap, size_t *have, long long deadline)
{
	for (;;) {
		char *nl = memchr(buf, '\n', *have);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = -1;	/* LLONG_MAX: no deadline */
		ssize_t n;

		if (nl)
			return 0;
		if (*have + 1 >= cap)
			return -EMSGSIZE;
		if (deadline != LLONG_MAX) {
			left = deadline - now_ms();
			if (left <= 0)
				return -ETIMEDOUT;
		}
		if (poll(&p, 1, (int)MIN(left, (long long)INT_MAX)) == 0)
			return -ETIMEDOUT;
		n = recv(fd, buf + *have, cap - 1 - *have, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -ECONNRESET;
		*have += n;
	}
}

static void shift_line(char *buf, size_t *have)
{
	char *nl = memchr(buf, '\n', *have);
	size_t used = nl - buf + 1;

	memmove(buf, nl + 1, *have - used);
	*have -= used;
}

/* KEY=VALUE arguments as a JSON object. */
static int write_args(struct json_writer *w, int argc, char *const *argv, struct err *e)
{
	int i;

	json_object_begin(w);
	for (i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		char *end;
		unsigned long long v;

		char key[256];

		if (!eq || eq == argv[i] || (size_t)(eq - argv[i]) >= sizeof(key))
			return err_set(e, "'%s': arguments are KEY=VALUE", argv[i]);
		memcpy(key, argv[i], eq - argv[i]);
		key[eq - argv[i]] = '\0';
		json_key(w, key);
		errno = 0;
		v = strtoull(eq + 1, &end, 0);
		if (eq[1] && eq[1] != '-' && eq[1] != '+' && !*end && !errno)
			json_u64(w, v);
		else if (!strcmp(eq + 1, "true") || !strcmp(eq + 1, "false"))
			json_bool(w, eq[1] == 't');
		else
			json_string(w, eq + 1);
	}
	json_object_end(w);
	return 0;
}

/* A reply's value as indented "key: value" lines. */
static void print_value(FILE *out, const struct json_value *v, int depth)
{
	const struct json_value *k;

	switch (v->type) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		if (depth >= 0)
			fputc('\n', out);
		json_for_each(k, v) {
			fprintf(out, "%*s", 2 * (depth + 1), "");
			if (v->type == JSON_OBJECT)
				fprintf(out, "%s:", k->key);
			else
				fprintf(out, "-");
			if (k->type != JSON_OBJECT && k->type != JSON_ARRAY)
				fputc(' ', out);
			print_value(out, k, depth + 1);
		}
		return;
	case JSON_STRING:
		fprintf(out, "%s\n", v->u.str.s);
		return;
	case JSON_INT:
		if (v->u.i.neg)
			fprintf(out, "-%llu\n", (unsigned long long)v->u.i.mag);
		else
			fprintf(out, "%llu\n", (unsigned long long)v->u.i.mag);
		return;
	case JSON_BOOL:
		fprintf(out, "%s\n", v->u.b ? "true" : "false");
		return;
	default:
		fprintf(out, "null\n");
	}
}

/* What --wait has learned of each unit of the request. */
enum unit_outcome { UNIT_WAITING, UNIT_DONE, UNIT_FAILED, UNIT_TIMED_OUT, UNIT_IGNORED };

struct ctl_wait {
	const char *cmd;
	enum unit_outcome unit[1024];	/* more than any layout's MAX_UNITS */
	unsigned int waiting;
	bool failed, timed_out;
	char first_failure[400];
};

static u64 member_u64(const struct json_value *obj, const char *key)
{
	u64 v = 0;

	json_get_u64(obj, key, &v, NULL);
	return v;
}

static const char *member_str(const struct json_value *obj, const char *key)
{
	const char *v = "?";

	json_get_string(obj, key, &v, NULL);
	return v;
}

/* The "units" of a memory-unplug/memory-plug reply become what we wait for. */
static void wait_begin(struct ctl_wait *wt, const struct json_value *ret)
{
	const struct json_value *units, *u;
	u64 i;

	for (i = 0; i < ARRAY_SIZE(wt->unit); i++)
		wt->unit[i] = UNIT_IGNORED;
	if (json_get_array(ret, "units", &units, NULL))
		return;
	json_for_each(u, units) {
		if (!json_as_u64(u, &i, NULL) && i < ARRAY_SIZE(wt->unit) &&
		    wt->unit[i] == UNIT_IGNORED) {
			wt->unit[i] = UNIT_WAITING;
			wt->waiting++;
		}
	}
}

/* One event while waiting: printed when it is about our units. */
static void wait_event(struct ctl_wait *wt, const char *name, const struct json_value *data,
		       const char *line, size_t len, bool raw, FILE *out)
{
	bool unplug = !strcmp(wt->cmd, "memory-unplug");
	u64 unit = member_u64(data, "unit");
	enum unit_outcome to = UNIT_WAITING;
	char what[64], sz[32];

	if (!data || unit >= ARRAY_SIZE(wt->unit) || wt->unit[unit] != UNIT_WAITING)
		return;
	snprintf(what, sizeof(what), "unit %llu (node %llu, 0x%llx-0x%llx)",
		 (unsigned long long)unit, (unsigned long long)member_u64(data, "node"),
		 (unsigned long long)member_u64(data, "start"),
		 (unsigned long long)(member_u64(data, "start") + member_u64(data, "size")));
	if (raw)
		fprintf(out, "%.*s\n", (int)len, line);
	if (!strcmp(name, "ACPI_DEVICE_OST")) {
		if (!raw)
			fprintf(out, "%s: guest _OST(0x%llx, 0x%llx)\n", what,
				(unsigned long long)member_u64(data, "event"),
				(unsigned long long)member_u64(data, "status"));
	} else if (!strcmp(name, unplug ? "MEMORY_UNIT_UNPLUGGED" : "MEMORY_UNIT_PLUGGED")) {
		to = UNIT_DONE;
		if (!raw && unplug)
			fprintf(out, "%s: unplugged in %llu ms (ejected after %llu ms), %s of host memory released\n",
				what, (unsigned long long)member_u64(data, "ms"),
				(unsigned long long)member_u64(data, "ejected_ms"),
				fmt_size(member_u64(data, "freed_bytes"), sz));
		else if (!raw)
			fprintf(out, "%s: plugged in %llu ms\n", what,
				(unsigned long long)member_u64(data, "ms"));
	} else if (!strcmp(name, "MEMORY_OP_FAILED") &&
		   !strcmp(member_str(data, "op"), unplug ? "unplug" : "plug")) {
		to = UNIT_FAILED;
		if (!raw)
			fprintf(out, "%s: %s failed: %s: %s\n", what, member_str(data, "op"),
				member_str(data, "reason"), member_str(data, "desc"));
		if (!wt->failed)
			snprintf(wt->first_failure, sizeof(wt->first_failure), "%s: %s: %s", what,
				 member_str(data, "reason"), member_str(data, "desc"));
		wt->failed = true;
	} else if (!strcmp(name, "MEMORY_OP_TIMEOUT")) {
		to = UNIT_TIMED_OUT;
		if (!raw)
			fprintf(out, "%s: %s not done after %llu ms (%s; the guest may still complete it)\n",
				what, member_str(data, "op"), (unsigned long long)member_u64(data, "ms"),
				member_str(data, "state"));
		wt->timed_out = true;
	}
	if (to != UNIT_WAITING) {
		wt->unit[unit] = to;
		wt->waiting--;
	}
}

/*
 * "snapshot DIR": the files a snapshot goes into, made here (mkdir DIR,
 * DIR/state and the memory parts DIR/memory, DIR/memory.1, ...,
 * owner-only, never over existing ones) and passed with the request, as a
 * running mirrorvm may create none.
 */
struct snapshot_files {
	const char *dir;
	unsigned int parts;		/* memory parts: the files are 1 + parts */
	char path[1 + SNAPSHOT_MAX_PARTS][PATH_MAX];
	int fd[1 + SNAPSHOT_MAX_PARTS];
	bool made_dir;
};

static int snapshot_files_make(struct snapshot_files *sf, struct err *e)
{
	unsigned int i;

	if (!mkdir(sf->dir, 0700))
		sf->made_dir = true;
	else if (errno != EEXIST)
		return err_set(e, "snapshot %s: %s", sf->dir, strerror(errno));
	for (i = 0; i < 1 + sf->parts; i++) {
		char name[32];

		if (i)
			snapshot__part_name(name, sizeof(name), i - 1);
		else
			snprintf(name, sizeof(name), "%s", SNAPSHOT_STATE);
		if ((size_t)snprintf(sf->path[i], sizeof(sf->path[i]), "%s/%s", sf->dir, name) >=
		    sizeof(sf->path[i]))
			return err_set(e, "snapshot %s: path too long", sf->dir);
		sf->fd[i] = open(sf->path[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (sf->fd[i] < 0)
			return err_set(e, "snapshot %s: %s", sf->path[i], strerror(errno));
	}
	return 0;
}

/* Closes the files; a failed snapshot leaves nothing behind. */
static void snapshot_files_done(struct snapshot_files *sf, bool keep)
{
	unsigned int i;

	for (i = 0; i < 1 + sf->parts; i++) {
		if (sf->fd[i] < 0)
			continue;
		close(sf->fd[i]);
		if (!keep)
			unlink(sf->path[i]);
	}
	if (!keep && sf->made_dir)
		rmdir(sf->dir);
}

/*
 * "parts=N" of a snapshot request, or as many memory parts as this host
 * has CPUs (a save writes each part on a thread of its own), at most
 * SNAPSHOT_MAX_PARTS; snapshot_parts_agree() then holds it to what the
 * server takes.
 */
static int snapshot_parts(const char *arg, unsigned int *parts, struct err *e)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char *end;
	unsigned long v;

	if (!arg) {
		*parts = MIN((unsigned int)MAX(cpus, 1L), SNAPSHOT_MAX_PARTS);
		return 0;
	}
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || !isdigit((unsigned char)*arg) || !v ||
	    v > SNAPSHOT_MAX_PARTS)
		return err_set(e, "snapshot: parts=%s: expected 1 to %u memory parts", arg,
			       SNAPSHOT_MAX_PARTS);
	*parts = v;
	return 0;
}

/*
 * The most memory parts the server at @path takes, from its greeting
 * (the first @len bytes of @greeting): "snapshot-parts", or 1 from a
 * mirrorvm that wrote one memory file.  A default *@parts comes down to
 * it; a parts=N (@given) above it is refused.
 */
static int snapshot_parts_agree(const char *greeting, size_t len, const char *given,
				unsigned int *parts, const char *path, struct err *e)
{
	static const struct json_limits lim = { .max_bytes = 4096, .max_depth = 4, .max_nodes = 64 };
	const struct json_value *g;
	const char *version = "?";
	struct json_doc *doc;
	u64 most = 1;
	int ret = 0;

	len = (const char *)memchr(greeting, '\n', len) - greeting;
	if (json_parse(greeting, len, &lim, &doc, NULL, e))
		return err_set(e, "%s: a greeting that is not JSON", path);
	g = json_get(json_root(doc), "greeting");
	if (g && json_get(g, "version"))
		json_get_string(g, "version", &version, NULL);
	if (g && json_get(g, "snapshot-parts") && json_get_u64(g, "snapshot-parts", &most, NULL))
		most = 1;
	if (given && *parts > most)
		ret = err_set(e, "snapshot: parts=%s: the mirrorvm at %s (version %s) takes at most %llu memory part%s",
			      given, path, version, (unsigned long long)most, most == 1 ? "" : "s");
	else
		*parts = MIN(*parts, (unsigned int)MAX(most, 1ULL));
	json_doc_free(doc);
	return ret;
}

/* The request line of @cmd and its @argc KEY=VALUE arguments into @w. */
static int build_request(struct json_writer *w, const char *cmd, int argc, char **argv,
			 struct err *e)
{
	json_writer_init(w, 0);
	json_object_begin(w);
	json_kv_string(w, "execute", cmd);
	if (argc) {
		json_key(w, "arguments");
		if (write_args(w, argc, argv, e))
			return -EINVAL;
	}
	json_kv_u64(w, "id", 1);
	json_object_end(w);
	return json_writer_finish(w, e);
}

/*
 * "live-update NAME": /dev/pram and a memfd for the state, opened here and
 * passed with the request, as a running mirrorvm may open neither.
 */
static int live_update_files(int fds[2], struct err *e)
{
	fds[0] = pram__open(e);
	if (fds[0] < 0)
		return fds[0];
	fds[1] = memfd_create("mirrorvm-live-state", MFD_CLOEXEC);
	if (fds[1] < 0)
		return err_set(e, "memfd_create: %s", strerror(errno));
	return 0;
}

/* send() with descriptors attached (SCM_RIGHTS). */
static ssize_t send_with_fds(int sock, const void *buf, size_t len, const int *fds, unsigned int n)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE((1 + SNAPSHOT_MAX_PARTS) * sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (n) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL);
}

int api__ctl(const char *path, const char *cmd, int argc, char **argv,
	     const struct api_ctl_opts *opts, FILE *out, struct err *e)
{
	static const struct json_limits lim = {
		.max_bytes = 16 << 20, .max_depth = 32, .max_nodes = 1 << 20,
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long long deadline = opts->timeout_ms ? now_ms() + opts->timeout_ms : LLONG_MAX;
	size_t have = 0, cap = 16 << 20;
	const struct json_value *ret, *err;
	struct snapshot_files sf = { .parts = 0 };
	bool snapshot = !strcmp(cmd, "snapshot"), live = !strcmp(cmd, "live-update");
	char *snap_argv[64], path_arg[PATH_MAX + 8], parts_arg[24];
	const char *parts_given = NULL;
	int live_fds[2] = { -1, -1 };
	struct ctl_wait *wt = NULL;
	bool replied = false;
	struct json_writer w;
	struct json_doc *doc;
	char *buf = NULL;
	int fd = -1, rc, i;

	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set(e, "%s: socket path too long", path);
	if (opts->wait && strcmp(cmd, "memory-unplug") && strcmp(cmd, "memory-plug"))
		return err_set(e, "--wait: only memory-unplug and memory-plug have an outcome to wait for");
	if (snapshot) {
		/* DIR, or path=DIR, becomes "path"; the files go with the request */
		int n = 0;

		for (i = 0; i < (int)ARRAY_SIZE(sf.fd); i++)
			sf.fd[i] = -1;
		/* room for path= and parts= */
		for (i = 0; i < argc && n < (int)ARRAY_SIZE(snap_argv) - 2; i++) {
			if (!strchr(argv[i], '=') && !sf.dir)
				sf.dir = argv[i];
			else if (!strncmp(argv[i], "path=", 5) && !sf.dir)
				sf.dir = argv[i] + 5;
			else if (!strncmp(argv[i], "parts=", 6))
				parts_given = argv[i] + 6;
			else
				snap_argv[n++] = argv[i];
		}
		if (!sf.dir || !*sf.dir)
			return err_set(e, "snapshot: which directory? (mirrorvm ctl SOCKET snapshot DIR [paused=true] [parts=N])");
		if (snapshot_parts(parts_given, &sf.parts, e))
			return -EINVAL;
		snprintf(path_arg, sizeof(path_arg), "path=%s", sf.dir);
		snap_argv[n++] = path_arg;
		argv = snap_argv;
		argc = n;
	}
	if (live && argc == 1 && !strchr(argv[0], '=')) {
		/* NAME becomes "name" */
		snprintf(path_arg, sizeof(path_arg), "name=%s", argv[0]);
		snap_argv[0] = path_arg;
		argv = snap_argv;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* built now to refuse a bad argument before connecting; a snapshot's again below */
	rc = build_request(&w, cmd, argc, argv, e);
	if (rc)
		goto out;
	buf = malloc(cap);
	if (opts->wait)
		wt = calloc(1, sizeof(*wt));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!buf || fd < 0 || (opts->wait && !wt)) {
		rc = err_set(e, "%s", fd < 0 ? strerror(errno) : "out of memory");
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = err_set(e, "%s: %s (is mirrorvm running with --api-socket %s?)", path,
			     strerror(errno), path);
		goto out;
	}
	/* the greeting first (or why there is none: too many clients) */
	rc = read_line(fd, buf, cap, &have, deadline);
	if (!rc && !memcmp(buf, "{\"error\"", 9)) {
		rc = err_set(e, "%s: %.*s", path, (int)((char *)memchr(buf, '\n', have) - buf), buf);
		goto out;
	}
	if (!rc && snapshot && snapshot_parts_agree(buf, have, parts_given, &sf.parts, path, e))
		rc = -EINVAL;
	if (!rc && snapshot && sf.parts > 1) {
		/* "parts" only when more than one: a mirrorvm before parts takes no such argument */
		snprintf(parts_arg, sizeof(parts_arg), "parts=%u", sf.parts);
		argv[argc++] = parts_arg;
		json_writer_free(&w);
		rc = build_request(&w, cmd, argc, argv, e);
	}
	if (!rc && snapshot && snapshot_files_make(&sf, e))
		rc = -EINVAL;
	if (!rc && live && live_update_files(live_fds, e))
		rc = -EINVAL;
	if (!rc) {
		shift_line(buf, &have);
		if (send_with_fds(fd, w.buf, w.len, live ? live_fds : sf.fd,
				  live ? 2 : snapshot ? 1 + sf.parts : 0) != (ssize_t)w.len)
			rc = -errno;
	}
	while (!rc) {
		const struct json_value *ev, *data;
		size_t len;

		rc = read_line(fd, buf, cap, &have, deadline);
		if (rc)
			break;
		len = (char *)memchr(buf, '\n', have) - buf;
		if (json_parse(buf, len, &lim, &doc, NULL, e)) {
			rc = -EPROTO;
			break;
		}
		ret = json_get(json_root(doc), "return");
		err = json_get(json_root(doc), "error");
		ev = json_get(json_root(doc), "event");
		if (!ret && !err) {
			/* an event: before the reply not ours, after it maybe */
			if (replied && ev && ev->type == JSON_STRING &&
			    !json_get_object(json_root(doc), "data", &data, NULL))
				wait_event(wt, ev->u.str.s, data, buf, len, opts->raw, out);
			json_doc_free(doc);
			shift_line(buf, &have);
			if (replied && !wt->waiting)
				break;
			continue;
		}
		if (replied) {		/* no second reply to one request */
			json_doc_free(doc);
			shift_line(buf, &have);
			continue;
		}
		if (opts->raw)
			fprintf(out, "%.*s\n", (int)len, buf);
		if (err) {
			const char *cls = "?", *desc = "?";

			json_get_string(err, "class", &cls, NULL);
			json_get_string(err, "desc", &desc, NULL);
			rc = err_set(e, "%s: %s: %s", cmd, cls, desc);
		} else if (!opts->raw) {
			print_value(out, ret, -1);
		}
		if (!err && wt) {
			wt->cmd = cmd;
			wait_begin(wt, ret);
			replied = wt->waiting > 0;
			fflush(out);
		}
		json_doc_free(doc);
		shift_line(buf, &have);
		if (!replied)
			break;
	}
	if (!rc && wt && wt->failed)
		rc = err_set(e, "%s: %s", cmd, wt->first_failure);
	else if (!rc && wt && wt->timed_out) {
		err_set(e, "%s: timed out on the server; the guest may still complete it", cmd);
		rc = -ETIME;
	} else if (rc == -ETIMEDOUT)
		err_set(e, "%s: no %s within %d s", path, replied ? "outcome" : "reply",
			opts->timeout_ms / 1000);
	else if (rc == -ECONNRESET)
		err_set(e, "%s: mirrorvm closed the connection", path);
	else if (rc && rc != -EINVAL && rc != -EPROTO)
		err_set(e, "%s: %s", path, strerror(-rc));
out:
	if (snapshot)
		snapshot_files_done(&sf, !rc);
	for (i = 0; i < 2; i++)
		if (live_fds[i] >= 0)
			close(live_fds[i]);
	if (fd >= 0)
		close(fd);
	free(buf);
	free(wt);
	json_writer_free(&w);
	return rc;
}

int cmd_ctl(int argc, char **argv)
{
	struct api_ctl_opts opts = { .timeout_ms = -1 };
	char *pos[256];
	struct err e = { "" };
	int i, n = 0, ret;

	/* flags anywhere: "ctl SOCK memory-unplug node=2 --wait" reads naturally */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			opts.raw = true;
		} else if (!strcmp(argv[i], "--wait")) {
			opts.wait = true;
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			char *end;
			long s = strtol(argv[++i], &end, 10);

			if (*end || s <= 0 || s > 86400) {
				fprintf(stderr, "mirrorvm: ctl: --timeout %s: expected 1 to 86400 seconds\n",
					argv[i]);
				return 1;
			}
			opts.timeout_ms = s * 1000;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			ctl_usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			fprintf(stderr, "mirrorvm: ctl: %s: unknown flag\n", argv[i]);
			ctl_usage(stderr);
			return 1;
		} else if (n < (int)ARRAY_SIZE(pos)) {
			pos[n++] = argv[i];
		} else {
			fprintf(stderr, "mirrorvm: ctl: more than %zu arguments\n", ARRAY_SIZE(pos));
			return 1;
		}
	}
	if (n < 2) {
		ctl_usage(stderr);
		return 1;
	}
	/* --wait waits as long as the server lets the operation run */
	if (opts.timeout_ms < 0)
		opts.timeout_ms = opts.wait ? 0 : CTL_DEFAULT_TIMEOUT_MS;
	ret = api__ctl(pos[0], pos[1], n - 2, pos + 2, &opts, stdout, &e);
	if (ret) {
		fflush(stdout);
		fprintf(stderr, "mirrorvm: ctl: %s\n", e.msg);
		return ret == -ETIME ? 2 : 1;
	}
	return fflush(stdout) ? 1 : 0;
}
