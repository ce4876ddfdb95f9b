// SPDX-License-Identifier: GPL-2.0
/*
 * Work items taken by a few threads (workers.h): a shared counter hands
 * out the items, so a slow item does not hold back the others' share.
 */
#include <unistd.h>

#include "util.h"
#include "workers.h"

bool work_queue__take(struct work_queue *q, unsigned int *item)
{
	if (atomic_load(&q->failed))
		return false;
	*item = atomic_fetch_add(&q->next, 1);
	return *item < q->nr_items;
}

bool work_queue__fail(struct work_queue *q)
{
	bool no = false;

	return atomic_compare_exchange_strong(&q->failed, &no, true);
}

bool work_queue__failed(struct work_queue *q)
{
	return atomic_load(&q->failed);
}

unsigned int workers__start(pthread_t *th, unsigned int max, const struct work_queue *q,
			    void *(*fn)(void *), void *arg)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int n = MIN((unsigned int)MAX(cpus, 1L), q->nr_items), i, started = 0;

	n = MIN(n, max);
	for (i = 1; i < n; i++)
		if (!pthread_create(&th[started], NULL, fn, arg))
			started++;
	return started;
}

void workers__join(pthread_t *th, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
}
