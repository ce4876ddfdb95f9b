// SPDX-License-Identifier: GPL-2.0
/*
 * qmp-snapshot SOCKET save FILE | qmp-snapshot SOCKET running: QEMU's way
 * of saving a guest to a file and of seeing it run again, for
 * scripts/bench-snapshot.sh (static, runs in the benchmark's L1).
 *
 *   save     stop, then migrate to "exec:cat > FILE" (a paused guest saved
 *            in one pass, as mirrorvm's snapshot paused=true), polling
 *            query-migrate every 5 ms until it completes:
 *              QMP save_ms=N status=completed
 *   running  connects as soon as the socket is there (a QEMU started with
 *            -incoming "exec:cat FILE", or a mirrorvm run --restore: its
 *            control socket answers query-status alike) and polls
 *            query-status every 5 ms until the guest runs; a QEMU that
 *            loaded a guest saved paused stays "paused", and is sent cont
 *            (mirrorvm's restore resumes by itself):
 *              QMP running_ms=N    (since this program started)
 */
#include <stdbool.h>

#include "qmp.h"

/* The value of "status" in @line, into @out. */
static void status_of(const char *line, char *out, size_t cap)
{
	const char *p = strstr(line, "\"status\": \"");
	size_t n = 0;

	if (p)
		for (p += 11; *p && *p != '"' && n + 1 < cap; p++)
			out[n++] = *p;
	out[n] = '\0';
}

/* Asks @cmd every 5 ms until its return's status is one of @done (10 minutes at most). */
static int poll_status(int fd, const char *cmd, const char *const *done, char *st, size_t cap)
{
	long long until = now_ms() + 600000;
	char line[8192] = "";
	unsigned int i;

	for (;;) {
		if (now_ms() > until) {
			fprintf(stderr, "qmp-snapshot: still \"%s\" after 10 minutes: %s\n", st, line);
			return -1;
		}
		send_str(fd, cmd);
		if (!wait_for(fd, "\"return\"", line, sizeof(line)))
			return -1;
		status_of(line, st, cap);
		for (i = 0; done[i]; i++)
			if (!strcmp(st, done[i]))
				return 0;
		usleep(5000);
	}
}

int main(int argc, char **argv)
{
	static const char *const saved[] = { "completed", "failed", "cancelled", NULL };
	static const char *const running[] = { "running", "paused", NULL };
	long long t0 = now_ms();
	char line[8192], cmd[1024], st[64];
	int fd;
	bool save = argc == 4 && !strcmp(argv[2], "save");

	if (!save && !(argc == 3 && !strcmp(argv[2], "running"))) {
		fprintf(stderr, "usage: qmp-snapshot SOCKET save FILE | qmp-snapshot SOCKET running\n");
		return 2;
	}
	fd = qmp_open(argv[1], 120000);
	if (fd < 0)
		return 1;
	if (!save) {
		if (poll_status(fd, "{\"execute\": \"query-status\"}\n", running, st, sizeof(st)))
			return 1;
		if (!strcmp(st, "paused")) {
			send_str(fd, "{\"execute\": \"cont\"}\n");
			if (!wait_for(fd, "\"return\"", line, sizeof(line)))
				return 1;
		}
		printf("QMP running_ms=%lld%s\n", now_ms() - t0, strcmp(st, "paused") ? "" : " cont=1");
		return 0;
	}
	t0 = now_ms();
	send_str(fd, "{\"execute\": \"stop\"}\n");
	if (!wait_for(fd, "\"return\"", line, sizeof(line)))
		return 1;
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"exec:cat > %s\"}}\n", argv[3]);
	send_str(fd, cmd);
	if (!wait_for(fd, "\"return\"", line, sizeof(line)) || strstr(line, "\"error\"")) {
		fprintf(stderr, "qmp-snapshot: migrate: %s\n", line);
		return 1;
	}
	if (poll_status(fd, "{\"execute\": \"query-migrate\"}\n", saved, st, sizeof(st)))
		return 1;
	printf("QMP save_ms=%lld status=%s\n", now_ms() - t0, st);
	close(fd);
	return strcmp(st, "completed") != 0;
}
