/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal QMP client for the benchmarks' static helpers (qmp-unplug.c,
 * qmp-snapshot.c), which run in an L1 initramfs with no other tools:
 * connect and negotiate, send a command, read replies and events line by
 * line (QEMU ends each JSON object with a newline).
 */
#ifndef MIRRORVM_BENCH_QMP_H
#define MIRRORVM_BENCH_QMP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static char qmp_buf[1 << 16];
static size_t qmp_have;

static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The next line from QMP into @line (without '\n'); 0 at EOF. */
static inline int next_line(int fd, char *line, size_t cap)
{
	for (;;) {
		char *nl = memchr(qmp_buf, '\n', qmp_have);
		ssize_t n;

		if (nl) {
			size_t len = nl - qmp_buf;

			if (len >= cap)
				len = cap - 1;
			memcpy(line, qmp_buf, len);
			line[len] = '\0';
			qmp_have -= nl - qmp_buf + 1;
			memmove(qmp_buf, nl + 1, qmp_have);
			return 1;
		}
		if (qmp_have == sizeof(qmp_buf))
			qmp_have = 0;	/* a line longer than we care for */
		n = read(fd, qmp_buf + qmp_have, sizeof(qmp_buf) - qmp_have);
		if (n <= 0)
			return 0;
		qmp_have += n;
	}
}

static inline void send_str(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s)) {
		perror("qmp: write");
		exit(1);
	}
}

/* Reads until a line containing @what (a "return" or an event). */
static inline int wait_for(int fd, const char *what, char *line, size_t cap)
{
	while (next_line(fd, line, cap))
		if (strstr(line, what))
			return 1;
	return 0;
}

/*
 * Connects to QMP at @path, trying for @patience_ms while the socket is
 * not there yet, and leaves command mode on: the fd, or -1 (said why).
 * mirrorvm's control socket takes the same requests without the
 * negotiation: its greeting is {"greeting": ...}, not {"QMP": ...}.
 */
static inline int qmp_open(const char *path, long long patience_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long long until = now_ms() + patience_ms;
	char line[8192];
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "qmp: %s: path too long\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			perror("qmp: socket");
			return -1;
		}
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		close(fd);
		if ((errno != ENOENT && errno != ECONNREFUSED) || now_ms() > until) {
			fprintf(stderr, "qmp: connect %s: %s\n", path, strerror(errno));
			return -1;
		}
		usleep(2000);
	}
	if (!next_line(fd, line, sizeof(line)))
		return -1;
	if (strstr(line, "\"greeting\""))
		return fd;
	send_str(fd, "{\"execute\": \"qmp_capabilities\"}\n");
	if (!wait_for(fd, "\"return\"", line, sizeof(line)))
		return -1;
	return fd;
}

#endif
