// SPDX-License-Identifier: GPL-2.0
/*
 * mvm-pty PROGRAM [ARG...]: runs PROGRAM with a pseudo-terminal as its
 * standard input and copies our standard input into it, for the nested
 * tests' L1 (busybox has no script(1)).  mirrorvm forwards its standard
 * input to the guest's serial console only when it is a terminal, so
 * this is how a test types into a guest's console.  PROGRAM's standard
 * output and error stay ours; what the terminal echoes is dropped.  Exits
 * with PROGRAM's status (128 + N for a signal), 125 when it cannot start.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int exit_status(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Everything in @buf to @fd; false when the terminal has gone. */
static int write_all(int fd, const char *buf, ssize_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		buf += n;
		len -= n;
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct pollfd fds[2];
	int master, status;
	char buf[512];
	pid_t child;

	if (argc < 2) {
		fprintf(stderr, "usage: mvm-pty PROGRAM [ARG...]\n");
		return 125;
	}
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master)) {
		perror("mvm-pty: posix_openpt");
		return 125;
	}
	child = fork();
	if (child < 0) {
		perror("mvm-pty: fork");
		return 125;
	}
	if (child == 0) {
		int slave;

		setsid();
		slave = open(ptsname(master), O_RDWR);
		if (slave < 0 || dup2(slave, STDIN_FILENO) < 0) {
			perror("mvm-pty: the terminal");
			_exit(125);
		}
		close(slave);
		close(master);
		execvp(argv[1], argv + 1);
		fprintf(stderr, "mvm-pty: %s: %s\n", argv[1], strerror(errno));
		_exit(125);
	}
	fds[0] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = master, .events = POLLIN };
	for (;;) {
		pid_t done = waitpid(child, &status, WNOHANG);
		ssize_t n;

		if (done == child)
			return exit_status(status);
		if (poll(fds, 2, 100) < 0 && errno != EINTR) {
			perror("mvm-pty: poll");
			break;
		}
		if (fds[0].revents & (POLLIN | POLLHUP)) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0 || !write_all(master, buf, n))
				fds[0].fd = -1;	/* our input ended: PROGRAM runs on */
		}
		/* the terminal's echo, before PROGRAM turned it off */
		if (fds[1].revents & POLLIN) {
			if (read(master, buf, sizeof(buf)) <= 0)
				fds[1].fd = -1;
		} else if (fds[1].revents & (POLLHUP | POLLERR)) {
			fds[1].fd = -1;
		}
	}
	if (waitpid(child, &status, 0) == child)
		return exit_status(status);
	return 125;
}
