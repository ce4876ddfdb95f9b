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
#include "qmp.h"

int main(int argc, char **argv)
{
	char line[8192], cmd[512];
	long long t0;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: qmp-unplug SOCKET DIMM MEMDEV\n");
		return 2;
	}
	fd = qmp_open(argv[1], 0);
	if (fd < 0)
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
