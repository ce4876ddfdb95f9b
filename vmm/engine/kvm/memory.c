// SPDX-License-Identifier: GPL-2.0
/*
 * Guest RAM: one host mapping and one KVM memory slot per piece of
 * layout__slots() (RAM cut at every reliable edge and at the PCI hole).
 * Reliable pieces come from host mirrored memory when the host has a way
 * to give it (host_mirror__map), every other piece as its node's backing
 * asks (backing.c).  Then the firmware builder's bytes, the kernel and the
 * initrd are copied in, unchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm-vm.h"

static int set_slot(struct kvm_vm *vm, unsigned int i, struct err *e)
{
	struct kvm_userspace_memory_region r = {
		.slot = i,
		.guest_phys_addr = vm->ram[i].slot.gpa,
		.memory_size = vm->ram[i].slot.size,
		.userspace_addr = (uintptr_t)vm->ram[i].hva,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r))
		return err_set(e, "KVM_SET_USER_MEMORY_REGION [0x%llx-0x%llx): %s",
			       (unsigned long long)r.guest_phys_addr,
			       (unsigned long long)(r.guest_phys_addr + r.memory_size),
			       strerror(errno));
	return 0;
}

static int prefault(struct kvm_vm *vm, struct err *e)
{
	const struct layout *lay = vm->image->lay;
	struct backing_range r[MAX_SLOTS];
	unsigned int n, i, k;
	int ret;

	for (n = 0; n < lay->nr_nodes; n++) {
		if (!lay->nodes[n].host.prefault)
			continue;
		for (i = 0, k = 0; i < vm->nr_ram; i++) {
			/* host_mirror__map() allocated those already */
			if (vm->ram[i].slot.node != n || vm->ram[i].host_mirrored)
				continue;
			r[k].hva = vm->ram[i].hva;
			r[k++].size = vm->ram[i].slot.size;
		}
		ret = backing__prefault(n, r, k, e);
		if (ret)
			return ret;
	}
	return 0;
}

int kvm_memory__setup(struct kvm_vm *vm, struct err *e)
{
	const struct layout *lay = vm->image->lay;
	const struct engine_plan *plan = vm->image->plan;
	struct mem_slot slots[MAX_SLOTS];
	unsigned int nr, i;
	struct err sub;
	int ret;

	nr = layout__slots(lay, slots, MAX_SLOTS);
	for (i = 0; i < nr; i++) {
		const struct layout_node *n = &lay->nodes[slots[i].node];
		struct ram_mapping *r = &vm->ram[i];
		void *p;

		p = MAP_FAILED;
		if (slots[i].reliable && plan->host_mirror) {
			p = host_mirror__map(&plan->hm, slots[i].size, &sub);
			if (p == MAP_FAILED && lay->host_mirror == HOST_MIRROR_REQUIRED)
				return err_set(e, "--host-mirror=required: node %u: reliable range [0x%llx-0x%llx): %s",
					       n->id, (unsigned long long)slots[i].gpa,
					       (unsigned long long)(slots[i].gpa + slots[i].size),
					       sub.msg);
			if (p == MAP_FAILED)
				warn("--host-mirror=preferred: node %u: reliable range [0x%llx-0x%llx) left unmirrored: %s",
				     n->id, (unsigned long long)slots[i].gpa,
				     (unsigned long long)(slots[i].gpa + slots[i].size), sub.msg);
			r->host_mirrored = p != MAP_FAILED;
		}
		if (p == MAP_FAILED) {
			p = backing__map(n, &slots[i], e);
			if (p == MAP_FAILED)
				return -ENOMEM;
		}
		r->slot = slots[i];
		r->hva = p;
		vm->nr_ram = i + 1;
		ret = set_slot(vm, i, e);
		if (ret)
			return ret;
	}
	return prefault(vm, e);
}

void kvm_memory__teardown(struct kvm_vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_ram; i++)
		munmap(vm->ram[i].hva, vm->ram[i].slot.size);
	vm->nr_ram = 0;
}

void *kvm_memory__hva(struct kvm_vm *vm, u64 gpa, u64 len)
{
	unsigned int i;

	for (i = 0; i < vm->nr_ram; i++) {
		const struct mem_slot *s = &vm->ram[i].slot;

		if (gpa >= s->gpa && gpa - s->gpa <= s->size && len <= s->size - (gpa - s->gpa))
			return (u8 *)vm->ram[i].hva + (gpa - s->gpa);
	}
	return NULL;
}

/* The largest piece at @gpa that one slot holds, at most @len. */
static void *span(struct kvm_vm *vm, u64 gpa, u64 len, u64 *got)
{
	unsigned int i;

	for (i = 0; i < vm->nr_ram; i++) {
		const struct mem_slot *s = &vm->ram[i].slot;

		if (gpa >= s->gpa && gpa < s->gpa + s->size) {
			*got = MIN(len, s->gpa + s->size - gpa);
			return (u8 *)vm->ram[i].hva + (gpa - s->gpa);
		}
	}
	return NULL;
}

int kvm_memory__write(struct kvm_vm *vm, u64 gpa, const void *buf, u64 len, struct err *e)
{
	const u8 *src = buf;

	while (len) {
		u64 n;
		void *dst = span(vm, gpa, len, &n);

		if (!dst)
			return err_set(e, "guest-physical 0x%llx is not RAM", (unsigned long long)gpa);
		memcpy(dst, src, n);
		src += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

/*
 * Copies @size bytes of the file @fd (@name in errors) at @off into guest
 * RAM at @gpa, slot by slot: straight from the page cache, no buffer.
 */
static int load_fd(struct kvm_vm *vm, int fd, const char *name, u64 off, u64 gpa,
		   u64 size, struct err *e)
{
	while (size) {
		u64 n;
		u8 *dst = span(vm, gpa, size, &n);
		int ret;

		if (!dst)
			return err_set(e, "%s: guest-physical 0x%llx is not RAM", name,
				       (unsigned long long)gpa);
		ret = pread_exact(fd, dst, n, off);
		if (ret)
			return err_set(e, "%s: %s", name, ret == -ENODATA ?
				       "the file shrank after it was checked" : strerror(-ret));
		off += n;
		gpa += n;
		size -= n;
	}
	return 0;
}

static int load_file(struct kvm_vm *vm, const char *path, u64 gpa, u64 size, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return err_set(e, "%s: %s", path, strerror(errno));
	ret = load_fd(vm, fd, path, 0, gpa, size, e);
	close(fd);
	return ret;
}

int kvm_memory__load_images(struct kvm_vm *vm, struct err *e)
{
	const struct kernel_image *k = vm->image->kernel;
	struct err sub;
	unsigned int i;

	/* guest memory is fresh: the pages the builder never wrote are zero already */
	for (i = 0; i < FW_SIZE / SZ_4K; i++)
		if (fw__page_written(vm->image->fw, i) &&
		    kvm_memory__write(vm, FW_BASE + (u64)i * SZ_4K,
				      vm->image->fw->area + (u64)i * SZ_4K, SZ_4K, &sub))
			return err_set(e, "firmware area: %s", sub.msg);
	/*
	 * The kernel goes from the file straight into guest RAM: one copy,
	 * and no kernel-sized buffer in mirrorvm (a vmlinux is ~60 MB).
	 */
	if (!k->elf && load_fd(vm, k->fd, k->path, k->pm_offset, k->info.kernel_addr,
			       k->info.kernel_size, &sub))
		return err_set(e, "kernel: %s", sub.msg);
	/* vmlinux: file bytes only; fresh guest memory is already zero */
	for (i = 0; k->elf && i < k->nr_seg; i++)
		if (load_fd(vm, k->fd, k->path, k->seg[i].offset, k->seg[i].paddr,
			    k->seg[i].filesz, &sub))
			return err_set(e, "kernel segment %u: %s", i, sub.msg);
	if (k->initrd_path &&
	    load_file(vm, k->initrd_path, k->info.initrd_addr, k->initrd_size, &sub))
		return err_set(e, "initrd: %s", sub.msg);
	return 0;
}
