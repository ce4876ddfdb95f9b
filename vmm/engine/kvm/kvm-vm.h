/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_KVM_VM_H
#define MIRRORVM_KVM_VM_H

/*
 * The KVM engine's VM (private to vmm/engine/kvm/).  Its life:
 *
 *	kvm_vm__create	/dev/kvm, the VM, irqchip and PIT, GSI routing, guest
 *			RAM and its slots, the platform's devices, the vCPUs;
 *			for a boot, a thread starts copying the firmware,
 *			kernel and initrd into RAM as soon as it is mapped
 *	kvm_vm__boot	waits for that copy, then the boot processor's
 *			registers (a restore loads saved state instead)
 *	kvm_vm__run	the event loop's sources, the control socket, the
 *			system call filter (seccomp.c), then vCPU threads and
 *			the event loop until the guest ends
 *	kvm_vm__pause	every vCPU completes its in-flight exit and parks
 *	kvm_vm__resume	releases them
 *	kvm_vm__destroy
 *
 * The main thread runs the event loop; each vCPU runs in its own thread
 * and talks to the main thread through requests (vcpu.c) and the VM's
 * event fd.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <linux/kvm.h>

#include "api.h"
#include "backing.h"
#include "console.h"
#include "device.h"
#include "engine.h"
#include "event-loop.h"
#include "host.h"
#include "seccomp-filter.h"

struct kvm_vm;
struct kvm_memhp;
struct unit_selector;

/* What a vCPU thread is asked to do next time it leaves KVM_RUN. */
enum vcpu_request {
	VCPU_REQ_PAUSE	= 1 << 0,	/* park until kvm_vm__resume() */
	VCPU_REQ_DUMP	= 1 << 1,	/* print the registers, run on */
	VCPU_REQ_CALL	= 1 << 2,	/* run vm->call.fn on this thread */
};

struct kvm_vcpu {
	struct kvm_vm *vm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	atomic_uint requests;		/* enum vcpu_request */
};

struct kvm_vm {
	const struct vm_image *image;
	int sys_fd;
	int vm_fd;
	size_t run_size;

	/* memory.c: guest RAM; index i is KVM memory slot i */
	struct ram_mapping ram[MAX_SLOTS];
	unsigned int nr_ram;

	struct kvm_cpuid2 *cpuid;	/* KVM_GET_SUPPORTED_CPUID */
	struct kvm_vcpu *vcpus;
	unsigned int nr_vcpus;

	/* the platform's devices on one bus, and what they may do */
	struct bus bus;
	struct device *devs;
	unsigned int nr_devs;
	struct device *console;		/* takes the host console's input */
	struct device test_port;	/* MIRRORVM_TEST_DEVICES=1 only */
	struct platform_device test_port_row;
	struct dev_ctx ctx;
	int console_fd;			/* the host console's output (stdout) */
	struct console_watch watch;	/* panics before pvpanic is loaded */

	struct vm_control control;
	struct api_server *api;		/* --api-socket */
	int api_dir_fd;			/* its directory, until api__listen() takes it */

	/*
	 * The system call filter, compiled on its own thread while the VM is
	 * set up (a third of a millisecond off the start), loaded before the
	 * first vCPU runs.
	 */
	struct {
		bool wanted;
		bool started;		/* the thread runs or ran; joined in install */
		pthread_t thread;
		struct seccomp_needs needs;
		struct seccomp_program prog;
		int ret;
		struct err err;
	} filter;
	/* the boot images' copy into RAM, overlapping the VM's creation */
	struct {
		bool started;		/* the thread runs or ran; joined in boot */
		pthread_t thread;
		int ret;
		struct err err;
	} loader;
	struct kvm_memhp *memhp;	/* hot-(un)plug of unplug units, or NULL */

	struct vm_ending ending;
	int event_fd;			/* vCPU threads wake the event loop */
	struct event_loop *loop;
	int stdin_timer;		/* retries console input when the UART is full */
	bool stdin_open;

	/*
	 * Pause: every vCPU parks in vcpu.c until resumed; the main thread
	 * waits on @cond for @nr_parked to reach the running vCPUs.
	 */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool pause_wanted;
	unsigned int nr_parked;
	unsigned int nr_running;	/* vCPU threads not yet gone */
	atomic_bool stopping;
	struct {
		void (*fn)(struct kvm_vcpu *v, void *arg);
		void *arg;
		unsigned int pending;
	} call;
};

/* vm.c */
int kvm_vm__create(struct kvm_vm **out, const struct vm_image *image, struct err *e);
int kvm_vm__boot(struct kvm_vm *vm, struct err *e);
/* Runs the guest until it ends: mirrorvm's exit status, or -errno. */
int kvm_vm__run(struct kvm_vm *vm, struct err *e);
/* Every vCPU completes its in-flight exit and parks; 0 or -errno. */
int kvm_vm__pause(struct kvm_vm *vm, struct err *e);
void kvm_vm__resume(struct kvm_vm *vm);
bool kvm_vm__paused(struct kvm_vm *vm);
void kvm_vm__destroy(struct kvm_vm *vm);
/* The first ending wins; safe from any thread. */
void kvm_vm__end(struct kvm_vm *vm, enum vm_end end, int status);

/* control.c: the control socket's view of the VM */
void kvm_control__init(struct kvm_vm *vm, struct vm_control *ctl);

/* vcpu.c */
int kvm_vcpu__create_all(struct kvm_vm *vm, struct err *e);
int kvm_vcpu__start_all(struct kvm_vm *vm, struct err *e);
/* Asks vCPU @v for @req (enum vcpu_request) and kicks it out of KVM_RUN. */
void kvm_vcpu__request(struct kvm_vcpu *v, unsigned int req);
void kvm_vcpu__stop_all(struct kvm_vm *vm);
void kvm_vcpu__destroy_all(struct kvm_vm *vm);
void kvm_vcpu__dump(struct kvm_vcpu *v, const char *why);
/* Has every vCPU print its registers on stderr and run on (SIGQUIT). */
void kvm_vcpu__dump_all(struct kvm_vm *vm);

/* memory.c: host mappings, KVM slots, image loading */
int kvm_memory__setup(struct kvm_vm *vm, struct err *e);
void kvm_memory__teardown(struct kvm_vm *vm);
/* Copies @len bytes to guest-physical @gpa (may cross slots). */
int kvm_memory__write(struct kvm_vm *vm, u64 gpa, const void *buf, u64 len, struct err *e);
void *kvm_memory__hva(struct kvm_vm *vm, u64 gpa, u64 len);
/*
 * The firmware, kernel, initrd and boot page tables into guest RAM: a
 * thread started once RAM is mapped (kvm_memory__setup() does it for a
 * boot); finish waits for it and returns its result.
 */
void kvm_memory__start_loading(struct kvm_vm *vm);
int kvm_memory__finish_loading(struct kvm_vm *vm, struct err *e);
/*
 * Hot-unplug of slot @i: deleted from KVM, its host memory released and
 * the range left inaccessible.  Re-plug maps it again with the same host
 * checks as at start-up and gives it back to KVM.  Main thread only.
 */
int kvm_memory__unplug_slot(struct kvm_vm *vm, unsigned int i, struct err *e);
int kvm_memory__plug_slot(struct kvm_vm *vm, unsigned int i, struct err *e);
/* Host bytes resident in slot @i (mincore). */
u64 kvm_memory__resident(struct kvm_vm *vm, unsigned int i);
/*
 * Snapshots: guest RAM into the @nr_parts files @fds as sparse files (the
 * slots back to back, resident pages only, each in one part; *@written:
 * bytes written), with the memory map that says which part holds what
 * (*@map, malloc'd, the state's SNAPSHOT_MEMORY_MAP section); and back
 * from them by that map, checked first.  The VM is paused or not yet
 * running.
 */
u64 kvm_memory__file_size(const struct kvm_vm *vm);
int kvm_memory__save(struct kvm_vm *vm, const int *fds, unsigned int nr_parts, u8 **map,
		     size_t *map_len, u64 *written, struct err *e);
int kvm_memory__restore(struct kvm_vm *vm, const int *fds, unsigned int nr_parts, const u8 *map,
			size_t map_len, u64 *read_bytes, struct err *e);

/*
 * memhp.c: hot-unplug and re-plug of the layout's unplug units.  Requests
 * return at once (the units they name, into @w); the rest comes as
 * control socket events.  -EINVAL: a bad selector; -EBUSY: a unit not in
 * the state the request needs; -ENODEV: no units; -EIO: the host failed.
 */
int kvm_memhp__create(struct kvm_vm *vm, struct err *e);	/* with the devices */
int kvm_memhp__start(struct kvm_vm *vm, struct err *e);		/* on vm->loop */
void kvm_memhp__destroy(struct kvm_vm *vm);
int kvm_memhp__unplug(struct kvm_vm *vm, const struct unit_selector *sel, u64 timeout_ms,
		      struct json_writer *w, struct err *e);
int kvm_memhp__plug(struct kvm_vm *vm, const struct unit_selector *sel, u64 timeout_ms,
		    struct json_writer *w, struct err *e);
int kvm_memhp__query(struct kvm_vm *vm, struct json_writer *w, struct err *e);
/*
 * Snapshots of the units (the VM paused): saveable only with every unit
 * plugged or unplugged and nothing the guest did left unhandled; a load
 * (after the devices') takes the unplugged units out of KVM again.
 */
int kvm_memhp__check_saveable(struct kvm_vm *vm, struct err *e);
int kvm_memhp__save(struct kvm_vm *vm, struct state_writer *w, struct err *e);
int kvm_memhp__load(struct kvm_vm *vm, const struct state_reader *r, struct err *e);

/*
 * snapshot.c: the VM, paused, into a state file and memory parts (fds
 * the caller opened, snapshot.h); a restore loads them into a VM just created from the
 * same guest description, instead of kvm_vm__boot().
 */
struct kvm_snapshot_stats {
	u64 state_bytes;
	u64 memory_bytes;	/* bytes of guest memory written */
	u64 ms;
};
int kvm_snapshot__save(struct kvm_vm *vm, int state_fd, const int *memory_fds,
		       unsigned int nr_parts, struct kvm_snapshot_stats *st, struct err *e);
int kvm_snapshot__load(struct kvm_vm *vm, struct err *e);
/*
 * Live update (live-update.h): 0 when every plugged RAM slot is in a
 * memfd that PRAM can preserve, else why not; then, with the VM paused,
 * its state into @state_fd and that and every RAM memfd preserved through
 * the /dev/pram fd @pram_fd under @name's tokens.
 */
struct kvm_live_update_stats {
	u64 state_bytes;
	u64 memory_bytes;	/* bytes of guest RAM preserved in place */
	unsigned int memfds;	/* RAM memfds preserved, the state's not counted */
	u64 save_ms;
	u64 preserve_ms;
};
int kvm_snapshot__check_live(struct kvm_vm *vm, struct err *e);
int kvm_snapshot__live_update(struct kvm_vm *vm, int pram_fd, int state_fd, const char *name,
			      struct kvm_live_update_stats *st, struct err *e);

/* cpuid.c */
int kvm_cpuid__init(struct kvm_vm *vm, struct err *e);
int kvm_cpuid__set(struct kvm_vm *vm, struct kvm_vcpu *v, struct err *e);

/* entry.c: the 64-bit boot protocol's page tables, GDT and registers */
int kvm_entry__setup_memory(struct kvm_vm *vm, struct err *e);
int kvm_entry__setup_bsp(struct kvm_vm *vm, struct kvm_vcpu *v, struct err *e);

#endif
