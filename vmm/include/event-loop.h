/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_EVENT_LOOP_H
#define MIRRORVM_EVENT_LOOP_H

/*
 * One epoll loop for a VM's main thread: every source of work (the host
 * console, host signals, vCPU events, control sockets) registers a file
 * descriptor and a handler, and the loop runs handlers until one stops it.
 * Handlers run on the loop's thread only, one at a time.
 */
#include <stdint.h>
#include <sys/epoll.h>

#include "util.h"

struct event_loop;

typedef void (*event_handler)(struct event_loop *loop, int fd, u32 events, void *opaque);

struct event_loop *event_loop__create(struct err *e);
/* Removes every source (closing none of their fds) and frees the loop. */
void event_loop__destroy(struct event_loop *loop);
/* @events: EPOLLIN, EPOLLOUT...; an fd is added once. */
int event_loop__add(struct event_loop *loop, int fd, u32 events, event_handler fn,
		    void *opaque, struct err *e);
/* Changes what @fd waits for; 0 parks it without removing it. */
int event_loop__modify(struct event_loop *loop, int fd, u32 events);
void event_loop__remove(struct event_loop *loop, int fd);
/* Runs until event_loop__stop(); 0, or -errno when epoll fails. */
int event_loop__run(struct event_loop *loop);
void event_loop__stop(struct event_loop *loop);
/* One round: waits up to @timeout_ms (-1: forever) and runs what is ready. */
int event_loop__run_once(struct event_loop *loop, int timeout_ms);

#endif
