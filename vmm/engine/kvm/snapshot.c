// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots of a KVM engine VM (snapshot.h): saving a paused VM into a
 * state file and sparse memory parts, and loading them into a VM that
 * kvm_vm__create() made from the same guest description, instead of
 * booting it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "json.h"
#include "kvm-state.h"
#include "kvm-vm.h"
#include "layout.h"
#include "live-update.h"

/* The layout as layout.json has it: what a restore must find again. */
static int layout_text(const struct layout *lay, struct json_writer *w, struct err *e)
{
	json_writer_init(w, 0);
	if (layout__json(lay, w))
		return err_set(e, "the layout as JSON: out of memory");
	return json_writer_finish(w, e);
}

static unsigned int row_of(const struct device *dev)
{
	return dev->desc - platform_devices;
}

/* 0 when this VM can be saved now, else why not in @e. */
static int check_saveable(struct kvm_vm *vm, struct err *e)
{
	unsigned int i;
	int ret = kvm_memhp__check_saveable(vm, e);

	if (ret)
		return ret;
	for (i = 0; i < vm->nr_devs; i++) {
		const struct dev_ops *ops = &vm->devs[i].desc->model->ops;

		if (ops->create && !ops->save)
			return err_set(e, "device %s (%s) has state that snapshots cannot save",
				       vm->devs[i].desc->name, vm->devs[i].desc->model->kind);
	}
	if (!vm->image->guest_flags)
		return err_set(e, "the guest's description is not known to the engine");
	return 0;
}

static int add_guest(struct kvm_vm *vm, struct state_writer *w, struct err *e)
{
	const struct flag_list *f = vm->image->guest_flags;
	struct json_writer lw;
	size_t len = 0, off = 0;
	char *words;
	int i, ret;

	/* argv[0] is the program's name (spec__to_flags): flags only */
	for (i = 1; i < f->argc; i++)
		len += strlen(f->argv[i]) + 1;
	words = malloc(len ? len : 1);
	if (!words)
		return err_set(e, "out of memory");
	for (i = 1; i < f->argc; i++) {
		memcpy(words + off, f->argv[i], strlen(f->argv[i]) + 1);
		off += strlen(f->argv[i]) + 1;
	}
	ret = state_writer__add(w, SNAPSHOT_GUEST_FLAGS, 0, words, len, e);
	free(words);
	if (ret)
		return ret;
	ret = layout_text(vm->image->lay, &lw, e);
	if (!ret)
		ret = state_writer__add(w, SNAPSHOT_LAYOUT, 0, lw.buf, lw.len, e);
	json_writer_free(&lw);
	return ret;
}

static int add_devices(struct kvm_vm *vm, struct state_writer *w, struct err *e)
{
	unsigned int i;
	int ret;

	for (i = 0; i < vm->nr_devs; i++) {
		struct device *dev = &vm->devs[i];

		if (!dev->desc->model->ops.save)
			continue;
		ret = dev->desc->model->ops.save(dev, w, SNAPSHOT_DEVICE, row_of(dev), e);
		if (ret)
			return ret;
	}
	if (vm->test_port.desc)
		return test_port.ops.save(&vm->test_port, w, SNAPSHOT_TEST_PORT, 0, e);
	return 0;
}

static int write_state(int fd, const u8 *buf, size_t len, struct err *e)
{
	int ret = pwrite_all(fd, buf, len, 0);

	if (ret)
		return err_set(e, "writing the state file: %s", strerror(-ret));
	if (ftruncate(fd, len))
		return err_set(e, "writing the state file: %s", strerror(errno));
	return 0;
}

/*
 * The state file of the paused VM into @state_fd: its description, what
 * KVM holds, the devices; with @live_slots (a live update) which RAM
 * slots' memfds go to PRAM, else the snapshot's memory map (@map,
 * @map_len bytes: its memory parts and what each holds).  Its size into
 * *@len.
 */
static int save_state(struct kvm_vm *vm, int state_fd, const u8 *live_slots, const u8 *map,
		      size_t map_len, size_t *len, struct err *e)
{
	struct state_writer w;
	unsigned int i;
	u8 *file = NULL;
	int ret;

	*len = 0;
	state_writer__init(&w);
	ret = add_guest(vm, &w, e);
	if (!ret)
		ret = kvm_state__save_vm(vm->vm_fd, &w, e);
	for (i = 0; !ret && i < vm->nr_vcpus; i++)
		ret = kvm_state__save_vcpu(vm->sys_fd, vm->vcpus[i].fd, i, &w, e);
	if (!ret)
		ret = add_devices(vm, &w, e);
	if (!ret)
		ret = kvm_memhp__save(vm, &w, e);
	if (!ret && live_slots)
		ret = state_writer__add(&w, SNAPSHOT_LIVE_SLOTS, 0, live_slots, vm->nr_ram, e);
	if (!ret && map)
		ret = state_writer__add(&w, SNAPSHOT_MEMORY_MAP, 0, map, map_len, e);
	if (!ret)
		ret = state_writer__finish(&w, &file, len, e);
	state_writer__free(&w);
	if (!ret)
		ret = write_state(state_fd, file, *len, e);
	free(file);
	return ret;
}

int kvm_snapshot__save(struct kvm_vm *vm, int state_fd, const int *memory_fds,
		       unsigned int nr_parts, struct kvm_snapshot_stats *st, struct err *e)
{
	u64 t0 = mono_ms();
	size_t len = 0, map_len = 0;
	u8 *map = NULL;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = check_saveable(vm, e);
	if (ret)
		return ret;
	/* memory first: the state says which part got which chunk */
	ret = kvm_memory__save(vm, memory_fds, nr_parts, &map, &map_len, &st->memory_bytes, e);
	if (!ret)
		ret = save_state(vm, state_fd, NULL, map, map_len, &len, e);
	free(map);
	st->state_bytes = len;
	st->ms = mono_ms() - t0;
	return ret ? -EIO : 0;
}

/* ---- live update ---- */

int kvm_snapshot__check_live(struct kvm_vm *vm, struct err *e)
{
	unsigned int i;
	int ret = check_saveable(vm, e);

	if (ret)
		return ret;
	for (i = 0; i < vm->nr_ram; i++) {
		const struct ram_mapping *r = &vm->ram[i];
		const struct layout_node *n = &vm->image->lay->nodes[r->slot.node];

		if (r->unplugged || r->memfd >= 0)
			continue;
		return err_set(e, "live update keeps guest RAM in memfds: node %u [0x%llx-0x%llx) is %s (use backing=memfd; reliable ranges in MFD_MIRROR, on a host with kvm-patches)",
			       n->id, (unsigned long long)r->slot.gpa,
			       (unsigned long long)(r->slot.gpa + r->slot.size),
			       r->host_mirrored ? "in 1 GiB hugetlb pages (stock-host mirror method)" :
			       n->host.backing == BACKING_ANON ? "backing=anon" : "in hugetlb pages");
	}
	return 0;
}

int kvm_snapshot__live_update(struct kvm_vm *vm, int pram_fd, int state_fd, const char *name,
			      struct kvm_live_update_stats *st, struct err *e)
{
	u8 live_slots[MAX_SLOTS] = { 0 };
	u64 t0 = mono_ms();
	unsigned int i;
	size_t len;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = kvm_snapshot__check_live(vm, e);
	if (ret)
		return ret;
	for (i = 0; i < vm->nr_ram; i++)
		live_slots[i] = !vm->ram[i].unplugged;
	ret = save_state(vm, state_fd, live_slots, NULL, 0, &len, e);
	if (ret)
		return ret;
	st->state_bytes = len;
	st->save_ms = mono_ms() - t0;
	t0 = mono_ms();
	for (i = 0; i < vm->nr_ram; i++) {
		if (!live_slots[i])
			continue;
		ret = pram__preserve(pram_fd, vm->ram[i].memfd, live_update__token(name, i), e);
		if (ret)
			return ret;
		st->memfds++;
		st->memory_bytes += vm->ram[i].slot.size;
	}
	ret = pram__preserve(pram_fd, state_fd, live_update__token(name, LIVE_UPDATE_STATE_INDEX), e);
	st->preserve_ms = mono_ms() - t0;
	return ret;
}

/* ---- restore ---- */

static int check_layout(struct kvm_vm *vm, const struct state_reader *r, struct err *e)
{
	const struct state_section *s = state_reader__find(r, SNAPSHOT_LAYOUT, 0);
	struct json_writer lw;
	int ret;

	if (!s)
		return err_set(e, "the state has no layout");
	ret = layout_text(vm->image->lay, &lw, e);
	if (!ret && (s->size != lw.len || memcmp(s->data, lw.buf, lw.len)))
		ret = err_set(e, "the snapshot's layout is not the one its guest flags make here (another mirrorvm version?)");
	json_writer_free(&lw);
	return ret;
}

static int load_devices(struct kvm_vm *vm, const struct state_reader *r, struct err *e)
{
	const struct state_section *s;
	unsigned int i;
	int ret;

	for (i = 0; i < vm->nr_devs; i++) {
		struct device *dev = &vm->devs[i];

		if (!dev->desc->model->ops.load)
			continue;
		s = state_reader__find(r, SNAPSHOT_DEVICE, row_of(dev));
		if (!s)
			return err_set(e, "the state has no %s (%s)", dev->desc->name,
				       dev->desc->model->kind);
		ret = dev->desc->model->ops.load(dev, s, e);
		if (ret)
			return ret;
	}
	s = state_reader__find(r, SNAPSHOT_TEST_PORT, 0);
	if (vm->test_port.desc && s)
		return test_port.ops.load(&vm->test_port, s, e);
	return 0;
}

/* A live restore: the memfds it mapped are the slots the state says were preserved */
static int check_live_slots(struct kvm_vm *vm, const struct state_reader *r, struct err *e)
{
	const struct state_section *s = state_reader__find(r, SNAPSHOT_LIVE_SLOTS, 0);
	const struct vm_restore *rs = vm->image->restore;
	unsigned int i;

	if (!s || s->size != vm->nr_ram)
		return err_set(e, "the state does not list the guest's %u RAM slots as a live update does",
			       vm->nr_ram);
	for (i = 0; i < vm->nr_ram; i++)
		if (s->data[i] != (rs->ram_fds[i] >= 0))
			return err_set(e, "RAM slot [0x%llx-0x%llx): %s",
				       (unsigned long long)vm->ram[i].slot.gpa,
				       (unsigned long long)(vm->ram[i].slot.gpa + vm->ram[i].slot.size),
				       s->data[i] ? "its preserved memfd is missing" :
						    "a memfd came back that was not preserved");
	return 0;
}

int kvm_snapshot__load(struct kvm_vm *vm, struct err *e)
{
	const struct vm_restore *rs = vm->image->restore;
	const struct state_reader *r = rs->state;
	struct kvm_snapshot_stats st = { 0 };
	u64 t0 = mono_ms();
	unsigned int i;
	int ret;

	ret = check_layout(vm, r, e);
	if (!ret && state_reader__find(r, KVM_STATE_REGS, vm->nr_vcpus))
		ret = err_set(e, "the state has more than the guest's %u vCPUs", vm->nr_vcpus);
	/* a live restore's memory is in place: its memfds are mapped */
	if (!ret && !rs->live)
		ret = kvm_memory__restore(vm, rs->memory_fds, rs->nr_memory_parts, rs->memory_map,
					  rs->memory_map_len, &st.memory_bytes, e);
	if (!ret && rs->live)
		ret = check_live_slots(vm, r, e);
	/* the guest's clock shows the time the snapshot was away (docs/state-file.md) */
	if (!ret)
		ret = kvm_state__load_vm(vm->vm_fd, r, true, e);
	for (i = 0; !ret && i < vm->nr_vcpus; i++)
		ret = kvm_state__load_vcpu(vm->sys_fd, vm->vcpus[i].fd, i, r, e);
	if (!ret)
		ret = load_devices(vm, r, e);
	if (!ret)
		ret = kvm_memhp__load(vm, r, e);
	/*
	 * Tell a guest that uses kvmclock that its vCPUs were stopped, so
	 * that its soft-lockup watchdog does not take the gap for a hang;
	 * EINVAL: the guest has not set kvmclock up.
	 */
	for (i = 0; !ret && i < vm->nr_vcpus; i++)
		if (ioctl(vm->vcpus[i].fd, KVM_KVMCLOCK_CTRL, 0) && errno != EINVAL)
			ret = err_set(e, "vCPU %u: KVM_KVMCLOCK_CTRL: %s", i, strerror(errno));
	if (!ret && getenv("MIRRORVM_DEBUG_STARTUP"))
		info("restored %s: %llu bytes of memory in %llu ms", rs->dir,
		     (unsigned long long)st.memory_bytes, (unsigned long long)(mono_ms() - t0));
	return ret ? -EINVAL : 0;
}
