// SPDX-License-Identifier: GPL-2.0
/*
 * qmp-unplug SOCKET DIMM MEMDEV: QEMU's way of taking a DIMM from a guest,
 * for scripts/bench-unplug.sh (static, runs in the benchmark's L1).
 *
 * Connects to QEMU's QMP socket, negotiates capabilities, sends
 * device_del DIMM, waits for DEVICE_DELETED (the guest ejected it; an
 * ACPI_DEVICE_OST with a failure status ends the wait instead), then
 * object_del MEMDEV, which is when QEMU frees the host memory.  Prints the
 * milliseconds since device_del at each step:
 *
 *	QMP device_del_ms=0 deleted_ms=N object_del_ms=M
 *	QMP failed ost=0x82 ms=N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 16];
static size_t have;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The next line from QMP into @line (without '\n'); 0 at EOF. */
static int next_line(int fd, char *line, size_t cap)
{
	for (;;) {
		char *nl = memchr(buf, '\n', have);
		ssize_t n;

		if (nl) {
			size_t len = nl - buf;

			if (len >= cap)
				len = cap - 1;
			memcpy(line, buf, len);
			line[len] = '\0';
			have -= nl - buf + 1;
			memmove(buf, nl + 1, have);
			return 1;
		}
		if (have == sizeof(buf))
			have = 0;	/* a line longer than we care for */
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n <= 0)
			return 0;
		have += n;
	}
}

static void send_str(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s)) {
		perror("qmp-unplug: write");
		exit(1);
	}
}

/* Reads until a line containing @what (a "return" or an event). */
static int wait_for(int fd, const char *what, char *line, size_t cap)
{
	while (next_line(fd, line, cap))
		if (strstr(line, what))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[8192], cmd[512];
	long long t0;
	int fd;

	if (argc != 4 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: qmp-unplug SOCKET DIMM MEMDEV\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("qmp-unplug: connect");
		return 1;
	}
	if (!wait_for(fd, "\"QMP\"", line, sizeof(line)))
		return 1;
	send_str(fd, "{\"execute\": \"qmp_capabilities\"}\n");
	if (!wait_for(fd, "\"return\"", line, sizeof(line)))
		return 1;
	t0 = now_ms();
	snprintf(cmd, sizeof(cmd), "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"%s\"}}\n",
		 argv[2]);
	send_str(fd, cmd);
	while (next_line(fd, line, sizeof(line))) {
		char *st;

		if (strstr(line, "\"DEVICE_DELETED\"") && strstr(line, argv[2]))
			break;
		/* _OST(3, status): 0x84 in progress, 0 done, anything else a refusal */
		st = strstr(line, "\"ACPI_DEVICE_OST\"") ? strstr(line, "\"status\": ") : NULL;
		if (st) {
			int v = atoi(st + 10);

			if (v != 0 && v != 0x84) {
				printf("QMP failed ost=0x%x ms=%lld\n", v, now_ms() - t0);
				return 1;
			}
		}
	}
	printf("QMP device_del_ms=0 deleted_ms=%lld", now_ms() - t0);
	fflush(stdout);
	snprintf(cmd, sizeof(cmd), "{\"execute\": \"object-del\", \"arguments\": {\"id\": \"%s\"}}\n",
		 argv[3]);
	send_str(fd, cmd);
	if (!wait_for(fd, "\"return\"", line, sizeof(line))) {
		printf(" object_del_failed\n");
		return 1;
	}
	printf(" object_del_ms=%lld\n", now_ms() - t0);
	close(fd);
	return 0;
}
