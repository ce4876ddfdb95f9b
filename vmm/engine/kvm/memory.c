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
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm-vm.h"
#include "snapshot.h"
#include "workers.h"

/* KVM slot @i as vm->ram[i] says, or deleted (@size 0). */
static int set_slot(struct kvm_vm *vm, unsigned int i, u64 size, struct err *e)
{
	struct kvm_userspace_memory_region r = {
		.slot = i,
		.guest_phys_addr = vm->ram[i].slot.gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)vm->ram[i].hva,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r))
		return err_set(e, "KVM_SET_USER_MEMORY_REGION [0x%llx-0x%llx)%s: %s",
			       (unsigned long long)r.guest_phys_addr,
			       (unsigned long long)(r.guest_phys_addr + vm->ram[i].slot.size),
			       size ? "" : " (deleting it)", strerror(errno));
	return 0;
}

/* Populates the slots in @which (NULL: all) of every prefault=on node. */
static int prefault(struct kvm_vm *vm, const bool *which, struct err *e)
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
			if (vm->ram[i].slot.node != n || vm->ram[i].host_mirrored ||
			    (which && !which[i]))
				continue;
			r[k].hva = vm->ram[i].hva;
			r[k++].size = vm->ram[i].slot.size;
		}
		if (!k)
			continue;
		ret = backing__prefault(n, r, k, e);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Host memory for one slot: host mirrored memory for a reliable slot when
 * the plan has it (@mirrored says whether it came from there), else what
 * its node's backing says.  MAP_FAILED with @e set.
 */
static void *map_slot(struct kvm_vm *vm, const struct mem_slot *s, bool *mirrored, int *memfd,
		      struct err *e)
{
	const struct layout *lay = vm->image->lay;
	const struct engine_plan *plan = vm->image->plan;
	const struct layout_node *n = &lay->nodes[s->node];
	struct err sub;
	void *p = MAP_FAILED;

	*mirrored = false;
	if (s->reliable && plan->host_mirror) {
		p = host_mirror__map(&plan->hm, s->size, memfd, &sub);
		if (p == MAP_FAILED && lay->host_mirror == HOST_MIRROR_REQUIRED) {
			err_set(e, "--host-mirror=required: node %u: reliable range [0x%llx-0x%llx): %s",
				n->id, (unsigned long long)s->gpa,
				(unsigned long long)(s->gpa + s->size), sub.msg);
			return MAP_FAILED;
		}
		if (p == MAP_FAILED)
			warn("--host-mirror=preferred: node %u: reliable range [0x%llx-0x%llx) left unmirrored: %s",
			     n->id, (unsigned long long)s->gpa,
			     (unsigned long long)(s->gpa + s->size), sub.msg);
		*mirrored = p != MAP_FAILED;
	}
	if (p == MAP_FAILED)
		p = backing__map(n, s, memfd, e);
	return p;
}

/*
 * Live restore: slot @i's memfd as the previous kernel left it, mapped
 * as it is (its pages are the guest's memory).  A reliable slot that the
 * plan backs with host mirrored memory must come back in an MFD_MIRROR
 * memfd.  MAP_FAILED with @e set.
 */
static void *map_live_slot(struct kvm_vm *vm, const struct mem_slot *s, unsigned int i,
			   bool *mirrored, int *memfd, struct err *e)
{
	const struct vm_restore *rs = vm->image->restore;
	const struct layout_node *n = &vm->image->lay->nodes[s->node];
	struct stat st;
	void *p;
	int fd;

	if (fstat(rs->ram_fds[i], &st) || (u64)st.st_size != s->size) {
		err_set(e, "--live-restore %s: the memfd of [0x%llx-0x%llx) has %lld bytes, the slot %llu",
			rs->dir, (unsigned long long)s->gpa, (unsigned long long)(s->gpa + s->size),
			(long long)st.st_size, (unsigned long long)s->size);
		return MAP_FAILED;
	}
	if (s->reliable && vm->image->plan->host_mirror && !rs->ram_mirror[i]) {
		err_set(e, "--live-restore %s: reliable range [0x%llx-0x%llx) came back in an unmirrored memfd",
			rs->dir, (unsigned long long)s->gpa, (unsigned long long)(s->gpa + s->size));
		return MAP_FAILED;
	}
	fd = dup(rs->ram_fds[i]);
	if (fd < 0) {
		err_set(e, "dup: %s", strerror(errno));
		return MAP_FAILED;
	}
	/*
	 * Pages the guest never wrote were not preserved (holes): allocate
	 * them again, as at start-up, so that a mirrored range cannot run
	 * out of mirrored memory later.  Preserved pages stay as they are.
	 */
	if (rs->ram_mirror[i] && fallocate(fd, 0, 0, s->size)) {
		err_set(e, "--live-restore %s: [0x%llx-0x%llx): the host cannot provide its mirrored memory again: %s",
			rs->dir, (unsigned long long)s->gpa, (unsigned long long)(s->gpa + s->size),
			strerror(errno));
		close(fd);
		return MAP_FAILED;
	}
	p = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		err_set(e, "mmap of a preserved memfd: %s", strerror(errno));
		close(fd);
		return MAP_FAILED;
	}
	/* the policy for pages to come; the preserved ones stay where they are */
	if (backing__bind(n, p, s->size, e)) {
		munmap(p, s->size);
		close(fd);
		return MAP_FAILED;
	}
	*mirrored = rs->ram_mirror[i];
	*memfd = fd;
	return p;
}

int kvm_memory__setup(struct kvm_vm *vm, struct err *e)
{
	const struct layout *lay = vm->image->lay;
	struct mem_slot slots[MAX_SLOTS];
	unsigned int nr, i;
	int ret;

	const struct vm_restore *rs = vm->image->restore;
	bool live = rs && rs->live;

	nr = layout__slots(lay, slots, MAX_SLOTS);
	for (i = 0; i < nr; i++) {
		struct ram_mapping *r = &vm->ram[i];
		bool mirrored;
		int memfd;
		/* a slot without a preserved memfd was unplugged: memhp.c unplugs it again */
		void *p = live && rs->ram_fds[i] >= 0 ?
			  map_live_slot(vm, &slots[i], i, &mirrored, &memfd, e) :
			  map_slot(vm, &slots[i], &mirrored, &memfd, e);

		if (p == MAP_FAILED)
			return -ENOMEM;
		r->slot = slots[i];
		r->hva = p;
		r->host_mirrored = mirrored;
		r->memfd = memfd;
		vm->nr_ram = i + 1;
	}
	/*
	 * All of RAM is mapped: a boot can copy its images in while KVM
	 * takes the slots (which costs milliseconds on some hosts).
	 */
	if (!rs)
		kvm_memory__start_loading(vm);
	for (i = 0; i < nr; i++) {
		ret = set_slot(vm, i, vm->ram[i].slot.size, e);
		if (ret)
			return ret;
	}
	/* a live restore's memory is there already */
	return live ? 0 : prefault(vm, NULL, e);
}

/* ---- hot-unplug (memhp.c decides when) ---- */

int kvm_memory__unplug_slot(struct kvm_vm *vm, unsigned int i, struct err *e)
{
	struct ram_mapping *r = &vm->ram[i];
	void *p;
	int ret;

	if (r->unplugged)
		return 0;
	/*
	 * The slot goes first: KVM drops its mappings of the pages, and a
	 * guest access from now on exits to us (memhp.c makes it fatal)
	 * instead of faulting the pages straight back in.
	 */
	ret = set_slot(vm, i, 0, e);
	if (ret)
		return ret;
	/*
	 * Then the host memory: an inaccessible reservation replaces the
	 * mapping in one step.  That frees anonymous pages and drops the only
	 * reference to a memfd (memfd, hugetlb, MFD_MIRROR backings: its
	 * pages go back to the host, huge pages to their pool), and keeps
	 * the address range, so a re-plug lands on the same host address.
	 */
	p = mmap(r->hva, r->slot.size, PROT_NONE,
		 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		/* the guest cannot reach it: not lost, only not given back */
		r->unplugged = true;
		return err_set(e, "releasing [0x%llx-0x%llx): mmap: %s",
			       (unsigned long long)r->slot.gpa,
			       (unsigned long long)(r->slot.gpa + r->slot.size), strerror(errno));
	}
	r->unplugged = true;
	r->host_mirrored = false;
	/* the last reference to the memfd's pages */
	if (r->memfd >= 0)
		close(r->memfd);
	r->memfd = -1;
	return 0;
}

int kvm_memory__plug_slot(struct kvm_vm *vm, unsigned int i, struct err *e)
{
	struct ram_mapping *r = &vm->ram[i];
	bool which[MAX_SLOTS] = { false };
	bool mirrored;
	void *p;
	int ret, memfd;

	if (!r->unplugged)
		return 0;
	/* the same host checks and mapping as at start-up, then into place */
	p = map_slot(vm, &r->slot, &mirrored, &memfd, e);
	if (p == MAP_FAILED)
		return -ENOMEM;
	if (mremap(p, r->slot.size, r->slot.size, MREMAP_MAYMOVE | MREMAP_FIXED, r->hva) ==
	    MAP_FAILED) {
		ret = -errno;
		munmap(p, r->slot.size);
		if (memfd >= 0)
			close(memfd);
		return err_set(e, "mremap into [0x%llx-0x%llx): %s", (unsigned long long)r->slot.gpa,
			       (unsigned long long)(r->slot.gpa + r->slot.size), strerror(-ret));
	}
	r->unplugged = false;
	r->host_mirrored = mirrored;
	r->memfd = memfd;
	which[i] = true;
	ret = prefault(vm, which, e);
	if (!ret)
		ret = set_slot(vm, i, r->slot.size, e);
	if (ret) {
		struct err ignored;

		/* back to unplugged: nothing of the guest's is in there */
		kvm_memory__unplug_slot(vm, i, &ignored);
	}
	return ret;
}

/*
 * Which pages of @r in [@at, @at + @n) hold something, into @vec (bit 0
 * of each byte).  With @pagemap < 0: the pages in memory now (mincore).
 * Else the pages the guest has data in, which is what a snapshot must
 * keep: a page the host swapped out is not in memory, and a save that
 * went by mincore would bring it back as zeros.  So a shmem memfd is
 * asked with SEEK_DATA/SEEK_HOLE (its swapped pages count as data) and
 * anonymous and hugetlb memory through /proc/self/pagemap (@pagemap, an
 * open fd of it): present or swapped.
 */
static int page_vector(const struct ram_mapping *r, int pagemap, u64 at, u64 n, unsigned char *vec)
{
	u64 pos = at * SZ_4K, end = (at + n) * SZ_4K, k;

	if (pagemap < 0)
		return mincore((u8 *)r->hva + pos, n * SZ_4K, vec) ? -errno : 0;
	memset(vec, 0, n);
	if (r->memfd >= 0) {
		/* the memfd is mapped from its offset 0 */
		while (pos < end) {
			off_t data = lseek(r->memfd, pos, SEEK_DATA), hole;

			if (data < 0 && errno == ENXIO)
				break;
			if (data < 0)
				return -errno;
			if ((u64)data >= end)
				break;
			hole = lseek(r->memfd, data, SEEK_HOLE);
			if (hole < 0)
				return -errno;
			hole = MIN((u64)hole, end);
			memset(vec + (data / SZ_4K - at), 1, (hole - data + SZ_4K - 1) / SZ_4K);
			pos = hole;
		}
		return 0;
	}
	for (k = 0; k < n; ) {
		u64 ent[512], want = MIN(n - k, (u64)ARRAY_SIZE(ent)), i;
		ssize_t got = pread(pagemap, ent, want * 8, ((uintptr_t)r->hva / SZ_4K + at + k) * 8);

		if (got < 0)
			return -errno;
		if ((u64)got != want * 8)
			return -EIO;
		for (i = 0; i < want; i++)
			vec[k + i] = (ent[i] >> 62) & 3 ? 1 : 0;	/* bit 63 present, 62 swapped */
		k += want;
	}
	return 0;
}

/*
 * Calls @fn(@arg, first page, pages) for each run of pages of @r in
 * [@first, @first + @nr) (page numbers in the mapping) that hold
 * something (page_vector(): in memory with @pagemap < 0, else the
 * guest's data), in address order; a run is cut where one window of
 * pages ends.  Stops at @fn's first non-zero return and returns it, or
 * -errno if the pages cannot be told.  An unplugged unit's slot has none.
 */
static int for_each_resident_run(const struct ram_mapping *r, int pagemap, u64 first, u64 nr,
				 int (*fn)(void *arg, u64 first, u64 nr), void *arg)
{
	unsigned char vec[4096];
	u64 done = 0;
	int ret;

	while (!r->unplugged && done < nr) {
		u64 n = MIN(nr - done, (u64)sizeof(vec)), j = 0, at = first + done;

		ret = page_vector(r, pagemap, at, n, vec);
		if (ret)
			return ret;
		while (j < n) {
			u64 run;

			if (!(vec[j] & 1)) {
				j++;
				continue;
			}
			for (run = 1; j + run < n && (vec[j + run] & 1); run++)
				;
			ret = fn(arg, at + j, run);
			if (ret)
				return ret;
			j += run;
		}
		done += n;
	}
	return 0;
}

static int count_run(void *arg, u64 first, u64 nr)
{
	(void)first;
	*(u64 *)arg += nr * SZ_4K;
	return 0;
}

/* Bytes of RAM mapping @i the host has; what it could count if mincore fails. */
u64 kvm_memory__resident(struct kvm_vm *vm, unsigned int i)
{
	u64 resident = 0;

	for_each_resident_run(&vm->ram[i], -1, 0, vm->ram[i].slot.size / SZ_4K, count_run, &resident);
	return resident;
}

void kvm_memory__teardown(struct kvm_vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_ram; i++) {
		munmap(vm->ram[i].hva, vm->ram[i].slot.size);
		if (vm->ram[i].memfd >= 0)
			close(vm->ram[i].memfd);
	}
	vm->nr_ram = 0;
}

void *kvm_memory__hva(struct kvm_vm *vm, u64 gpa, u64 len)
{
	unsigned int i;

	for (i = 0; i < vm->nr_ram; i++) {
		const struct mem_slot *s = &vm->ram[i].slot;

		if (vm->ram[i].unplugged)
			continue;
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

		if (vm->ram[i].unplugged)
			continue;
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
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);	/* never hang on a FIFO */
	int ret;

	if (fd < 0)
		return err_set(e, "%s: %s", path, strerror(errno));
	ret = load_fd(vm, fd, path, 0, gpa, size, e);
	close(fd);
	return ret;
}

static int load_images(struct kvm_vm *vm, struct err *e)
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
	return kvm_entry__setup_memory(vm, e);
}

static void *loader(void *arg)
{
	struct kvm_vm *vm = arg;

	vm->loader.ret = load_images(vm, &vm->loader.err);
	return NULL;
}

/*
 * Starts copying the firmware, the kernel, the initrd and the boot page
 * tables into guest RAM on a thread of their own: the first touch of
 * each huge page zeroes 2 MiB, and the images are megabytes, while the
 * main thread still waits for KVM to take the slots and create the
 * vCPUs.  Nothing else writes guest RAM before the vCPUs start.  Without
 * a thread, kvm_memory__finish_loading() loads them itself.
 */
void kvm_memory__start_loading(struct kvm_vm *vm)
{
	vm->loader.started = !pthread_create(&vm->loader.thread, NULL, loader, vm);
}

int kvm_memory__finish_loading(struct kvm_vm *vm, struct err *e)
{
	if (!vm->loader.started)
		return load_images(vm, e);
	pthread_join(vm->loader.thread, NULL);
	vm->loader.started = false;
	if (vm->loader.ret)
		*e = vm->loader.err;
	return vm->loader.ret;
}

/* ---- snapshots: guest RAM as sparse files ---- */

/*
 * A memory part holds the slots one after the other, in slot order, at
 * their offsets in guest RAM without the holes between them.  Only the
 * pages the guest has data in (page_vector(): in memory or swapped out)
 * are written, each into exactly one part: a page never touched reads as
 * zero and stays a hole in every part, and a page one part has is a hole
 * in the others, so the parts together are as large as the guest's
 * memory in use, not its size.
 */
u64 kvm_memory__file_size(const struct kvm_vm *vm)
{
	u64 size = 0;
	unsigned int i;

	for (i = 0; i < vm->nr_ram; i++)
		size += vm->ram[i].slot.size;
	return size;
}

/*
 * A save and a restore work on pieces ("chunks") of this much guest RAM,
 * taken one by one by a few threads (workers.h): small enough that the
 * last piece taken leaves the other threads little to wait for (a Linux
 * guest's data sits in a few places: with 64 MiB pieces, one thread of a
 * restore in the snapshot benchmark's L1 was still copying two pieces for
 * 1.7 s after the other had done fourteen), large enough that a guest of
 * terabytes has a memory map of kilobytes.
 */
#define MEMORY_CHUNK		(8ULL << 20)
#define RESTORE_THREADS		8

static unsigned int nr_chunks(const struct kvm_vm *vm)
{
	unsigned int i, n = 0;

	for (i = 0; i < vm->nr_ram; i++)
		n += (vm->ram[i].slot.size + MEMORY_CHUNK - 1) / MEMORY_CHUNK;
	return n;
}

/*
 * Chunk @c: its slot *@i, the slot's offset in the file *@slot_off, and
 * the chunk's file offsets [*@start, *@end).
 */
static void memory_chunk(const struct kvm_vm *vm, unsigned int c, unsigned int *i,
			 u64 *slot_off, u64 *start, u64 *end)
{
	*slot_off = *start = *end = 0;
	for (*i = 0; *i < vm->nr_ram; (*i)++) {
		u64 size = vm->ram[*i].slot.size, n = (size + MEMORY_CHUNK - 1) / MEMORY_CHUNK;

		if (c < n) {
			*start = *slot_off + c * MEMORY_CHUNK;
			*end = MIN(*start + MEMORY_CHUNK, *slot_off + size);
			return;
		}
		c -= n;
		*slot_off += size;
	}
}

/*
 * A save writes on one thread per memory part (as many as the host has
 * CPUs, at most the parts): each thread writes the chunks it takes into
 * its own part.  Writes to one file take its inode lock, so threads
 * writing into one file would wait for each other; into files of their
 * own they do not (in the snapshot benchmark's L1, 320 MiB into tmpfs on
 * two threads took 0.5-0.6x the time of one; docs/kvm-engine.md).
 */
struct save_job {
	struct kvm_vm *vm;
	const int *fds;			/* the memory parts */
	int pagemap;			/* /proc/self/pagemap */
	u8 *part_of_chunk;		/* which part each chunk went into */
	struct work_queue q;		/* items: MEMORY_CHUNK pieces of the slots */
	atomic_uint next_part;		/* each thread takes the next part */
	atomic_ullong written;
	struct err err;			/* the first failure's */
};

struct save_run {
	const struct ram_mapping *r;
	int fd;
	u64 slot_off;			/* the mapping's offset in the file */
	u64 written;
	bool write_failed;		/* else telling the pages failed */
};

static int save_run(void *arg, u64 first, u64 nr)
{
	struct save_run *sr = arg;
	int ret = pwrite_all(sr->fd, (u8 *)sr->r->hva + first * SZ_4K, nr * SZ_4K,
			     sr->slot_off + first * SZ_4K);

	if (ret) {
		sr->write_failed = true;
		return ret;
	}
	sr->written += nr * SZ_4K;
	return 0;
}

static void *save_worker(void *arg)
{
	struct save_job *j = arg;
	unsigned int part = atomic_fetch_add(&j->next_part, 1), c;

	while (work_queue__take(&j->q, &c)) {
		struct save_run sr = { .fd = j->fds[part] };
		unsigned int i;
		u64 start, end;
		int ret;

		j->part_of_chunk[c] = part;
		memory_chunk(j->vm, c, &i, &sr.slot_off, &start, &end);
		sr.r = &j->vm->ram[i];
		ret = for_each_resident_run(sr.r, j->pagemap, (start - sr.slot_off) / SZ_4K,
					    (end - start) / SZ_4K, save_run, &sr);
		atomic_fetch_add(&j->written, sr.written);
		if (ret && work_queue__fail(&j->q)) {
			if (sr.write_failed)
				err_set(&j->err, "writing guest memory into part %u: %s", part,
					strerror(-ret));
			else
				err_set(&j->err, "telling which guest pages have data: %s",
					strerror(-ret));
		}
	}
	return NULL;
}

/*
 * The memory map (the state's SNAPSHOT_MEMORY_MAP section) is
 *
 *	u32	the number of memory parts
 *	u32	the chunk size in MiB (MEMORY_CHUNK)
 *	u8	per chunk, in the order memory_chunk() numbers them: the part
 *		that holds its pages
 *
 * A restore reads each chunk from that part only: a part's holes then
 * need not stay holes (a copy that writes them as zeros, cp
 * --sparse=never, restores the same guest).
 */
#define MAP_HEADER		8

int kvm_memory__save(struct kvm_vm *vm, const int *fds, unsigned int nr_parts, u8 **map,
		     size_t *map_len, u64 *written, struct err *e)
{
	struct save_job j = { .vm = vm, .fds = fds };
	pthread_t th[SNAPSHOT_MAX_PARTS];
	unsigned int i, started;
	u8 *m;

	*written = 0;
	*map = NULL;
	if (!nr_parts || nr_parts > SNAPSHOT_MAX_PARTS)
		return err_set(e, "%u memory parts: a snapshot has 1 to %u", nr_parts,
			       SNAPSHOT_MAX_PARTS);
	j.q.nr_items = nr_chunks(vm);
	j.pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (j.pagemap < 0)
		return err_set(e, "/proc/self/pagemap: %s", strerror(errno));
	m = calloc(1, MAP_HEADER + j.q.nr_items);
	if (!m) {
		close(j.pagemap);
		return err_set(e, "out of memory");
	}
	put_le32(m, nr_parts);
	put_le32(m + 4, MEMORY_CHUNK >> 20);
	j.part_of_chunk = m + MAP_HEADER;
	/* the calling thread is one of the writers */
	started = workers__start(th, nr_parts, &j.q, save_worker, &j);
	save_worker(&j);
	workers__join(th, started);
	close(j.pagemap);
	*written = atomic_load(&j.written);
	if (work_queue__failed(&j.q)) {
		free(m);
		*e = j.err;
		return -EIO;
	}
	/* the holes at the end too: each part's size is the layout's RAM */
	for (i = 0; i < nr_parts; i++) {
		if (ftruncate(fds[i], kvm_memory__file_size(vm))) {
			free(m);
			return err_set(e, "sizing memory part %u: %s", i, strerror(errno));
		}
	}
	*map = m;
	*map_len = MAP_HEADER + j.q.nr_items;
	return 0;
}

/*
 * The memory map @map (@len bytes) checked against the guest's layout and
 * @nr_parts; no map (a version-1 snapshot): one part.
 */
static int check_map(const struct kvm_vm *vm, const u8 *map, size_t len, unsigned int nr_parts,
		     struct err *e)
{
	unsigned int chunks = nr_chunks(vm), c;

	if (!map)
		return nr_parts == 1 ? 0 : err_set(e, "%u memory parts without a memory map", nr_parts);

	if (len < MAP_HEADER || get_le32(map) != nr_parts)
		return err_set(e, "the state's memory map is not one of %u memory parts", nr_parts);
	if (get_le32(map + 4) != MEMORY_CHUNK >> 20)
		return err_set(e, "the state's memory map has pieces of %u MiB, this mirrorvm's are %llu MiB",
			       get_le32(map + 4), MEMORY_CHUNK >> 20);
	if (len - MAP_HEADER != chunks)
		return err_set(e, "the state's memory map has %zu pieces, the guest's RAM %u",
			       len - MAP_HEADER, chunks);
	for (c = 0; c < chunks; c++)
		if (map[MAP_HEADER + c] >= nr_parts)
			return err_set(e, "the state's memory map puts piece %u in part %u of %u", c,
				       map[MAP_HEADER + c], nr_parts);
	return 0;
}

/*
 * A restore reads the memory parts in MEMORY_CHUNK pieces, on as many
 * threads as the host has CPUs (at most RESTORE_THREADS): reads of one
 * file run in parallel (no inode lock, unlike writes), and filling fresh
 * guest memory is bound by faulting it in and copying, which scales with
 * the threads.
 */
struct restore_job {
	struct kvm_vm *vm;
	const int *fds;
	const u8 *part_of_chunk;
	struct work_queue q;		/* items: MEMORY_CHUNK pieces of the slots */
	atomic_ullong read_bytes;
	struct err err;			/* the first failure's */
};

/* The data runs of part @fd in [@start, @end) (SEEK_DATA/SEEK_HOLE) into slot @i; holes stay zero */
static int restore_range(struct restore_job *j, int fd, unsigned int i, u64 slot_off,
			 u64 start, u64 end, struct err *e)
{
	const struct ram_mapping *r = &j->vm->ram[i];
	u64 pos = start;

	while (pos < end) {
		off_t data = lseek(fd, pos, SEEK_DATA), hole;
		u64 len;
		int ret;

		if (data < 0 && errno == ENXIO)
			break;
		if (data < 0)
			return err_set(e, "the memory file: SEEK_DATA: %s", strerror(errno));
		if ((u64)data >= end)
			break;
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0)
			return err_set(e, "the memory file: SEEK_HOLE: %s", strerror(errno));
		len = MIN((u64)hole, end) - data;
		ret = pread_exact(fd, (u8 *)r->hva + (data - slot_off), len, data);
		if (ret)
			return err_set(e, "reading the memory file: %s",
				       ret == -ENODATA ? "it ended early" : strerror(-ret));
		atomic_fetch_add(&j->read_bytes, len);
		pos = data + len;
	}
	return 0;
}

static void *restore_worker(void *arg)
{
	struct restore_job *j = arg;
	unsigned int item;

	while (work_queue__take(&j->q, &item)) {
		unsigned int part = j->part_of_chunk ? j->part_of_chunk[item] : 0, i;
		u64 slot_off, start, end;
		char name[32];
		struct err sub;

		memory_chunk(j->vm, item, &i, &slot_off, &start, &end);
		if (restore_range(j, j->fds[part], i, slot_off, start, end, &sub) &&
		    work_queue__fail(&j->q)) {
			snapshot__part_name(name, sizeof(name), part);
			err_set(&j->err, "%s: %s", name, sub.msg);
		}
	}
	return NULL;
}

int kvm_memory__restore(struct kvm_vm *vm, const int *fds, unsigned int nr_parts, const u8 *map,
			size_t map_len, u64 *read_bytes, struct err *e)
{
	struct restore_job j = { .vm = vm, .fds = fds, .part_of_chunk = map ? map + MAP_HEADER : NULL };
	u64 want = kvm_memory__file_size(vm);
	pthread_t th[RESTORE_THREADS];
	unsigned int i, started;

	*read_bytes = 0;
	if (!nr_parts || nr_parts > SNAPSHOT_MAX_PARTS)
		return err_set(e, "%u memory parts: a snapshot has 1 to %u", nr_parts,
			       SNAPSHOT_MAX_PARTS);
	if (check_map(vm, map, map_len, nr_parts, e))
		return -EINVAL;
	for (i = 0; i < nr_parts; i++) {
		struct stat st;
		char name[32];

		snapshot__part_name(name, sizeof(name), i);
		if (fstat(fds[i], &st))
			return err_set(e, "%s: %s", name, strerror(errno));
		if ((u64)st.st_size != want)
			return err_set(e, "%s: the memory file has %llu bytes, the guest's RAM is %llu",
				       name, (unsigned long long)st.st_size,
				       (unsigned long long)want);
	}
	j.q.nr_items = nr_chunks(vm);
	/* the calling thread is one of the workers */
	started = workers__start(th, RESTORE_THREADS, &j.q, restore_worker, &j);
	restore_worker(&j);
	workers__join(th, started);
	*read_bytes = atomic_load(&j.read_bytes);
	if (work_queue__failed(&j.q)) {
		*e = j.err;
		return -EIO;
	}
	return 0;
}
