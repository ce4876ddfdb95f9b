// SPDX-License-Identifier: GPL-2.0
/* The main thread's epoll loop (event-loop.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event-loop.h"

struct event_source {
	int fd;
	event_handler fn;
	void *opaque;
	struct event_source *next;
	bool removed;		/* removed while the loop was dispatching */
};

struct event_loop {
	int epfd;
	struct event_source *sources;
	bool stop;
	unsigned int dispatching;
};

struct event_loop *event_loop__create(struct err *e)
{
	struct event_loop *loop = calloc(1, sizeof(*loop));

	if (!loop) {
		err_set(e, "out of memory");
		return NULL;
	}
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		err_set(e, "epoll_create1: %s", strerror(errno));
		free(loop);
		return NULL;
	}
	return loop;
}

static struct event_source *find(struct event_loop *loop, int fd)
{
	struct event_source *s;

	for (s = loop->sources; s; s = s->next)
		if (s->fd == fd && !s->removed)
			return s;
	return NULL;
}

int event_loop__add(struct event_loop *loop, int fd, u32 events, event_handler fn,
		    void *opaque, struct err *e)
{
	struct event_source *s;
	struct epoll_event ev = { .events = events };

	if (find(loop, fd))
		return err_set(e, "event loop: fd %d added twice", fd);
	s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(e, "out of memory");
	s->fd = fd;
	s->fn = fn;
	s->opaque = opaque;
	ev.data.ptr = s;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int err = errno;

		free(s);
		return err_set(e, "epoll_ctl add fd %d: %s", fd, strerror(err));
	}
	s->next = loop->sources;
	loop->sources = s;
	return 0;
}

int event_loop__modify(struct event_loop *loop, int fd, u32 events)
{
	struct event_source *s = find(loop, fd);
	struct epoll_event ev = { .events = events };

	if (!s)
		return -ENOENT;
	ev.data.ptr = s;
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

static void reap(struct event_loop *loop)
{
	struct event_source **p = &loop->sources;

	while (*p) {
		struct event_source *s = *p;

		if (s->removed) {
			*p = s->next;
			free(s);
		} else {
			p = &s->next;
		}
	}
}

void event_loop__remove(struct event_loop *loop, int fd)
{
	struct event_source *s = find(loop, fd);

	if (!s)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	/* a handler may remove a source whose event is still in this batch */
	s->removed = true;
	if (!loop->dispatching)
		reap(loop);
}

int event_loop__run_once(struct event_loop *loop, int timeout_ms)
{
	struct epoll_event evs[16];
	int n = epoll_wait(loop->epfd, evs, ARRAY_SIZE(evs), timeout_ms), i;

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	loop->dispatching++;
	for (i = 0; i < n && !loop->stop; i++) {
		struct event_source *s = evs[i].data.ptr;

		if (!s->removed)
			s->fn(loop, s->fd, evs[i].events, s->opaque);
	}
	loop->dispatching--;
	reap(loop);
	return 0;
}

int event_loop__run(struct event_loop *loop)
{
	int ret = 0;

	loop->stop = false;
	while (!loop->stop && !ret)
		ret = event_loop__run_once(loop, -1);
	return ret;
}

void event_loop__stop(struct event_loop *loop)
{
	loop->stop = true;
}

void event_loop__destroy(struct event_loop *loop)
{
	struct event_source *s, *next;

	if (!loop)
		return;
	for (s = loop->sources; s; s = next) {
		next = s->next;
		free(s);
	}
	close(loop->epfd);
	free(loop);
}
