// SPDX-License-Identifier: GPL-2.0
/*
 * Memory hot-unplug and re-plug of the unplug units (layout.h) of a KVM
 * engine VM: the control socket asks, the guest answers through the memory
 * hotplug device (hw/mem-hotplug.c), and this file keeps each unit's state
 * and does the host's part on the main thread.
 *
 *   unplug:  plugged -> unplug-requested (remove flag set, GED event; the
 *            guest's MSCN notifies the unit, 3) -> ejecting (_OST 0x84:
 *            the guest offlines and removes the blocks) -> _EJ0 -> the
 *            unit's KVM slots deleted, its host memory released, the range
 *            inaccessible -> unplugged.  A refusal (_OST with a failure
 *            status) puts it back to plugged: nothing on the host changed.
 *   plug:    unplugged -> the host checked and mapped again, the slots
 *            given back to KVM -> plugging (insert flag, GED event; the
 *            guest adds the memory) -> _OST(1, 0) -> plugged.
 *
 * A guest may eject a unit on its own (sysfs eject): it is released the
 * same way.  Timeouts only say so: ACPI has no cancel, and a late _EJ0
 * still completes the unplug.  Everything that changes a unit's state runs
 * on the main thread; the device's callbacks come from vCPU threads and
 * only queue what the guest did, waking the loop through an eventfd.
 *
 * A guest that reaches into an unplugged unit gets no silent all-ones: the
 * unit's range is claimed on the bus (its KVM slots are gone, so accesses
 * exit to us) and mirrorvm ends, naming the address.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "kvm-vm.h"
#include "mem-hotplug.h"

/* _OST source events and status codes (ACPI 6.5 6.3.5, include/linux/acpi.h) */
#define OST_EV_DEVICE_CHECK	0x01
#define OST_EV_EJECT_REQUEST	0x03
#define OST_EV_OSPM_EJECT	0x103
#define OST_SC_SUCCESS		0x00
#define OST_SC_FAILURE		0x01
#define OST_SC_NOT_SUPPORTED	0x80
#define OST_SC_IN_USE		0x81
#define OST_SC_BUSY		0x82
#define OST_SC_IN_PROGRESS	0x84

/* _OST reports kept until the main thread reads them; ejects are never dropped. */
#define OST_QUEUE		1024

#define DEFAULT_TIMEOUT_MS	120000

enum unit_state {
	UNIT_PLUGGED,
	UNIT_UNPLUG_REQUESTED,
	UNIT_EJECTING,
	UNIT_UNPLUGGED,
	UNIT_PLUGGING,
};

static const char *const state_name[] = {
	[UNIT_PLUGGED] = "plugged",
	[UNIT_UNPLUG_REQUESTED] = "unplug-requested",
	[UNIT_EJECTING] = "ejecting",
	[UNIT_UNPLUGGED] = "unplugged",
	[UNIT_PLUGGING] = "plugging",
};

struct memhp_unit {
	enum unit_state state;
	bool by_guest;		/* the guest started this unplug (sysfs eject) */
	bool timed_out;		/* MEMORY_OP_TIMEOUT sent for the current operation */
	long long started_ms;	/* the current operation's request */
	long long deadline_ms;	/* 0: none */
	bool ost_seen;		/* the last _OST the guest reported */
	u32 ost_event, ost_status;
	u64 ejected_ms;		/* request -> _EJ0 of the last unplug */
};

struct ost_report {
	unsigned int unit;
	u32 event, status;
};

/* A unit's range on the bus, for accesses while it is not in KVM. */
struct unit_claim {
	struct kvm_memhp *m;
	u64 base;
};

struct kvm_memhp {
	struct kvm_vm *vm;
	const struct layout *lay;
	struct device *dev;		/* the memory hotplug registers */
	struct device *ged;
	int efd;			/* vCPU threads -> main loop */
	int timer_fd;			/* the earliest operation deadline */
	struct memhp_unit units[MAX_UNITS];
	struct unit_claim claims[MAX_UNITS];

	/* filled by vCPU threads, emptied by the main thread */
	pthread_mutex_t lock;
	bool eject[MAX_UNITS];
	struct ost_report ost[OST_QUEUE];
	unsigned int nr_ost;
	unsigned long ost_dropped;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void wake(struct kvm_memhp *m)
{
	u64 one = 1;

	if (write(m->efd, &one, sizeof(one)) < 0)
		(void)0;	/* a full eventfd has already woken the loop */
}

/* ---- the device's callbacks: vCPU threads, must not block ---- */

static void on_ejected(void *opaque, unsigned int unit)
{
	struct kvm_memhp *m = opaque;

	pthread_mutex_lock(&m->lock);
	m->eject[unit] = true;
	pthread_mutex_unlock(&m->lock);
	wake(m);
}

static void on_ost(void *opaque, unsigned int unit, u32 event, u32 status)
{
	struct kvm_memhp *m = opaque;

	pthread_mutex_lock(&m->lock);
	if (m->nr_ost < OST_QUEUE)
		m->ost[m->nr_ost++] = (struct ost_report){ unit, event, status };
	else
		m->ost_dropped++;	/* a guest writing _OST in a loop */
	pthread_mutex_unlock(&m->lock);
	wake(m);
}

/* A guest access to a unit whose memory is not there. */
static void unplugged_access(struct kvm_memhp *m, u64 gpa, bool is_write)
{
	const struct unplug_unit *u = layout__unit_at(m->lay, gpa);
	unsigned int i = u ? (unsigned int)(u - m->lay->units) : 0;

	warn("the guest %s guest-physical 0x%llx in unit %u of node %u [0x%llx-0x%llx), whose memory it had given back (%s); stopping rather than let it read all-ones",
	     is_write ? "wrote" : "read", (unsigned long long)gpa, i, u ? u->node : 0,
	     u ? (unsigned long long)u->gpa : 0ULL,
	     u ? (unsigned long long)(u->gpa + u->size) : 0ULL,
	     u ? state_name[m->units[i].state] : "?");
	kvm_vm__end(m->vm, VM_END_CRASH, MVM_EXIT_CRASH);
}

static void claim_read(void *opaque, u64 off, u8 *data, unsigned int size)
{
	struct unit_claim *c = opaque;

	memset(data, 0xff, size);
	unplugged_access(c->m, c->base + off, false);
}

static void claim_write(void *opaque, u64 off, const u8 *data, unsigned int size)
{
	struct unit_claim *c = opaque;

	(void)data;
	(void)size;
	unplugged_access(c->m, c->base + off, true);
}

/* ---- events ---- */

static const char *ost_reason(u32 status)
{
	switch (status) {
	case OST_SC_BUSY:
		return "guest-busy";
	case OST_SC_NOT_SUPPORTED:
		return "guest-refused";
	case OST_SC_IN_USE:
		return "guest-in-use";
	default:
		return "guest-failed";
	}
}

static void unit_members(struct json_writer *w, struct kvm_memhp *m, unsigned int i)
{
	const struct unplug_unit *u = &m->lay->units[i];

	json_kv_u64(w, "unit", i);
	json_kv_u64(w, "node", u->node);
	json_kv_u64(w, "start", u->gpa);
	json_kv_u64(w, "size", u->size);
}

struct event_args {
	struct kvm_memhp *m;
	unsigned int unit;
	const char *op, *reason, *desc;
	u32 event, status;
	u64 freed, before, after, ms;
	bool has_ost;
};

static void ost_data(struct json_writer *w, void *arg)
{
	struct event_args *a = arg;

	unit_members(w, a->m, a->unit);
	json_kv_u64(w, "event", a->event);
	json_kv_u64(w, "status", a->status);
}

static void failed_data(struct json_writer *w, void *arg)
{
	struct event_args *a = arg;

	unit_members(w, a->m, a->unit);
	json_kv_string(w, "op", a->op);
	json_kv_string(w, "reason", a->reason);
	if (a->has_ost)
		json_kv_u64(w, "ost", a->status);
	json_kv_string(w, "desc", a->desc);
}

static void unplugged_data(struct json_writer *w, void *arg)
{
	struct event_args *a = arg;

	unit_members(w, a->m, a->unit);
	json_kv_string(w, "initiator", a->m->units[a->unit].by_guest ? "guest" : "host");
	json_kv_u64(w, "ms", a->ms);
	json_kv_u64(w, "ejected_ms", a->m->units[a->unit].ejected_ms);
	json_kv_u64(w, "resident_before", a->before);
	json_kv_u64(w, "resident_after", a->after);
	json_kv_u64(w, "freed_bytes", a->freed);
}

static void plugged_data(struct json_writer *w, void *arg)
{
	struct event_args *a = arg;

	unit_members(w, a->m, a->unit);
	json_kv_u64(w, "ms", a->ms);
}

static void timeout_data(struct json_writer *w, void *arg)
{
	struct event_args *a = arg;

	unit_members(w, a->m, a->unit);
	json_kv_string(w, "op", a->op);
	json_kv_u64(w, "ms", a->ms);
	json_kv_string(w, "state", state_name[a->m->units[a->unit].state]);
}

static void op_failed(struct kvm_memhp *m, unsigned int i, const char *op, const char *reason,
		      bool has_ost, u32 status, const char *desc)
{
	struct event_args a = {
		.m = m, .unit = i, .op = op, .reason = reason, .has_ost = has_ost,
		.status = status, .desc = desc,
	};

	api__event(m->vm->api, "MEMORY_OP_FAILED", failed_data, &a);
}

/* ---- the unit's slots ---- */

static int unit_slots(struct kvm_memhp *m, unsigned int i, unsigned int *idx)
{
	unsigned int s, n = 0;

	for (s = 0; s < m->vm->nr_ram; s++)
		if (m->vm->ram[s].slot.unit == i + 1)
			idx[n++] = s;
	return n;
}

static u64 unit_resident(struct kvm_memhp *m, unsigned int i)
{
	unsigned int idx[MAX_SLOTS], n = unit_slots(m, i, idx), k;
	u64 r = 0;

	for (k = 0; k < n; k++)
		r += kvm_memory__resident(m->vm, idx[k]);
	return r;
}

/* ---- timeouts ---- */

static void arm_timer(struct kvm_memhp *m)
{
	struct itimerspec t = { { 0, 0 }, { 0, 0 } };
	long long first = 0, left;
	unsigned int i;

	for (i = 0; i < m->lay->nr_units; i++) {
		const struct memhp_unit *u = &m->units[i];

		if (u->deadline_ms && !u->timed_out && (!first || u->deadline_ms < first))
			first = u->deadline_ms;
	}
	if (first) {
		left = first - now_ms();
		if (left < 1)
			left = 1;
		t.it_value.tv_sec = left / 1000;
		t.it_value.tv_nsec = (left % 1000) * 1000000;
	}
	timerfd_settime(m->timer_fd, 0, &t, NULL);
}

static void on_timer(struct event_loop *loop, int fd, u32 events, void *opaque)
{
	struct kvm_memhp *m = opaque;
	long long now = now_ms();
	unsigned int i;
	u64 n;

	(void)loop;
	(void)events;
	if (read(fd, &n, sizeof(n)) < 0)
		(void)0;
	for (i = 0; i < m->lay->nr_units; i++) {
		struct memhp_unit *u = &m->units[i];
		struct event_args a = { .m = m, .unit = i };

		if (!u->deadline_ms || u->timed_out || u->deadline_ms > now)
			continue;
		u->timed_out = true;
		a.op = u->state == UNIT_PLUGGING ? "plug" : "unplug";
		a.ms = now - u->started_ms;
		api__event(m->vm->api, "MEMORY_OP_TIMEOUT", timeout_data, &a);
	}
	arm_timer(m);
}

/* A request of the host's starts on @u: its clock, its (advisory) deadline. */
static void start_op(struct memhp_unit *u, enum unit_state state, long long now, u64 timeout_ms)
{
	u->state = state;
	u->by_guest = false;
	u->timed_out = false;
	u->started_ms = now;
	u->deadline_ms = now + (long long)(timeout_ms ? timeout_ms : DEFAULT_TIMEOUT_MS);
}

static void finish_op(struct kvm_memhp *m, unsigned int i, enum unit_state state)
{
	struct memhp_unit *u = &m->units[i];

	u->state = state;
	u->deadline_ms = 0;
	u->timed_out = false;
	arm_timer(m);
}

/* ---- what the guest did (main thread) ---- */

static void release_unit(struct kvm_memhp *m, unsigned int i)
{
	struct memhp_unit *u = &m->units[i];
	unsigned int idx[MAX_SLOTS], n = unit_slots(m, i, idx), k;
	struct event_args a = { .m = m, .unit = i };
	long long now = now_ms();
	struct err e = { "" };
	int ret = 0;

	if (u->state == UNIT_PLUGGED || u->state == UNIT_PLUGGING) {
		u->by_guest = true;	/* no request of ours: a sysfs eject */
		u->started_ms = now;
	}
	u->ejected_ms = now - u->started_ms;
	a.before = unit_resident(m, i);
	for (k = 0; k < n; k++) {
		struct err sub;

		if (kvm_memory__unplug_slot(m->vm, idx[k], &sub) && !ret) {
			ret = -EIO;
			e = sub;
		}
	}
	a.after = unit_resident(m, i);
	a.freed = a.before - MIN(a.before, a.after);
	a.ms = now_ms() - u->started_ms;
	finish_op(m, i, UNIT_UNPLUGGED);
	if (ret) {
		/* the guest let the memory go: nothing is lost, only not freed */
		warn("unit %u: %s", i, e.msg);
		op_failed(m, i, "unplug", "host-error", false, 0, e.msg);
		return;
	}
	api__event(m->vm->api, "MEMORY_UNIT_UNPLUGGED", unplugged_data, &a);
}

static void handle_ost(struct kvm_memhp *m, const struct ost_report *r)
{
	struct memhp_unit *u = &m->units[r->unit];
	struct event_args a = { .m = m, .unit = r->unit, .event = r->event, .status = r->status };
	char desc[160];

	u->ost_seen = true;
	u->ost_event = r->event;
	u->ost_status = r->status;
	api__event(m->vm->api, "ACPI_DEVICE_OST", ost_data, &a);

	if (r->event == OST_EV_EJECT_REQUEST || r->event == OST_EV_OSPM_EJECT) {
		if (r->status == OST_SC_IN_PROGRESS) {
			if (u->state == UNIT_PLUGGED) {		/* the guest's own eject */
				u->by_guest = true;
				u->started_ms = now_ms();
			}
			if (u->state != UNIT_UNPLUGGED)
				u->state = UNIT_EJECTING;
			return;
		}
		if (r->status == OST_SC_SUCCESS)
			return;		/* the _EJ0 before it did the work */
		if (u->state != UNIT_UNPLUG_REQUESTED && u->state != UNIT_EJECTING)
			return;
		/* refused: the guest keeps the memory, and so do we */
		mem_hotplug__cancel_remove(m->dev, r->unit);
		snprintf(desc, sizeof(desc), "the guest refused to eject the unit: _OST(0x%x, 0x%x)%s",
			 r->event, r->status,
			 r->status == OST_SC_BUSY ? ": its memory blocks could not be offlined (kernel memory, pinned pages?)" :
			 r->status == OST_SC_NOT_SUPPORTED ? ": memory hot-remove is disabled in the guest (/sys/firmware/acpi/hotplug/memory/enabled)" : "");
		finish_op(m, r->unit, UNIT_PLUGGED);
		op_failed(m, r->unit, "unplug", ost_reason(r->status), true, r->status, desc);
		return;
	}
	if (r->event == OST_EV_DEVICE_CHECK && u->state == UNIT_PLUGGING) {
		if (r->status == OST_SC_SUCCESS) {
			a.ms = now_ms() - u->started_ms;
			finish_op(m, r->unit, UNIT_PLUGGED);
			api__event(m->vm->api, "MEMORY_UNIT_PLUGGED", plugged_data, &a);
			return;
		}
		snprintf(desc, sizeof(desc), "the guest could not add the unit's memory: _OST(0x%x, 0x%x)",
			 r->event, r->status);
		finish_op(m, r->unit, UNIT_PLUGGED);
		op_failed(m, r->unit, "plug", ost_reason(r->status), true, r->status, desc);
	}
}

static void on_guest(struct event_loop *loop, int fd, u32 events, void *opaque)
{
	struct kvm_memhp *m = opaque;
	static struct ost_report ost[OST_QUEUE];
	bool eject[MAX_UNITS];
	unsigned int nr, i;
	unsigned long dropped;
	u64 v;

	(void)loop;
	(void)events;
	if (read(fd, &v, sizeof(v)) < 0)
		(void)0;
	pthread_mutex_lock(&m->lock);
	memcpy(eject, m->eject, sizeof(eject));
	memset(m->eject, 0, sizeof(m->eject));
	nr = m->nr_ost;
	memcpy(ost, m->ost, nr * sizeof(ost[0]));
	m->nr_ost = 0;
	dropped = m->ost_dropped;
	m->ost_dropped = 0;
	pthread_mutex_unlock(&m->lock);

	if (dropped)
		warn("memory hotplug: the guest wrote _OST faster than it could be read: %lu reports dropped",
		     dropped);
	/*
	 * Reports first, then ejects: Linux writes _OST(3, 0x84) before _EJ0
	 * and _OST(3, 0) after it, and neither depends on the order here.
	 */
	for (i = 0; i < nr; i++)
		handle_ost(m, &ost[i]);
	for (i = 0; i < m->lay->nr_units; i++)
		if (eject[i] && m->units[i].state != UNIT_UNPLUGGED)
			release_unit(m, i);
}

/* ---- what the control socket asks (main thread) ---- */

static void units_reply(struct json_writer *w, struct kvm_memhp *m, const bool *units)
{
	unsigned int i;

	json_object_begin(w);
	json_key(w, "units");
	json_array_begin(w);
	for (i = 0; i < m->lay->nr_units; i++)
		if (units[i])
			json_u64(w, i);
	json_array_end(w);
	json_object_end(w);
}

/* Every selected unit must be in @want: else -EBUSY naming the first that is not. */
static int check_states(struct kvm_memhp *m, const bool *units, enum unit_state want,
			const char *op, struct err *e)
{
	unsigned int i;

	for (i = 0; i < m->lay->nr_units; i++) {
		const struct unplug_unit *u = &m->lay->units[i];

		if (!units[i] || m->units[i].state == want)
			continue;
		err_set(e, "%s: unit %u of node %u [0x%llx-0x%llx) is %s%s", op, i, u->node,
			(unsigned long long)u->gpa, (unsigned long long)(u->gpa + u->size),
			state_name[m->units[i].state],
			m->units[i].state == UNIT_PLUGGED || m->units[i].state == UNIT_UNPLUGGED ?
			"" : ": one operation per unit at a time (query-memory shows it)");
		return -EBUSY;
	}
	return 0;
}

/*
 * The units a request names (@units), each in state @want: 0, -ENODEV (no
 * units at all), -EINVAL (a bad selector) or -EBUSY, with @e set.
 */
static int begin_request(struct kvm_memhp *m, const struct unit_selector *sel,
			 enum unit_state want, const char *op, bool *units, struct err *e)
{
	if (!m) {
		err_set(e, "%s: no node is hotplug=on: there are no units", op);
		return -ENODEV;
	}
	if (layout__select_units(m->lay, sel, units, e) < 0)
		return -EINVAL;
	return check_states(m, units, want, op, e);
}

int kvm_memhp__unplug(struct kvm_vm *vm, const struct unit_selector *sel, u64 timeout_ms,
		      struct json_writer *w, struct err *e)
{
	struct kvm_memhp *m = vm->memhp;
	bool units[MAX_UNITS];
	long long now = now_ms();
	unsigned int i;
	int ret;

	ret = begin_request(m, sel, UNIT_PLUGGED, "memory-unplug", units, e);
	if (ret)
		return ret;
	for (i = 0; i < m->lay->nr_units; i++) {
		struct memhp_unit *u = &m->units[i];

		if (!units[i])
			continue;
		if (mem_hotplug__request_remove(m->dev, i))
			continue;	/* not enabled: cannot happen while plugged */
		start_op(u, UNIT_UNPLUG_REQUESTED, now, timeout_ms);
	}
	arm_timer(m);
	ged__raise(m->ged, GED_EVENT_MEMORY);
	units_reply(w, m, units);
	return 0;
}

/* Takes every slot of unit @i out of KVM again (a plug that did not finish). */
static void unmap_unit(struct kvm_memhp *m, unsigned int i)
{
	unsigned int idx[MAX_SLOTS], n = unit_slots(m, i, idx), k;
	struct err ignored;

	for (k = 0; k < n; k++)
		kvm_memory__unplug_slot(m->vm, idx[k], &ignored);
}

/* Gives unit @i's slots back to KVM, all or none: 0, or -errno with @e set. */
static int map_unit(struct kvm_memhp *m, unsigned int i, struct err *e)
{
	unsigned int idx[MAX_SLOTS], n = unit_slots(m, i, idx), k;
	struct err ignored;
	int ret = 0;

	for (k = 0; k < n; k++) {
		ret = kvm_memory__plug_slot(m->vm, idx[k], e);
		if (ret)
			break;
	}
	if (!ret)
		return 0;
	while (k--)	/* the failed slot undid itself */
		kvm_memory__unplug_slot(m->vm, idx[k], &ignored);
	return ret;
}

int kvm_memhp__plug(struct kvm_vm *vm, const struct unit_selector *sel, u64 timeout_ms,
		    struct json_writer *w, struct err *e)
{
	static struct mem_slot slots[MAX_SLOTS];
	struct kvm_memhp *m = vm->memhp;
	bool units[MAX_UNITS];
	long long now = now_ms();
	unsigned int i, j, n = 0, s;
	struct err sub;
	int ret;

	ret = begin_request(m, sel, UNIT_UNPLUGGED, "memory-plug", units, e);
	if (ret)
		return ret;
	/* free huge pages (on the bound host nodes) for all of them, as at start-up */
	for (s = 0; s < vm->nr_ram; s++)
		if (vm->ram[s].slot.unit && units[vm->ram[s].slot.unit - 1])
			slots[n++] = vm->ram[s].slot;
	if (backing__check(m->lay, slots, n, vm->image->plan->host_mirror, e))
		return -EIO;
	/* every unit mapped and in KVM before the guest hears of any */
	for (i = 0; i < m->lay->nr_units; i++) {
		if (!units[i] || !map_unit(m, i, &sub))
			continue;
		for (j = 0; j < i; j++)
			if (units[j])
				unmap_unit(m, j);
		err_set(e, "memory-plug: unit %u: %s; nothing was plugged", i, sub.msg);
		return -EIO;
	}
	for (i = 0; i < m->lay->nr_units; i++) {
		struct memhp_unit *u = &m->units[i];

		if (!units[i])
			continue;
		mem_hotplug__insert(m->dev, i);
		start_op(u, UNIT_PLUGGING, now, timeout_ms);
	}
	arm_timer(m);
	ged__raise(m->ged, GED_EVENT_MEMORY);
	units_reply(w, m, units);
	return 0;
}

int kvm_memhp__query(struct kvm_vm *vm, struct json_writer *w, struct err *e)
{
	struct kvm_memhp *m = vm->memhp;
	const struct layout *lay = vm->image->lay;
	unsigned int i, s;

	(void)e;
	json_object_begin(w);
	json_key(w, "units");
	json_array_begin(w);
	for (i = 0; m && i < lay->nr_units; i++) {
		const struct memhp_unit *u = &m->units[i];
		const struct layout_node *n = NULL;
		u64 reliable = 0;
		bool mirrored = false;

		for (s = 0; s < lay->nr_nodes; s++)
			if (lay->nodes[s].id == lay->units[i].node)
				n = &lay->nodes[s];
		for (s = 0; s < vm->nr_ram; s++) {
			if (vm->ram[s].slot.unit != i + 1)
				continue;
			if (vm->ram[s].slot.reliable)
				reliable += vm->ram[s].slot.size;
			mirrored |= vm->ram[s].host_mirrored;
		}
		json_object_begin(w);
		unit_members(w, m, i);
		json_kv_u64(w, "reliable_bytes", reliable);
		json_kv_string(w, "state", state_name[u->state]);
		json_key(w, "ost");
		if (u->ost_seen) {
			json_object_begin(w);
			json_kv_u64(w, "event", u->ost_event);
			json_kv_u64(w, "status", u->ost_status);
			json_object_end(w);
		} else {
			json_null(w);
		}
		json_kv_string(w, "backing", n ? backing_name(n->host.backing) : "?");
		json_kv_bool(w, "host_mirrored", mirrored);
		json_kv_u64(w, "resident_bytes", unit_resident(m, i));
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
	return 0;
}

/* ---- snapshots ---- */

/* A unit in the state file: only the two states a snapshot can hold. */
struct saved_unit {
	u8 unplugged;
	u8 ost_seen;
	u16 reserved;
	u32 ost_event;
	u32 ost_status;
};

int kvm_memhp__check_saveable(struct kvm_vm *vm, struct err *e)
{
	struct kvm_memhp *m = vm->memhp;
	unsigned int i, queued;

	if (!m)
		return 0;
	pthread_mutex_lock(&m->lock);
	queued = m->nr_ost;
	for (i = 0; i < m->lay->nr_units; i++)
		queued += m->eject[i];
	pthread_mutex_unlock(&m->lock);
	for (i = 0; i < m->lay->nr_units; i++) {
		enum unit_state st = m->units[i].state;

		if (st != UNIT_PLUGGED && st != UNIT_UNPLUGGED)
			return err_set(e, "unit %u is %s: a snapshot waits until every memory-plug and memory-unplug has finished",
				       i, state_name[st]);
	}
	if (queued)
		return err_set(e, "%u memory hotplug report(s) of the guest are not handled yet; try again", queued);
	return 0;
}

int kvm_memhp__save(struct kvm_vm *vm, struct state_writer *w, struct err *e)
{
	struct kvm_memhp *m = vm->memhp;
	struct saved_unit units[MAX_UNITS];
	unsigned int i;

	if (!m)
		return 0;
	memset(units, 0, sizeof(units));
	for (i = 0; i < m->lay->nr_units; i++) {
		const struct memhp_unit *u = &m->units[i];

		units[i] = (struct saved_unit){
			.unplugged = u->state == UNIT_UNPLUGGED, .ost_seen = u->ost_seen,
			.ost_event = u->ost_event, .ost_status = u->ost_status,
		};
	}
	return state_writer__add(w, SNAPSHOT_UNITS, 0, units, m->lay->nr_units * sizeof(units[0]), e);
}

int kvm_memhp__load(struct kvm_vm *vm, const struct state_reader *r, struct err *e)
{
	const struct state_section *s = state_reader__find(r, SNAPSHOT_UNITS, 0);
	struct kvm_memhp *m = vm->memhp;
	struct saved_unit su[MAX_UNITS];
	unsigned int i, nr = m ? m->lay->nr_units : 0;
	struct err sub;

	if (!nr && !s)
		return 0;
	if (!s || s->size != nr * sizeof(*su))
		return err_set(e, "the state's unplug units (%llu bytes) are not the layout's %u",
			       s ? (unsigned long long)s->size : 0ULL, nr);
	memcpy(su, s->data, s->size);	/* nr <= MAX_UNITS (layout.c) */
	for (i = 0; i < nr; i++) {
		if (su[i].unplugged > 1 || su[i].ost_seen > 1 || su[i].reserved)
			return err_set(e, "unit %u: the saved state is not a unit's", i);
		/* the memory hotplug block, loaded before, must say the same */
		if (mem_hotplug__enabled(m->dev, i) == su[i].unplugged)
			return err_set(e, "unit %u: saved %s, but the memory hotplug block has it %s", i,
				       su[i].unplugged ? "unplugged" : "plugged",
				       su[i].unplugged ? "enabled" : "ejected");
	}
	for (i = 0; i < nr; i++) {
		struct memhp_unit *u = &m->units[i];
		unsigned int idx[MAX_SLOTS], n = unit_slots(m, i, idx), k;

		*u = (struct memhp_unit){
			.state = su[i].unplugged ? UNIT_UNPLUGGED : UNIT_PLUGGED,
			.ost_seen = su[i].ost_seen, .ost_event = su[i].ost_event,
			.ost_status = su[i].ost_status,
		};
		/* out of KVM and given back to the host, as it was when saved */
		for (k = 0; su[i].unplugged && k < n; k++)
			if (kvm_memory__unplug_slot(vm, idx[k], &sub))
				return err_set(e, "unit %u: %s", i, sub.msg);
	}
	return 0;
}

/* ---- lifetime ---- */

static struct device *find_device(struct kvm_vm *vm, const struct device_model *model)
{
	unsigned int i;

	for (i = 0; i < vm->nr_devs; i++)
		if (vm->devs[i].desc->model == model)
			return &vm->devs[i];
	return NULL;
}

int kvm_memhp__create(struct kvm_vm *vm, struct err *e)
{
	const struct layout *lay = vm->image->lay;
	struct mem_hotplug_backend b;
	struct kvm_memhp *m;
	unsigned int i;
	int ret;

	if (!lay->nr_units)
		return 0;
	m = calloc(1, sizeof(*m));
	if (!m)
		return err_set(e, "out of memory");
	vm->memhp = m;
	m->vm = vm;
	m->lay = lay;
	m->efd = m->timer_fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	m->dev = find_device(vm, &mem_hotplug);
	m->ged = find_device(vm, &ged);
	if (!m->dev || !m->ged)
		return err_set(e, "hotplug units without the memory hotplug device and the GED");
	m->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	m->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (m->efd < 0 || m->timer_fd < 0)
		return err_set(e, "memory hotplug: %s", strerror(errno));
	for (i = 0; i < lay->nr_units; i++) {
		const struct bus_handler h = {
			.name = "unplugged memory", .read = claim_read, .write = claim_write,
			.opaque = &m->claims[i],
		};

		m->claims[i] = (struct unit_claim){ .m = m, .base = lay->units[i].gpa };
		ret = bus__register(&vm->bus, BUS_MMIO, lay->units[i].gpa, lay->units[i].size, &h, e);
		if (ret)
			return ret;
	}
	b = (struct mem_hotplug_backend){ .ejected = on_ejected, .ost = on_ost, .opaque = m };
	mem_hotplug__set_backend(m->dev, &b, lay);
	return 0;
}

int kvm_memhp__start(struct kvm_vm *vm, struct err *e)
{
	struct kvm_memhp *m = vm->memhp;
	int ret;

	if (!m)
		return 0;
	ret = event_loop__add(vm->loop, m->efd, EPOLLIN, on_guest, m, e);
	if (!ret)
		ret = event_loop__add(vm->loop, m->timer_fd, EPOLLIN, on_timer, m, e);
	return ret;
}

void kvm_memhp__destroy(struct kvm_vm *vm)
{
	struct kvm_memhp *m = vm->memhp;

	if (!m)
		return;
	if (m->efd >= 0) {
		if (vm->loop)
			event_loop__remove(vm->loop, m->efd);
		close(m->efd);
	}
	if (m->timer_fd >= 0) {
		if (vm->loop)
			event_loop__remove(vm->loop, m->timer_fd);
		close(m->timer_fd);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
	vm->memhp = NULL;
}
