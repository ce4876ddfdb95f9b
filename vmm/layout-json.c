// SPDX-License-Identifier: GPL-2.0
/*
 * --dump-firmware DIR/layout.json: the guest-physical layout as data, so
 * that tests and tools read what mirrorvm laid out instead of re-deriving
 * the rules (nodes in id order from 0, the 32-bit hole, reliable ranges
 * merged, slots cut at reliable edges, the guest's memory block size).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "layout.h"

static void range(struct json_writer *w, u64 start, u64 size)
{
	json_object_begin(w);
	json_kv_u64(w, "start", start);
	json_kv_u64(w, "size", size);
	json_object_end(w);
}

static void node(struct json_writer *w, const struct layout *lay, const struct layout_node *n)
{
	char list[512];
	unsigned int i;

	json_object_begin(w);
	json_kv_u64(w, "id", n->id);
	json_kv_u64(w, "size", n->size);
	json_kv_bool(w, "reliable", n->reliable);
	json_kv_bool(w, "hotplug", n->hotplug);
	if (n->hotplug)
		json_kv_u64(w, "unplug_unit", n->unplug_unit);
	json_key(w, "cpus");
	json_array_begin(w);
	for (i = 0; i < lay->nr_cpus; i++)
		if (idset_has(&n->cpus, i))
			json_u64(w, i);
	json_array_end(w);
	json_key(w, "ram");
	json_array_begin(w);
	for (i = n->first_ram; i < n->first_ram + n->nr_ram; i++)
		range(w, lay->ram[i].start, lay->ram[i].size);
	json_array_end(w);
	json_key(w, "host");
	json_object_begin(w);
	json_kv_string(w, "backing", backing_name(n->host.backing));
	json_kv_bool(w, "prefault", n->host.prefault);
	if (n->host.has_host_nodes) {
		idset_format(&n->host.host_nodes, list, sizeof(list));
		json_kv_string(w, "host_nodes", list);
		json_kv_string(w, "policy", policy_name(n->host.policy));
	} else {
		json_kv_null(w, "host_nodes");
		json_kv_null(w, "policy");
	}
	json_object_end(w);
	json_object_end(w);
}

int layout__json(const struct layout *lay, struct json_writer *w)
{
	struct mem_slot *slots = calloc(MAX_SLOTS, sizeof(*slots));
	unsigned int i, nr;

	if (!slots)
		return -ENOMEM;
	nr = layout__slots(lay, slots, MAX_SLOTS);
	json_object_begin(w);
	json_kv_u64(w, "cpus", lay->nr_cpus);
	json_kv_u64(w, "total_ram", lay->total_ram);
	json_kv_u64(w, "ram_end", lay->ram_end);
	json_kv_u64(w, "block_size", lay->block_size);
	json_kv_string(w, "host_mirror", host_mirror_name(lay->host_mirror));
	json_key(w, "nodes");
	json_array_begin(w);
	for (i = 0; i < lay->nr_nodes; i++)
		node(w, lay, &lay->nodes[i]);
	json_array_end(w);
	json_key(w, "reliable");
	json_array_begin(w);
	for (i = 0; i < lay->nr_reliable; i++)
		range(w, lay->reliable[i].start, lay->reliable[i].size);
	json_array_end(w);
	json_key(w, "units");
	json_array_begin(w);
	for (i = 0; i < lay->nr_units; i++) {
		json_object_begin(w);
		json_kv_u64(w, "id", i);
		json_kv_u64(w, "gpa", lay->units[i].gpa);
		json_kv_u64(w, "size", lay->units[i].size);
		json_kv_u64(w, "node", lay->units[i].node);
		json_object_end(w);
	}
	json_array_end(w);
	json_key(w, "slots");
	json_array_begin(w);
	for (i = 0; i < nr; i++) {
		json_object_begin(w);
		json_kv_u64(w, "gpa", slots[i].gpa);
		json_kv_u64(w, "size", slots[i].size);
		json_kv_u64(w, "node", slots[i].node);
		json_kv_bool(w, "reliable", slots[i].reliable);
		if (slots[i].unit)
			json_kv_u64(w, "unit", slots[i].unit - 1);
		else
			json_kv_null(w, "unit");
		json_object_end(w);
	}
	json_array_end(w);
	json_key(w, "cpu_node");
	json_array_begin(w);
	for (i = 0; i < lay->nr_cpus; i++)
		json_u64(w, lay->cpu_node[i]);
	json_array_end(w);
	json_object_end(w);
	free(slots);
	return 0;
}

int layout__write_json(const struct layout *lay, const char *dir, struct err *e)
{
	struct json_writer w;
	char path[4096];
	int ret;

	json_writer_init(&w, JSON_PRETTY);
	ret = layout__json(lay, &w);
	if (ret)
		ret = err_set(e, "out of memory");
	else
		ret = json_writer_finish(&w, e);
	if (!ret) {
		snprintf(path, sizeof(path), "%s/layout.json", dir);
		ret = write_file(path, w.buf, w.len, e);
	}
	json_writer_free(&w);
	return ret;
}
