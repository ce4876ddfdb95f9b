/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_DEVICE_H
#define MIRRORVM_DEVICE_H

/*
 * The platform's devices: one table (vmm/platform/devices.c) that the
 * firmware builder reads for the DSDT and the MADT, and that engines read
 * to emulate each device (KVM engine) or map it onto one of their own
 * (QEMU engine).  A device model (vmm/hw/) supplies its AML and, for an
 * engine that emulates it, its registers; it talks to the VM only through
 * a struct dev_ctx, never through an engine's structures.
 *
 * Adding a device: its own file in vmm/hw/ defining a struct device_model,
 * a declaration below, one row in the table (docs/architecture.md).
 */
#include "bus.h"
#include "ending.h"
#include "state-file.h"
#include "util.h"

struct aml;
struct layout;
struct device;

/* What a device may do to the VM it sits in, and nothing else. */
struct dev_ctx {
	/* Drives the device's interrupt line (its GSI) high (1) or low (0). */
	void (*set_irq)(struct dev_ctx *ctx, unsigned int gsi, int level);
	/* Ends the VM; the first ending wins. */
	void (*end)(struct dev_ctx *ctx, enum vm_end end, int status);
	/* Bytes the guest sends to the host console. */
	void (*console_out)(struct dev_ctx *ctx, const u8 *buf, size_t len);
	void *opaque;
};

struct dev_ops {
	/* Allocates dev->state; the VM has not started. */
	int (*create)(struct device *dev, struct err *e);
	void (*destroy)(struct device *dev);
	/* Register accesses, from any vCPU thread (as bus.h's handlers). */
	void (*read)(struct device *dev, u64 off, u8 *data, unsigned int size);
	void (*write)(struct device *dev, u64 off, const u8 *data, unsigned int size);
	/* Console input (the serial port): bytes it can take now, and them. */
	size_t (*input_room)(struct device *dev);
	void (*input)(struct device *dev, const u8 *buf, size_t len);
	/*
	 * Snapshots (docs/state-file.md): the device's state as one state
	 * file section of @kind and @index, and back, while the VM is paused.
	 * load checks the whole section before it changes anything.  A device
	 * with state (a create()) but no save() cannot be in a snapshot.
	 */
	int (*save)(struct device *dev, struct state_writer *w, u32 kind, u32 index, struct err *e);
	int (*load)(struct device *dev, const struct state_section *s, struct err *e);
};

/* MADT interrupt source override flags (ACPI 6.5 table 5.26, MPS INTI). */
#define MADT_POLARITY_HIGH	0x1
#define MADT_POLARITY_LOW	0x3
#define MADT_TRIGGER_EDGE	(0x1 << 2)
#define MADT_TRIGGER_LEVEL	(0x3 << 2)

struct platform_device;

/* What a kind of device is: its ACPI description and its emulation. */
struct device_model {
	const char *kind;		/* "8250", "pvpanic", ... for messages */
	/*
	 * MADT override flags for its GSI when it is not ISA's default
	 * (edge, active high): 0 for none.
	 */
	unsigned int irq_flags;
	/* Whether the layout has this device (NULL: always). */
	bool (*present)(const struct layout *lay);
	/* Appends its ACPI device to \_SB (NULL: nothing in the DSDT). */
	int (*aml)(struct aml *sb, const struct platform_device *d, const struct layout *lay);
	struct dev_ops ops;		/* what an emulating engine runs */
};

#define NO_GSI	(-1)

/* One row of the platform. */
struct platform_device {
	const char *name;		/* ACPI device name; in messages too */
	enum bus_space space;
	u64 base;
	u64 len;
	int gsi;			/* NO_GSI: no interrupt */
	const struct device_model *model;
};

extern const struct platform_device platform_devices[];
extern const unsigned int nr_platform_devices;

bool platform_device__present(const struct platform_device *d, const struct layout *lay);

/* A live device of an engine that emulates the platform. */
struct device {
	const struct platform_device *desc;
	struct dev_ctx *ctx;
	void *state;
};

/* Creates @dev's model and claims its range on @bus. */
int device__create(struct device *dev, const struct platform_device *desc,
		   struct dev_ctx *ctx, struct bus *bus, struct err *e);
void device__destroy(struct device *dev);

/* The device models (vmm/hw/). */
extern const struct device_model serial_8250;
extern const struct device_model pvpanic;
extern const struct device_model control_port;
extern const struct device_model status_port;
extern const struct device_model ged;
extern const struct device_model mem_hotplug;
/* Latches GED event @bit and raises its interrupt (hw/ged.c). */
void ged__raise(struct device *dev, unsigned int bit);

/* Test hook (MIRRORVM_TEST_DEVICES=1; no table row): hw/test-port.c. */
struct json_writer;
extern const struct device_model test_port;
int test_port__query(struct device *dev, struct json_writer *w);

#endif
