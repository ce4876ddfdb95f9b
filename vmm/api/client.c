// SPDX-License-Identifier: GPL-2.0
/*
 * "mirrorvm ctl SOCKET COMMAND [KEY=VALUE...]": one request to a running
 * mirrorvm's control socket, its reply printed as readable text (or, with
 * --json, as the JSON line it was).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api.h"

#define CTL_DEFAULT_TIMEOUT_MS	30000

static void ctl_usage(FILE *out)
{
	fputs("usage: mirrorvm ctl [--json] [--timeout SECONDS] SOCKET COMMAND [KEY=VALUE...]\n"
	      "\n"
	      "Sends COMMAND with its arguments to the control socket of a mirrorvm\n"
	      "started with --api-socket SOCKET and prints the reply.  A VALUE that is a\n"
	      "number (decimal or 0x hex) or true/false is sent as one, anything else as\n"
	      "a string.  \"mirrorvm ctl SOCKET query-commands\" lists the commands;\n"
	      "mirrorvm(1) documents them.  Exit status: 0 on success, 1 when the\n"
	      "command failed or the socket could not be reached.\n", out);
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
		long long left = deadline - now_ms();
		ssize_t n;

		if (nl)
			return 0;
		if (*have + 1 >= cap)
			return -EMSGSIZE;
		if (left <= 0 || poll(&p, 1, (int)left) == 0)
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

int api__ctl(const char *path, const char *cmd, int argc, char **argv, bool raw,
	     int timeout_ms, FILE *out, struct err *e)
{
	static const struct json_limits lim = {
		.max_bytes = 16 << 20, .max_depth = 32, .max_nodes = 1 << 20,
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long long deadline = now_ms() + timeout_ms;
	size_t have = 0, cap = 16 << 20;
	const struct json_value *ret, *err, *id;
	struct json_writer w;
	struct json_doc *doc;
	char *buf = NULL;
	int fd = -1, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set(e, "%s: socket path too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	json_writer_init(&w, 0);
	json_object_begin(&w);
	json_kv_string(&w, "execute", cmd);
	if (argc) {
		json_key(&w, "arguments");
		if (write_args(&w, argc, argv, e)) {
			json_writer_free(&w);
			return -EINVAL;
		}
	}
	json_kv_u64(&w, "id", 1);
	json_object_end(&w);
	rc = json_writer_finish(&w, e);
	if (rc)
		goto out;
	buf = malloc(cap);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!buf || fd < 0) {
		rc = err_set(e, "%s", buf ? strerror(errno) : "out of memory");
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
	if (!rc) {
		shift_line(buf, &have);
		if (send(fd, w.buf, w.len, MSG_NOSIGNAL) != (ssize_t)w.len)
			rc = -errno;
	}
	while (!rc) {
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
		id = json_get(json_root(doc), "id");
		if (!ret && !err) {		/* an event: not ours */
			json_doc_free(doc);
			shift_line(buf, &have);
			continue;
		}
		if (raw)
			fprintf(out, "%.*s\n", (int)len, buf);
		if (err) {
			const char *cls = "?", *desc = "?";

			json_get_string(err, "class", &cls, NULL);
			json_get_string(err, "desc", &desc, NULL);
			rc = err_set(e, "%s: %s: %s", cmd, cls, desc);
		} else if (!raw) {
			print_value(out, ret, -1);
		}
		(void)id;
		json_doc_free(doc);
		break;
	}
	if (rc == -ETIMEDOUT)
		err_set(e, "%s: no reply within %d s", path, timeout_ms / 1000);
	else if (rc == -ECONNRESET)
		err_set(e, "%s: mirrorvm closed the connection", path);
	else if (rc && rc != -EINVAL && rc != -EPROTO)
		err_set(e, "%s: %s", path, strerror(-rc));
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	json_writer_free(&w);
	return rc;
}

int cmd_ctl(int argc, char **argv)
{
	int timeout_ms = CTL_DEFAULT_TIMEOUT_MS, i = 1;
	struct err e = { "" };
	bool raw = false;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json")) {
			raw = true;
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			char *end;
			long s = strtol(argv[++i], &end, 10);

			if (*end || s <= 0 || s > 86400) {
				fprintf(stderr, "mirrorvm: ctl: --timeout %s: expected 1 to 86400 seconds\n",
					argv[i]);
				return 1;
			}
			timeout_ms = s * 1000;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			ctl_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "mirrorvm: ctl: %s: unknown flag\n", argv[i]);
			ctl_usage(stderr);
			return 1;
		}
	}
	if (argc - i < 2) {
		ctl_usage(stderr);
		return 1;
	}
	if (api__ctl(argv[i], argv[i + 1], argc - i - 2, argv + i + 2, raw, timeout_ms, stdout,
		     &e)) {
		fprintf(stderr, "mirrorvm: ctl: %s\n", e.msg);
		return 1;
	}
	return fflush(stdout) ? 1 : 0;
}
