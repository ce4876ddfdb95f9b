/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_MEM_HOTPLUG_H
#define MIRRORVM_MEM_HOTPLUG_H

/*
 * The memory hotplug device (hw/mem-hotplug.c) as an engine drives it: the
 * guest's side goes through its registers; the engine asks for removals and
 * insertions here and learns of ejects and _OST reports through its
 * backend.  The GED's event bit (GED_EVENT_MEMORY) makes the guest look.
 */
#include "device.h"

struct layout;

/* GED event bit for memory hotplug (QEMU's ACPI_MEMORY_HOTPLUG_STATUS). */
#define GED_EVENT_MEMORY	3

struct mem_hotplug_backend {
	/*
	 * The guest ejected @unit (_EJ0): it already reads disabled; called
	 * on the vCPU thread that wrote the register, so it must not block.
	 */
	void (*ejected)(void *opaque, unsigned int unit);
	/* The guest reported _OST(@event, @status) for @unit. */
	void (*ost)(void *opaque, unsigned int unit, u32 event, u32 status);
	void *opaque;
};

/* Gives the device the layout's units (all present) and the backend. */
void mem_hotplug__set_backend(struct device *dev, const struct mem_hotplug_backend *b,
			      const struct layout *lay);
/* Marks @unit for removal (the guest sees it at its next scan): 0, -ENOENT. */
int mem_hotplug__request_remove(struct device *dev, unsigned int unit);
/* A removal the engine gave up on: the pending request is withdrawn. */
void mem_hotplug__cancel_remove(struct device *dev, unsigned int unit);
/* Makes an ejected @unit present again with an insert event: 0, -EEXIST. */
int mem_hotplug__insert(struct device *dev, unsigned int unit);
bool mem_hotplug__enabled(struct device *dev, unsigned int unit);

#endif
