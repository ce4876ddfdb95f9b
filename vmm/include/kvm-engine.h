/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_KVM_ENGINE_H
#define MIRRORVM_KVM_ENGINE_H

/*
 * The in-process KVM engine (vmm/engine/kvm/): one VM, one thread per vCPU,
 * the platform of platform.h emulated in userspace (8250, control, status
 * and pvpanic ports) or by KVM itself (LAPIC, IOAPIC, PIC, PIT).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <linux/kvm.h>

#include "backing.h"
#include "console.h"
#include "ending.h"
#include "engine.h"
#include "host.h"

/* ---- port I/O registry (ioport.c) ---- */

struct kvm_guest;

struct io_dev {
	const char *name;
	u16 base;
	u16 len;
	/*
	 * @off is inside [0, len) and @off + @size <= len (the registry
	 * checks); @data holds @size bytes, little endian.
	 */
	void (*read)(struct io_dev *dev, u16 off, u8 *data, unsigned int size);
	void (*write)(struct io_dev *dev, u16 off, const u8 *data, unsigned int size);
	void *priv;
};

#define MAX_IO_DEVS	16

struct io_bus {
	struct io_dev *devs[MAX_IO_DEVS];
	unsigned int nr;
	atomic_ulong unhandled;		/* accesses nothing claimed */
	bool debug;			/* MIRRORVM_DEBUG_IO: log the first few */
};

int io_bus__register(struct io_bus *bus, struct io_dev *dev, struct err *e);
void io_bus__access(struct io_bus *bus, u16 port, u8 *data, unsigned int size,
		    bool is_write);
void io_bus__mmio(struct io_bus *bus, u64 gpa, u8 *data, unsigned int len, bool is_write);

/* ---- the guest and how it ends ---- */

struct vcpu {
	struct kvm_guest *g;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	atomic_bool dump_wanted;	/* SIGQUIT: print registers, go on */
};

struct uart;

struct kvm_guest {
	const struct vm_image *vm;
	int sys_fd;
	int vm_fd;
	int event_fd;			/* vCPU threads wake the main loop */
	size_t run_size;
	bool has_immediate_exit;

	struct guest_ram ram[MAX_SLOTS];
	unsigned int nr_ram;

	struct kvm_cpuid2 *cpuid;	/* KVM_GET_SUPPORTED_CPUID */
	struct vcpu *vcpus;
	unsigned int nr_vcpus;

	struct io_bus io;
	struct uart *uart;
	struct io_dev platform_devs[3];

	struct vm_ending ending;
	atomic_bool stopping;
};

/* The first ending wins; later ones are ignored.  Safe from any thread. */
void guest__end(struct kvm_guest *g, enum vm_end end, int status);
/* The engine's run step (vm.c). */
int kvm_vm__run(const struct vm_image *vm, struct err *e);

/* memory.c: host mappings, KVM slots, image loading */
int kvm_memory__setup(struct kvm_guest *g, struct err *e);
void kvm_memory__teardown(struct kvm_guest *g);
/* Copies @len bytes to guest-physical @gpa (may cross slots). */
int kvm_memory__write(struct kvm_guest *g, u64 gpa, const void *buf, u64 len, struct err *e);
void *kvm_memory__hva(struct kvm_guest *g, u64 gpa, u64 len);
int kvm_memory__load_images(struct kvm_guest *g, struct err *e);

/* cpuid.c */
int kvm_cpuid__init(struct kvm_guest *g, struct err *e);
int kvm_cpuid__set(struct kvm_guest *g, struct vcpu *v, struct err *e);

/* boot.c: the 64-bit boot protocol's page tables, GDT and registers */
int kvm_boot__setup_memory(struct kvm_guest *g, struct err *e);
int kvm_boot__setup_bsp(struct kvm_guest *g, struct vcpu *v, struct err *e);

/* cpu.c */
int kvm_cpu__create(struct kvm_guest *g, unsigned int id, struct err *e);
int kvm_cpu__start(struct kvm_guest *g, struct err *e);
void kvm_cpu__stop_all(struct kvm_guest *g);
void kvm_cpu__destroy_all(struct kvm_guest *g);
void kvm_cpu__dump(struct vcpu *v, const char *why);
/* Has every vCPU print its registers on stderr and run on (SIGQUIT). */
void kvm_cpu__dump_all(struct kvm_guest *g);

/* uart.c: the 8250 on COM1, console on stdout and (a terminal's) stdin */
int uart__init(struct kvm_guest *g, struct err *e);
void uart__input(struct uart *u, const u8 *buf, size_t len);
/* Bytes the receive FIFO can take now. */
size_t uart__room(struct uart *u);
void uart__exit(struct kvm_guest *g);

/* platform.c: control, sleep status, status and pvpanic ports */
int platform__init(struct kvm_guest *g, struct err *e);

#endif
