// SPDX-License-Identifier: GPL-2.0
/*
 * A test hook, not part of the platform (no table row, no AML): with
 * MIRRORVM_TEST_DEVICES=1 the KVM engine adds this 4-byte port at
 * MVM_TEST_PORT.  A guest writes 32-bit values counting up by one; the
 * port counts the writes and every value that is not the previous plus
 * one, so a test can tell that pausing, resuming (and later snapshots)
 * neither lose nor repeat a port write the guest made.  Reads return the
 * number of writes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "json.h"

struct test_port {
	pthread_mutex_t lock;
	u64 writes;
	u32 last;
	u64 out_of_sequence;
};

static int tp_create(struct device *dev, struct err *e)
{
	struct test_port *t = calloc(1, sizeof(*t));

	if (!t)
		return err_set(e, "out of memory");
	pthread_mutex_init(&t->lock, NULL);
	dev->state = t;
	return 0;
}

static void tp_destroy(struct device *dev)
{
	struct test_port *t = dev->state;

	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static void tp_read(struct device *dev, u64 off, u8 *data, unsigned int size)
{
	struct test_port *t = dev->state;
	u32 v;

	pthread_mutex_lock(&t->lock);
	v = t->writes;
	pthread_mutex_unlock(&t->lock);
	if (!off)
		memcpy(data, &v, MIN(size, sizeof(v)));
}

static void tp_write(struct device *dev, u64 off, const u8 *data, unsigned int size)
{
	struct test_port *t = dev->state;
	u32 v;

	if (off || size != 4)
		return;
	memcpy(&v, data, 4);
	pthread_mutex_lock(&t->lock);
	if (t->writes && v != t->last + 1)
		t->out_of_sequence++;
	t->last = v;
	t->writes++;
	pthread_mutex_unlock(&t->lock);
}

/* Snapshot state: writes (u64), last (u32), out_of_sequence (u64), little-endian host order. */
#define TP_STATE	20

static int tp_save(struct device *dev, struct state_writer *w, u32 kind, u32 index, struct err *e)
{
	struct test_port *t = dev->state;
	u8 st[TP_STATE];

	pthread_mutex_lock(&t->lock);
	memcpy(st, &t->writes, 8);
	memcpy(st + 8, &t->last, 4);
	memcpy(st + 12, &t->out_of_sequence, 8);
	pthread_mutex_unlock(&t->lock);
	return state_writer__add(w, kind, index, st, sizeof(st), e);
}

static int tp_load(struct device *dev, const struct state_section *s, struct err *e)
{
	struct test_port *t = dev->state;

	if (s->size != TP_STATE)
		return err_set(e, "test port: saved state of %llu bytes", (unsigned long long)s->size);
	pthread_mutex_lock(&t->lock);
	memcpy(&t->writes, s->data, 8);
	memcpy(&t->last, s->data + 8, 4);
	memcpy(&t->out_of_sequence, s->data + 12, 8);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

const struct device_model test_port = {
	.kind = "test port",
	.ops = { .create = tp_create, .destroy = tp_destroy, .read = tp_read, .write = tp_write,
		 .save = tp_save, .load = tp_load },
};

int test_port__query(struct device *dev, struct json_writer *w)
{
	struct test_port *t = dev->state;

	pthread_mutex_lock(&t->lock);
	json_object_begin(w);
	json_kv_u64(w, "writes", t->writes);
	json_kv_u64(w, "last", t->last);
	json_kv_u64(w, "out_of_sequence", t->out_of_sequence);
	json_object_end(w);
	pthread_mutex_unlock(&t->lock);
	return 0;
}
