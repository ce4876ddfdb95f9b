/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_WORKERS_H
#define MIRRORVM_WORKERS_H

/*
 * Work split into numbered items that a few threads take one by one
 * (vmm/host/workers.c): the prefault of guest memory (backing.c) and the
 * save and restore of a snapshot's memory parts (engine/kvm/memory.c).
 * The first failure stops the others from taking more.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct work_queue {
	unsigned int nr_items;
	atomic_uint next;
	atomic_bool failed;
};

/* The next item into *@item; false when all are taken or one failed. */
bool work_queue__take(struct work_queue *q, unsigned int *item);
/* Records a failure: true for the first, whose details the caller keeps. */
bool work_queue__fail(struct work_queue *q);
bool work_queue__failed(struct work_queue *q);

/*
 * As many workers as the host has online CPUs, no more than @q's items
 * and @max, the calling thread counted as one: starts that many less one
 * threads of @fn(@arg) into @th (room for @max) and returns how many
 * started (fewer if the system refuses threads).
 */
unsigned int workers__start(pthread_t *th, unsigned int max, const struct work_queue *q,
			    void *(*fn)(void *), void *arg);
void workers__join(pthread_t *th, unsigned int n);

#endif
