// SPDX-License-Identifier: GPL-2.0
/*
 * The Generic Event Device (ACPI 6.5 5.6.9, _HID ACPI0013): how a
 * HW-reduced platform tells the guest that something happened, here that
 * memory may be plugged or unplugged (event sources call ged__raise()).  Linux's GED driver (drivers/acpi/evged.c) requests the
 * interrupt in _CRS and runs _EVT on it.
 *
 * The events are latched in a 4-byte GPE block at MVM_GPE0_PORT, the
 * layout of QEMU's PIIX4 GPE0 block (status bytes 0-1, write 1 to clear;
 * enable bytes 2-3), so that the same AML can later drive QEMU's own block.
 * The interrupt line is level-triggered and high while any enabled status
 * bit is set.  _EVT reads the pending bits and clears them; a block that is
 * not there reads all-ones, which _EVT ignores rather than taking for
 * every event at once.
 */
#include <pthread.h>
#include <stdlib.h>

#include "aml.h"
#include "device.h"
#include "layout.h"
#include "mem-hotplug.h"
#include "platform.h"

#define GPE_STS		0	/* 2 bytes, write 1 to clear */
#define GPE_EN		2	/* 2 bytes */

struct ged {
	struct device *dev;
	pthread_mutex_t lock;
	u8 sts[2];
	u8 en[2];
	int level;
};

static void update_irq(struct ged *g)
{
	int level = (g->sts[0] & g->en[0]) || (g->sts[1] & g->en[1]);

	if (level == g->level || g->dev->desc->gsi == NO_GSI)
		return;
	g->level = level;
	g->dev->ctx->set_irq(g->dev->ctx, g->dev->desc->gsi, level);
}

static void ged_read(struct device *dev, u64 off, u8 *data, unsigned int size)
{
	struct ged *g = dev->state;
	unsigned int i;

	pthread_mutex_lock(&g->lock);
	for (i = 0; i < size; i++)
		data[i] = off + i < GPE_EN ? g->sts[off + i] : g->en[off + i - GPE_EN];
	pthread_mutex_unlock(&g->lock);
}

static void ged_write(struct device *dev, u64 off, const u8 *data, unsigned int size)
{
	struct ged *g = dev->state;
	unsigned int i;

	pthread_mutex_lock(&g->lock);
	for (i = 0; i < size; i++) {
		if (off + i < GPE_EN)
			g->sts[off + i] &= ~data[i];
		else
			g->en[off + i - GPE_EN] = data[i];
	}
	update_irq(g);
	pthread_mutex_unlock(&g->lock);
}

/* Latches event @bit (0-15) and raises the interrupt when it is enabled. */
void ged__raise(struct device *dev, unsigned int bit)
{
	struct ged *g = dev->state;

	if (bit >= 16)
		return;
	pthread_mutex_lock(&g->lock);
	g->sts[bit / 8] |= 1U << (bit % 8);
	update_irq(g);
	pthread_mutex_unlock(&g->lock);
}

/* Snapshot state: the GPE block and the interrupt line it drives. */
enum { ST_STS0, ST_STS1, ST_EN0, ST_EN1, ST_LEVEL, ST_LEN };

static int ged_save(struct device *dev, struct state_writer *w, u32 kind, u32 index,
		    struct err *e)
{
	struct ged *g = dev->state;
	u8 st[ST_LEN];

	pthread_mutex_lock(&g->lock);
	st[ST_STS0] = g->sts[0];
	st[ST_STS1] = g->sts[1];
	st[ST_EN0] = g->en[0];
	st[ST_EN1] = g->en[1];
	st[ST_LEVEL] = g->level > 0;
	pthread_mutex_unlock(&g->lock);
	return state_writer__add(w, kind, index, st, sizeof(st), e);
}

static int ged_load(struct device *dev, const struct state_section *s, struct err *e)
{
	struct ged *g = dev->state;
	const u8 *st = s->data;
	bool pending;

	if (s->size != ST_LEN || st[ST_LEVEL] > 1)
		return err_set(e, "%s: saved state of %llu bytes is not a GED's", dev->desc->name,
			       (unsigned long long)s->size);
	pending = (st[ST_STS0] & st[ST_EN0]) || (st[ST_STS1] & st[ST_EN1]);
	if (pending != st[ST_LEVEL])
		return err_set(e, "%s: the saved interrupt line contradicts the saved events",
			       dev->desc->name);
	pthread_mutex_lock(&g->lock);
	g->sts[0] = st[ST_STS0];
	g->sts[1] = st[ST_STS1];
	g->en[0] = st[ST_EN0];
	g->en[1] = st[ST_EN1];
	g->level = -1;	/* drive the line whatever it was */
	update_irq(g);
	pthread_mutex_unlock(&g->lock);
	return 0;
}

static int ged_create(struct device *dev, struct err *e)
{
	struct ged *g = calloc(1, sizeof(*g));

	if (!g)
		return err_set(e, "out of memory");
	g->dev = dev;
	pthread_mutex_init(&g->lock, NULL);
	dev->state = g;
	return 0;
}

static void ged_destroy(struct device *dev)
{
	struct ged *g = dev->state;

	if (!g)
		return;
	pthread_mutex_destroy(&g->lock);
	free(g);
}

/* Events come from memory hotplug: layouts with unplug units have one. */
static bool ged_present(const struct layout *lay)
{
	return lay->nr_units > 0;
}

/*
 *	Device (GED0) {
 *		Name (_HID, "ACPI0013")
 *		Name (_UID, Zero)
 *		Name (_CRS, ResourceTemplate () {
 *			Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) { 9 } })
 *		OperationRegion (GPE0, SystemIO, 0xAFE0, 0x04)
 *		Field (GPE0, ByteAcc, NoLock, Preserve) { GSTS, 8, Offset (2), GEN0, 8 }
 *		Method (_INI) { GEN0 = 0x08 }	// the events _EVT handles
 *		Method (_EVT, 1, Serialized) {
 *			If (Arg0 == 9) {
 *				If (!(GSTS == 0xFF)) {		// all-ones: no GPE block
 *					Local0 = GSTS & GEN0	// pending, enabled
 *					GSTS = Local0		// clear what we take
 *					If (Local0 & 0x08) { \_SB.MHPC.MSCN () }
 *				}
 *			}
 *		}
 *	}
 */
static int ged_aml(struct aml *sb, const struct platform_device *d, const struct layout *lay)
{
	struct aml *dev = aml_device(d->name);
	struct aml *crs = aml_resource_template();
	struct aml *field = aml_field("GPE0", AML_BYTE_ACC, AML_NOLOCK, AML_PRESERVE);
	struct aml *evt = aml_method("_EVT", 1, true);
	struct aml *ours = aml_if(aml_equal(aml_arg(0), aml_int(d->gsi)));
	struct aml *there = aml_if(aml_lnot(aml_equal(aml_ref("GSTS"), aml_int(0xff))));
	struct aml *ini = aml_method("_INI", 0, false);
	struct aml *mem;
	u32 gsi = d->gsi;

	(void)lay;
	aml_append(dev, aml_name("_HID", aml_string("ACPI0013")));
	aml_append(dev, aml_name("_UID", aml_int(0)));
	aml_res_interrupt(crs, AML_INT_CONSUMER | AML_INT_LEVEL | AML_INT_ACTIVE_HIGH |
			  AML_INT_EXCLUSIVE, &gsi, 1);
	aml_append(dev, aml_name("_CRS", aml_resource_end(crs)));
	aml_append(dev, aml_operation_region("GPE0", AML_SYSTEM_IO, MVM_GPE0_PORT, 4));
	aml_append(field, aml_named_field("GSTS", 8));
	aml_append(field, aml_field_offset(GPE_EN));
	aml_append(field, aml_named_field("GEN0", 8));
	aml_append(dev, field);
	/*
	 * A HW-reduced OS never touches a GPE block: the firmware enables the
	 * events it handles itself, when ACPICA initializes the device.
	 */
	aml_append(ini, aml_store(aml_int(1U << GED_EVENT_MEMORY), aml_ref("GEN0")));
	aml_append(dev, ini);
	aml_append(there, aml_and(aml_ref("GSTS"), aml_ref("GEN0"), aml_local(0)));
	aml_append(there, aml_store(aml_local(0), aml_ref("GSTS")));
	/* memory hotplug: the scan of hw/mem-hotplug.c, present with the GED */
	mem = aml_if(aml_and(aml_local(0), aml_int(1U << GED_EVENT_MEMORY), NULL));
	aml_append(mem, aml_call0("\\_SB.MHPC.MSCN"));
	aml_append(there, mem);
	aml_append(ours, there);
	aml_append(evt, ours);
	aml_append(dev, evt);
	aml_append(sb, dev);
	return aml_err(sb);
}

const struct device_model ged = {
	.kind = "GED",
	.irq_flags = MADT_POLARITY_HIGH | MADT_TRIGGER_LEVEL,
	.present = ged_present,
	.aml = ged_aml,
	.ops = { .create = ged_create, .destroy = ged_destroy, .read = ged_read, .write = ged_write,
		 .save = ged_save, .load = ged_load },
};
