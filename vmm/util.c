// SPDX-License-Identifier: GPL-2.0
/* Small helpers shared by every part of mirrorvm: errors, numbers, id lists. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* @s[@i] starts a character, not the middle of a UTF-8 sequence. */
static bool utf8_start(const char *s, size_t i)
{
	return ((unsigned char)s[i] & 0xc0) != 0x80;
}

/*
 * Messages are built as "what: what: why", and what makes one long is
 * quoted input in the middle: a message longer than the buffer keeps its
 * first ERR_HEAD bytes and its end, with " ... " between, on character
 * boundaries.
 */
#define ERR_HEAD	160
#define ERR_ELLIPSIS	" ... "

static void err_elide(struct err *e, const char *full, size_t len)
{
	size_t head = ERR_HEAD, tail = sizeof(e->msg) - 1 - ERR_HEAD - strlen(ERR_ELLIPSIS);
	size_t from = len - tail;

	while (head && !utf8_start(full, head))
		head--;
	while (from < len && !utf8_start(full, from))
		from++;
	snprintf(e->msg, sizeof(e->msg), "%.*s" ERR_ELLIPSIS "%s", (int)head, full, full + from);
}

int err_vset(struct err *e, const char *fmt, va_list ap)
{
	char buf[sizeof(e->msg)], *full;
	va_list aq;
	int n;

	if (!e)
		return -EINVAL;
	/* Formatted aside first: an argument may point into e->msg. */
	va_copy(aq, ap);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0) {
		snprintf(e->msg, sizeof(e->msg), "(unprintable message)");
	} else if ((size_t)n < sizeof(buf)) {
		memcpy(e->msg, buf, n + 1);
	} else if ((full = malloc(n + 1))) {
		vsnprintf(full, n + 1, fmt, aq);
		err_elide(e, full, n);
		free(full);
	} else {
		/* No memory for the whole: the start, marked as cut. */
		memcpy(e->msg, buf, sizeof(buf));
		memcpy(e->msg + sizeof(e->msg) - 1 - strlen(ERR_ELLIPSIS), ERR_ELLIPSIS,
		       strlen(ERR_ELLIPSIS) + 1);
	}
	va_end(aq);
	return -EINVAL;
}

int err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void die(const char *fmt, ...)
{
	va_list ap;

	fputs("mirrorvm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	fputs("mirrorvm: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

u64 mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void startup_mark(const char *step)
{
	static int enabled = -1;
	static struct timespec t0;
	struct timespec t;

	if (enabled < 0) {
		enabled = getenv("MIRRORVM_DEBUG_STARTUP") != NULL;
		clock_gettime(CLOCK_MONOTONIC, &t0);
	}
	if (!enabled)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	fprintf(stderr, "mirrorvm: startup +%.3f ms: %s\n",
		(t.tv_sec - t0.tv_sec) * 1e3 + (t.tv_nsec - t0.tv_nsec) / 1e6, step);
}

void info(const char *fmt, ...)
{
	va_list ap;

	fputs("mirrorvm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

unsigned int idset_count(const struct idset *s)
{
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(s->w); i++)
		n += __builtin_popcountll(s->w[i]);
	return n;
}

bool idset_empty(const struct idset *s)
{
	return idset_count(s) == 0;
}

int idset_first(const struct idset *s)
{
	int id;

	for (id = 0; id < IDSET_MAX; id++)
		if (idset_has(s, id))
			return id;
	return -1;
}

int idset_last(const struct idset *s)
{
	int i;

	for (i = IDSET_MAX - 1; i >= 0; i--)
		if (idset_has(s, i))
			return i;
	return -1;
}

int idset_format(const struct idset *s, char *buf, size_t len)
{
	int n = 0, i = 0;

	if (len)
		buf[0] = '\0';
	while (i < IDSET_MAX) {
		int j;

		if (!idset_has(s, i)) {
			i++;
			continue;
		}
		for (j = i; j + 1 < IDSET_MAX && idset_has(s, j + 1); j++)
			;
		n += snprintf(buf + MIN((size_t)n, len), len > (size_t)n ? len - n : 0,
			      j == i ? "%s%d" : "%s%d-%d", n ? "," : "", i, j);
		i = j + 1;
	}
	return n;
}

int parse_u64(const char *s, u64 *out, struct err *e)
{
	unsigned long long v;
	char *end;

	if (!s || !*s)
		return err_set(e, "empty number");
	if (!isdigit((unsigned char)s[0]))
		return err_set(e, "'%s' is not a number", s);
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno == ERANGE)
		return err_set(e, "'%s' is too large", s);
	if (*end)
		return err_set(e, "'%s' is not a number", s);
	*out = v;
	return 0;
}

int parse_size(const char *s, u64 *out, struct err *e)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || !*s)
		return err_set(e, "empty size");
	if (!isdigit((unsigned char)s[0]))
		return err_set(e, "bad size '%s': not a number", s);
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno == ERANGE)
		return err_set(e, "bad size '%s': too large", s);
	if (*end) {
		switch (toupper((unsigned char)*end)) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		case 'T': shift = 40; break;
		default:
			return err_set(e, "bad size '%s': unknown suffix '%s' (use K, M, G or T)",
				       s, end);
		}
		if (end[1])
			return err_set(e, "bad size '%s': junk after the suffix", s);
	}
	if (shift && v > (~0ULL >> shift))
		return err_set(e, "bad size '%s': too large", s);
	*out = (u64)v << shift;
	return 0;
}

int parse_idlist(const char *s, unsigned int limit, struct idset *set,
		 struct err *e)
{
	const char *p = s;

	memset(set, 0, sizeof(*set));
	if (!s || !*s)
		return err_set(e, "empty list");
	while (*p) {
		unsigned long a, b;
		char *end;

		if (!isdigit((unsigned char)*p))
			return err_set(e, "bad list '%s': expected a number at '%s'", s, p);
		errno = 0;
		a = strtoul(p, &end, 10);
		b = a;
		if (*end == '-') {
			p = end + 1;
			if (!isdigit((unsigned char)*p))
				return err_set(e, "bad list '%s': expected a number at '%s'",
					       s, p);
			b = strtoul(p, &end, 10);
		}
		if (errno == ERANGE || a >= limit || b >= limit)
			return err_set(e, "bad list '%s': ids must be below %u", s, limit);
		if (b < a)
			return err_set(e, "bad list '%s': range %lu-%lu is backwards", s, a, b);
		for (; a <= b; a++)
			idset_add(set, a);
		p = end;
		if (*p == ',') {
			p++;
			if (!*p)
				return err_set(e, "bad list '%s': trailing comma", s);
		} else if (*p) {
			return err_set(e, "bad list '%s': unexpected '%c'", s, *p);
		}
	}
	return 0;
}

const char *fmt_size(u64 v, char buf[32])
{
	static const char suffix[] = "KMGT";
	int i;

	for (i = 3; i >= 0; i--) {
		unsigned int shift = 10 * (i + 1);

		if (v && IS_ALIGNED(v, 1ULL << shift)) {
			snprintf(buf, 32, "%llu%c", (unsigned long long)(v >> shift),
				 suffix[i]);
			return buf;
		}
	}
	snprintf(buf, 32, "%llu", (unsigned long long)v);
	return buf;
}

int write_file(const char *path, const void *buf, size_t len, struct err *e)
{
	const u8 *p = buf;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_set(e, "cannot create %s: %s", path, strerror(errno));
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int saved = errno;

			close(fd);
			return err_set(e, "cannot write %s: %s", path, strerror(saved));
		}
		p += n;
		len -= n;
	}
	if (close(fd))
		return err_set(e, "cannot write %s: %s", path, strerror(errno));
	return 0;
}

int read_file(const char *path, u8 **buf, size_t *len, struct err *e)
{
	struct stat st;
	size_t done = 0;
	u8 *p;
	int fd;

	/* O_NONBLOCK: opening a FIFO without a writer must not hang */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return err_set(e, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, "%s is not a regular file", path);
	}
	p = malloc(st.st_size + 1);
	if (!p) {
		close(fd);
		return err_set(e, "out of memory reading %s", path);
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, p + done, st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(p);
			close(fd);
			return err_set(e, "cannot read %s", path);
		}
		done += n;
	}
	close(fd);
	p[done] = '\0';
	*buf = p;
	*len = done;
	return 0;
}

int pread_exact(int fd, void *buf, u64 len, u64 off)
{
	u8 *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, MIN(len, (u64)SZ_1G), off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -ENODATA;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

int pwrite_all(int fd, const void *buf, u64 len, u64 off)
{
	const u8 *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, MIN(len, (u64)SZ_1G), off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -ENOSPC;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}
