// SPDX-License-Identifier: GPL-2.0
/*
 * Memory hotplug: each unplug unit of a hotplug node (layout.h) is an ACPI
 * memory device (PNP0C80) whose _STA, _EJ0 and _OST go through this
 * register block, and the GED's event makes the guest scan it for units to
 * eject or to add.  The registers are QEMU's documented memory hotplug
 * interface (docs/specs/acpi_mem_hotplug.rst in QEMU), at QEMU's address,
 * so that the same AML could drive QEMU's own block:
 *
 *   read:  0x00 address low   0x04 address high   0x08 size low
 *          0x0c size high     0x10 proximity      0x14 status:
 *            bit 0 enabled, bit 1 insert pending, bit 2 remove pending,
 *            bits 3-7 zero (an absent block reads all-ones there: the AML
 *            ignores a unit whose reserved bits are set)
 *   write: 0x00 selector      0x04 _OST event     0x08 _OST status
 *          0x14 control: bit 1 clears insert, else bit 2 clears remove,
 *            else bit 3 ejects (one action per write, as QEMU)
 *
 * Everything else reads 0 and ignores writes; a selector beyond the units
 * selects nothing.  The eject takes effect here at once (the unit reads
 * disabled), because Linux reads _STA right after _EJ0; the engine is told
 * through the backend and frees the memory on its own thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aml.h"
#include "device.h"
#include "layout.h"
#include "mem-hotplug.h"
#include "platform.h"

#define REG_ADDR_LO	0x00
#define REG_ADDR_HI	0x04
#define REG_SIZE_LO	0x08
#define REG_SIZE_HI	0x0c
#define REG_PXM		0x10
#define REG_STATUS	0x14
#define REG_SELECTOR	0x00	/* write */
#define REG_OST_EVENT	0x04	/* write */
#define REG_OST_STATUS	0x08	/* write */
#define REG_CONTROL	0x14	/* write */
#define REG_LEN		0x18

#define STATUS_ENABLED	0x01
#define STATUS_INSERT	0x02
#define STATUS_REMOVE	0x04
#define CTL_CLEAR_INSERT 0x02
#define CTL_CLEAR_REMOVE 0x04
#define CTL_EJECT	0x08

struct mhp_unit {
	bool enabled;
	bool inserting;
	bool removing;
	u32 ost_event;
};

struct mem_hotplug {
	struct device *dev;
	pthread_mutex_t lock;
	const struct layout *lay;	/* the units' addresses, sizes and nodes */
	struct mhp_unit *units;
	unsigned int nr;
	u32 selector;
	struct mem_hotplug_backend backend;
};

static struct mhp_unit *selected(struct mem_hotplug *m)
{
	return m->selector < m->nr ? &m->units[m->selector] : NULL;
}

static void mhp_read(struct device *dev, u64 off, u8 *data, unsigned int size)
{
	struct mem_hotplug *m = dev->state;
	u8 regs[REG_LEN] = { 0 };
	struct mhp_unit *u;
	u64 v;
	u32 v32;

	pthread_mutex_lock(&m->lock);
	u = selected(m);
	if (u) {
		const struct unplug_unit *lu = &m->lay->units[m->selector];

		v = lu->gpa;
		memcpy(regs + REG_ADDR_LO, &v, 8);
		v = lu->size;
		memcpy(regs + REG_SIZE_LO, &v, 8);
		v32 = lu->node;
		memcpy(regs + REG_PXM, &v32, 4);
		regs[REG_STATUS] = (u->enabled ? STATUS_ENABLED : 0) |
				   (u->inserting ? STATUS_INSERT : 0) |
				   (u->removing ? STATUS_REMOVE : 0);
	}
	pthread_mutex_unlock(&m->lock);
	memcpy(data, regs + off, size);
}

static void mhp_write(struct device *dev, u64 off, const u8 *data, unsigned int size)
{
	struct mem_hotplug *m = dev->state;
	struct mem_hotplug_backend b;
	unsigned int unit = 0;
	enum { NONE, OST, EJECT } what = NONE;
	struct mhp_unit *u;
	u32 v = 0, event = 0;

	memcpy(&v, data, MIN(size, sizeof(v)));
	pthread_mutex_lock(&m->lock);
	b = m->backend;
	u = selected(m);
	switch (off) {
	case REG_SELECTOR:
		m->selector = v;
		break;
	case REG_OST_EVENT:
		if (u)
			u->ost_event = v;
		break;
	case REG_OST_STATUS:
		if (u) {
			what = OST;
			unit = m->selector;
			event = u->ost_event;
		}
		break;
	case REG_CONTROL:
		if (!u)
			break;
		v &= 0xff;
		if (v & CTL_CLEAR_INSERT) {
			u->inserting = false;
		} else if (v & CTL_CLEAR_REMOVE) {
			u->removing = false;
		} else if ((v & CTL_EJECT) && u->enabled) {
			/* Linux reads _STA right after _EJ0: disabled from now on */
			u->enabled = false;
			u->removing = false;
			what = EJECT;
			unit = m->selector;
		}
		break;
	}
	pthread_mutex_unlock(&m->lock);
	if (what == OST && b.ost)
		b.ost(b.opaque, unit, event, v);
	else if (what == EJECT && b.ejected)
		b.ejected(b.opaque, unit);
}

static bool mhp_present(const struct layout *lay)
{
	return lay->nr_units > 0;
}

/* ---- what the engine asks (mem-hotplug.h) ---- */

void mem_hotplug__set_backend(struct device *dev, const struct mem_hotplug_backend *b,
			      const struct layout *lay)
{
	struct mem_hotplug *m = dev->state;
	unsigned int i;

	pthread_mutex_lock(&m->lock);
	m->backend = *b;
	m->lay = lay;
	/* boot memory: every unit present, no event pending */
	m->nr = MIN(lay->nr_units, (unsigned int)MAX_UNITS);
	for (i = 0; i < m->nr; i++)
		m->units[i] = (struct mhp_unit){ .enabled = true };
	pthread_mutex_unlock(&m->lock);
}

int mem_hotplug__request_remove(struct device *dev, unsigned int unit)
{
	struct mem_hotplug *m = dev->state;
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	if (unit >= m->nr || !m->units[unit].enabled)
		ret = -ENOENT;
	else
		m->units[unit].removing = true;
	pthread_mutex_unlock(&m->lock);
	return ret;
}

int mem_hotplug__insert(struct device *dev, unsigned int unit)
{
	struct mem_hotplug *m = dev->state;
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	if (unit >= m->nr || m->units[unit].enabled) {
		ret = -EEXIST;
	} else {
		m->units[unit].enabled = true;
		m->units[unit].inserting = true;
		m->units[unit].removing = false;
	}
	pthread_mutex_unlock(&m->lock);
	return ret;
}

void mem_hotplug__cancel_remove(struct device *dev, unsigned int unit)
{
	struct mem_hotplug *m = dev->state;

	pthread_mutex_lock(&m->lock);
	if (unit < m->nr)
		m->units[unit].removing = false;
	pthread_mutex_unlock(&m->lock);
}

bool mem_hotplug__enabled(struct device *dev, unsigned int unit)
{
	struct mem_hotplug *m = dev->state;
	bool on;

	pthread_mutex_lock(&m->lock);
	on = unit < m->nr && m->units[unit].enabled;
	pthread_mutex_unlock(&m->lock);
	return on;
}

/*
 * Snapshot state: the selector and each unit's flags, for a guest paused
 * with no hot-(un)plug under way (memhp.c refuses the snapshot otherwise;
 * a pending flag is saved all the same and comes back as it was).
 */
struct mhp_saved_unit {
	u8 enabled, inserting, removing, reserved;
	u32 ost_event;
};

struct mhp_saved {
	u32 nr;
	u32 selector;
	struct mhp_saved_unit units[];
};

static int mhp_save(struct device *dev, struct state_writer *w, u32 kind, u32 index,
		    struct err *e)
{
	struct mem_hotplug *m = dev->state;
	struct mhp_saved *st;
	size_t len = sizeof(*st) + m->nr * sizeof(st->units[0]);
	unsigned int i;
	int ret;

	st = calloc(1, len);
	if (!st)
		return err_set(e, "out of memory");
	pthread_mutex_lock(&m->lock);
	st->nr = m->nr;
	st->selector = m->selector;
	for (i = 0; i < m->nr; i++)
		st->units[i] = (struct mhp_saved_unit){
			.enabled = m->units[i].enabled, .inserting = m->units[i].inserting,
			.removing = m->units[i].removing, .ost_event = m->units[i].ost_event,
		};
	pthread_mutex_unlock(&m->lock);
	ret = state_writer__add(w, kind, index, st, len, e);
	free(st);
	return ret;
}

static int mhp_load(struct device *dev, const struct state_section *s, struct err *e)
{
	struct mem_hotplug *m = dev->state;
	struct mhp_saved_unit su[MAX_UNITS];
	struct mhp_saved st;
	unsigned int i;

	if (s->size < sizeof(st))
		return err_set(e, "%s: saved state of %llu bytes is not a memory hotplug block's",
			       dev->desc->name, (unsigned long long)s->size);
	memcpy(&st, s->data, sizeof(st));
	if (st.nr != m->nr || s->size != sizeof(st) + (u64)st.nr * sizeof(*su))
		return err_set(e, "%s: the saved state has %u units, the layout %u", dev->desc->name,
			       st.nr, m->nr);
	memcpy(su, s->data + sizeof(st), st.nr * sizeof(*su));	/* m->nr <= MAX_UNITS */
	for (i = 0; i < st.nr; i++)
		if (su[i].enabled > 1 || su[i].inserting > 1 || su[i].removing > 1 || su[i].reserved)
			return err_set(e, "%s: unit %u: saved flags %u/%u/%u are not a unit's",
				       dev->desc->name, i, su[i].enabled, su[i].inserting, su[i].removing);
	pthread_mutex_lock(&m->lock);
	m->selector = st.selector;
	for (i = 0; i < st.nr; i++)
		m->units[i] = (struct mhp_unit){
			.enabled = su[i].enabled, .inserting = su[i].inserting,
			.removing = su[i].removing, .ost_event = su[i].ost_event,
		};
	pthread_mutex_unlock(&m->lock);
	return 0;
}

/* ---- lifetime ---- */

static int mhp_create(struct device *dev, struct err *e)
{
	struct mem_hotplug *m = calloc(1, sizeof(*m));

	if (!m)
		return err_set(e, "out of memory");
	m->dev = dev;
	/* no unit until the engine gives the layout (mem_hotplug__set_backend) */
	m->units = calloc(MAX_UNITS, sizeof(*m->units));
	if (!m->units) {
		free(m);
		return err_set(e, "out of memory");
	}
	pthread_mutex_init(&m->lock, NULL);
	dev->state = m;
	return 0;
}

static void mhp_destroy(struct device *dev)
{
	struct mem_hotplug *m = dev->state;

	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m->units);
	free(m);
}

/* ---- AML ---- */

/* "M000".."MFFF" (MAX_UNITS is far below 4096) */
static void unit_name(char *buf, unsigned int i)
{
	snprintf(buf, 5, "M%03X", i & 0xfff);
}

/* Method (NAME, nargs) { Acquire (MLCK, 0xFFFF); MSEL = Arg0; ...; Release (MLCK) } */
static struct aml *locked_method(const char *name, unsigned int nargs)
{
	struct aml *m = aml_method(name, nargs, false);

	aml_append(m, aml_acquire(aml_ref("MLCK"), 0xffff));
	aml_append(m, aml_store(aml_arg(0), aml_ref("MSEL")));
	return m;
}

/*
 *	Device (Mxxx) {
 *		Name (_HID, EisaId ("PNP0C80"))
 *		Name (_UID, i)
 *		Name (_PXM, node)
 *		Name (_CRS, ResourceTemplate () { QWordMemory (ResourceConsumer,
 *			PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite, 0,
 *			base, base + len - 1, 0, len) })
 *		Method (_STA) { Return (MSTA (i)) }
 *		Method (_EJ0, 1) { MEJ0 (i, Arg0) }
 *		Method (_OST, 3) { MOST (i, Arg0, Arg1, Arg2) }
 *	}
 */
static struct aml *unit_device(const struct unplug_unit *u, unsigned int i)
{
	char name[5];
	struct aml *dev, *crs, *sta, *ej0, *ost;

	unit_name(name, i);
	dev = aml_device(name);
	crs = aml_resource_template();
	aml_append(dev, aml_name("_HID", aml_eisaid("PNP0C80")));
	aml_append(dev, aml_name("_UID", aml_int(i)));
	aml_append(dev, aml_name("_PXM", aml_int(u->node)));
	aml_res_qword_memory(crs, AML_RES_CONSUMER | AML_RES_POS_DECODE | AML_RES_MIN_FIXED |
			     AML_RES_MAX_FIXED, AML_MEM_READ_WRITE | AML_MEM_CACHEABLE, 0,
			     u->gpa, u->gpa + u->size - 1, 0, u->size);
	aml_append(dev, aml_name("_CRS", aml_resource_end(crs)));
	sta = aml_method("_STA", 0, false);
	aml_append(sta, aml_return(aml_call1("MSTA", aml_int(i))));
	aml_append(dev, sta);
	ej0 = aml_method("_EJ0", 1, false);
	aml_append(ej0, aml_call2("MEJ0", aml_int(i), aml_arg(0)));
	aml_append(dev, ej0);
	ost = aml_method("_OST", 3, false);
	aml_append(ost, aml_call4("MOST", aml_int(i), aml_arg(0), aml_arg(1), aml_arg(2)));
	aml_append(dev, ost);
	return dev;
}

/*
 *	Device (MHPC) {
 *		Name (_HID, "PNP0A06")
 *		Name (_UID, "mirrorvm memory hotplug")
 *		OperationRegion (HPMR, SystemIO, 0x0A00, 0x18)
 *		Field (HPMR, DWordAcc, NoLock, Preserve) { MSEL, 32, MOEV, 32, MOSC, 32 }
 *		Field (HPMR, ByteAcc, NoLock, WriteAsZeros) {
 *			Offset (20), MES, 1, MINS, 1, MRMV, 1, MEJ, 1, MRSV, 4 }
 *		Mutex (MLCK, 0)
 *		Method (MSTA, 1) {	// present, enabled, shown, functioning
 *			Acquire (MLCK, 0xFFFF)  MSEL = Arg0  Local0 = Zero
 *			If (MRSV == Zero && MES) { Local0 = 0x0F }
 *			Release (MLCK)  Return (Local0) }
 *		Method (MEJ0, 2) { Acquire  MSEL = Arg0  MEJ = One  Release }
 *		Method (MOST, 4) { Acquire  MSEL = Arg0  MOEV = Arg1  MOSC = Arg2  Release }
 *		Method (MTFY, 2) { If (Arg0 == 0) { Notify (M000, Arg1) } ... }
 *		Method (MSCN) {		// device checks and eject requests
 *			Acquire (MLCK, 0xFFFF)  Local0 = Zero
 *			While (Local0 < N) {
 *				MSEL = Local0
 *				If (MRSV == Zero) {	// all-ones: no block here
 *					If (MINS) { MTFY (Local0, 1)  MINS = One }
 *					ElseIf (MRMV) { MTFY (Local0, 3)  MRMV = One }
 *				}
 *				Local0++
 *			}
 *			Release (MLCK) }
 *		Device (M000) ...
 *	}
 */
static int mhp_aml(struct aml *sb, const struct platform_device *d, const struct layout *lay)
{
	struct aml *dev = aml_device(d->name);
	struct aml *f1 = aml_field("HPMR", AML_DWORD_ACC, AML_NOLOCK, AML_PRESERVE);
	struct aml *f2 = aml_field("HPMR", AML_BYTE_ACC, AML_NOLOCK, AML_WRITE_AS_ZEROS);
	struct aml *sta = locked_method("MSTA", 1), *ej0 = locked_method("MEJ0", 2);
	struct aml *ost = locked_method("MOST", 4), *tfy = aml_method("MTFY", 2, false);
	struct aml *scn = aml_method("MSCN", 0, false), *loop, *there, *ins, *rmv, *els, *ok;
	unsigned int i;

	aml_append(dev, aml_name("_HID", aml_string("PNP0A06")));
	aml_append(dev, aml_name("_UID", aml_string("mirrorvm memory hotplug")));
	aml_append(dev, aml_operation_region("HPMR", AML_SYSTEM_IO, d->base, d->len));
	aml_append(f1, aml_named_field("MSEL", 32));
	aml_append(f1, aml_named_field("MOEV", 32));
	aml_append(f1, aml_named_field("MOSC", 32));
	aml_append(dev, f1);
	aml_append(f2, aml_field_offset(REG_STATUS));
	aml_append(f2, aml_named_field("MES", 1));
	aml_append(f2, aml_named_field("MINS", 1));
	aml_append(f2, aml_named_field("MRMV", 1));
	aml_append(f2, aml_named_field("MEJ", 1));
	aml_append(f2, aml_named_field("MRSV", 4));
	aml_append(dev, f2);
	aml_append(dev, aml_mutex("MLCK", 0));

	aml_append(sta, aml_store(aml_int(0), aml_local(0)));
	ok = aml_if(aml_land(aml_equal(aml_ref("MRSV"), aml_int(0)), aml_ref("MES")));
	aml_append(ok, aml_store(aml_int(0x0f), aml_local(0)));
	aml_append(sta, ok);
	aml_append(sta, aml_release(aml_ref("MLCK")));
	aml_append(sta, aml_return(aml_local(0)));
	aml_append(dev, sta);

	aml_append(ej0, aml_store(aml_int(1), aml_ref("MEJ")));
	aml_append(ej0, aml_release(aml_ref("MLCK")));
	aml_append(dev, ej0);

	aml_append(ost, aml_store(aml_arg(1), aml_ref("MOEV")));
	aml_append(ost, aml_store(aml_arg(2), aml_ref("MOSC")));
	aml_append(ost, aml_release(aml_ref("MLCK")));
	aml_append(dev, ost);

	for (i = 0; i < lay->nr_units; i++) {
		char name[5];
		struct aml *is = aml_if(aml_equal(aml_arg(0), aml_int(i)));

		unit_name(name, i);
		aml_append(is, aml_notify(aml_ref(name), aml_arg(1)));
		aml_append(tfy, is);
	}
	aml_append(dev, tfy);

	aml_append(scn, aml_acquire(aml_ref("MLCK"), 0xffff));
	aml_append(scn, aml_store(aml_int(0), aml_local(0)));
	loop = aml_while(aml_lless(aml_local(0), aml_int(lay->nr_units)));
	aml_append(loop, aml_store(aml_local(0), aml_ref("MSEL")));
	there = aml_if(aml_equal(aml_ref("MRSV"), aml_int(0)));
	ins = aml_if(aml_ref("MINS"));
	aml_append(ins, aml_call2("MTFY", aml_local(0), aml_int(1)));
	aml_append(ins, aml_store(aml_int(1), aml_ref("MINS")));
	aml_append(there, ins);
	els = aml_else();
	rmv = aml_if(aml_ref("MRMV"));
	aml_append(rmv, aml_call2("MTFY", aml_local(0), aml_int(3)));
	aml_append(rmv, aml_store(aml_int(1), aml_ref("MRMV")));
	aml_append(els, rmv);
	aml_append(there, els);
	aml_append(loop, there);
	aml_append(loop, aml_increment(aml_local(0)));
	aml_append(scn, loop);
	aml_append(scn, aml_release(aml_ref("MLCK")));
	aml_append(dev, scn);

	for (i = 0; i < lay->nr_units; i++)
		aml_append(dev, unit_device(&lay->units[i], i));
	aml_append(sb, dev);
	return aml_err(sb);
}

const struct device_model mem_hotplug = {
	.kind = "memory hotplug",
	.present = mhp_present,
	.aml = mhp_aml,
	.ops = { .create = mhp_create, .destroy = mhp_destroy, .read = mhp_read, .write = mhp_write,
		 .save = mhp_save, .load = mhp_load },
};
