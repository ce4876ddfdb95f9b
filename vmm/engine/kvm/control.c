// SPDX-License-Identifier: GPL-2.0
/*
 * What the control socket may do to a KVM engine VM (struct vm_control):
 * pause and resume it, end it, read its vCPUs' registers while paused,
 * unplug and plug its memory (memhp.c), report where its memory lies,
 * take a snapshot (snapshot.c).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "api.h"
#include "kvm-vm.h"

static int ctl_stop(void *opaque, struct err *e)
{
	return kvm_vm__pause(opaque, e);
}

static int ctl_cont(void *opaque, struct err *e)
{
	(void)e;
	kvm_vm__resume(opaque);
	return 0;
}

static bool ctl_paused(void *opaque)
{
	return kvm_vm__paused(opaque);
}

static void ctl_quit(void *opaque)
{
	kvm_vm__end(opaque, VM_END_QUIT, MVM_EXIT_OK);
}

static int ctl_query_cpus(void *opaque, struct json_writer *w, struct err *e)
{
	struct kvm_vm *vm = opaque;
	unsigned int i;

	json_array_begin(w);
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct kvm_vcpu *v = &vm->vcpus[i];
		struct kvm_regs r;

		/* the vCPU is parked outside KVM_RUN: its registers are at rest */
		if (ioctl(v->fd, KVM_GET_REGS, &r))
			return err_set(e, "vCPU %u: KVM_GET_REGS: %s", i, strerror(errno));
		json_object_begin(w);
		json_kv_u64(w, "id", i);
		json_kv_u64(w, "rip", r.rip);
		json_kv_u64(w, "rsp", r.rsp);
		json_kv_u64(w, "rflags", r.rflags);
		json_kv_u64(w, "rax", r.rax);
		json_kv_u64(w, "rbx", r.rbx);
		json_kv_u64(w, "rcx", r.rcx);
		json_kv_u64(w, "rdx", r.rdx);
		json_object_end(w);
	}
	json_array_end(w);
	return 0;
}

static int ctl_test_port(void *opaque, struct json_writer *w, struct err *e)
{
	struct kvm_vm *vm = opaque;

	if (!vm->test_port.desc)
		return err_set(e, "no test port");
	return test_port__query(&vm->test_port, w);
}

static int ctl_query_memory(void *opaque, struct json_writer *w, struct err *e)
{
	return kvm_memhp__query(opaque, w, e);
}

static int ctl_memory_unplug(void *opaque, const struct unit_selector *sel, u64 timeout_ms,
			     struct json_writer *w, struct err *e)
{
	return kvm_memhp__unplug(opaque, sel, timeout_ms, w, e);
}

static int ctl_memory_plug(void *opaque, const struct unit_selector *sel, u64 timeout_ms,
			   struct json_writer *w, struct err *e)
{
	return kvm_memhp__plug(opaque, sel, timeout_ms, w, e);
}

static int ctl_query_placement(void *opaque, struct json_writer *w, struct err *e)
{
	struct kvm_vm *vm = opaque;

	return placement__json(vm->image->lay, &vm->image->plan->hm, vm->ram, vm->nr_ram, w, e);
}

static int ctl_snapshot(void *opaque, int state_fd, const int *memory_fds, unsigned int nr_parts,
			bool stay_paused, struct json_writer *w, struct err *e)
{
	struct kvm_vm *vm = opaque;
	struct kvm_snapshot_stats st;
	bool was = kvm_vm__paused(vm);
	int ret;

	/* every vCPU completes its exit in flight and parks */
	ret = kvm_vm__pause(vm, e);
	if (ret)
		return ret;
	ret = kvm_snapshot__save(vm, state_fd, memory_fds, nr_parts, &st, e);
	if (!was && !stay_paused)
		kvm_vm__resume(vm);
	if (ret)
		return ret;
	json_object_begin(w);
	json_kv_u64(w, "state-bytes", st.state_bytes);
	json_kv_u64(w, "memory-bytes", st.memory_bytes);
	json_kv_u64(w, "memory-parts", nr_parts);
	json_kv_u64(w, "ms", st.ms);
	json_kv_string(w, "status", was || stay_paused ? "paused" : "running");
	json_object_end(w);
	return 0;
}

static int ctl_live_update(void *opaque, int pram_fd, int state_fd, const char *name,
			   struct json_writer *w, struct err *e)
{
	struct kvm_vm *vm = opaque;
	struct kvm_live_update_stats st;
	bool was = kvm_vm__paused(vm);
	int ret;

	/* refused up front, before the guest notices anything */
	ret = kvm_snapshot__check_live(vm, e);
	if (ret)
		return ret;
	ret = kvm_vm__pause(vm, e);
	if (ret)
		return ret;
	ret = kvm_snapshot__live_update(vm, pram_fd, state_fd, name, &st, e);
	if (ret) {
		/* nothing preserved yet: the guest goes on; else it must not change */
		if (!st.memfds && !was)
			kvm_vm__resume(vm);
		else {
			struct err sub = *e;

			err_set(e, "%s (the guest stays paused: memory of it is preserved)", sub.msg);
		}
		return ret;
	}
	json_object_begin(w);
	json_kv_string(w, "name", name);
	json_kv_u64(w, "memfds", st.memfds);
	json_kv_u64(w, "memory-bytes", st.memory_bytes);
	json_kv_u64(w, "copied-bytes", 0);
	json_kv_u64(w, "state-bytes", st.state_bytes);
	json_kv_u64(w, "save-ms", st.save_ms);
	json_kv_u64(w, "preserve-ms", st.preserve_ms);
	json_object_end(w);
	info("live update %s: %u memfds (%llu MiB) and the state preserved; mirrorvm kexec next, then mirrorvm run --live-restore %s",
	     name, st.memfds, (unsigned long long)(st.memory_bytes >> 20), name);
	/* the guest lives on in PRAM: this mirrorvm ends, the reply goes first */
	kvm_vm__end(vm, VM_END_QUIT, MVM_EXIT_OK);
	return 0;
}

void kvm_control__init(struct kvm_vm *vm, struct vm_control *ctl)
{
	*ctl = (struct vm_control){
		.engine = "kvm",
		.stop = ctl_stop,
		.cont = ctl_cont,
		.paused = ctl_paused,
		.quit = ctl_quit,
		.query_cpus = ctl_query_cpus,
		.test_port = vm->test_port.desc ? ctl_test_port : NULL,
		.query_memory = ctl_query_memory,
		.memory_unplug = ctl_memory_unplug,
		.memory_plug = ctl_memory_plug,
		.query_placement = ctl_query_placement,
		.snapshot = ctl_snapshot,
		.live_update = ctl_live_update,
		.vm = vm,
	};
}
