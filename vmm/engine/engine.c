// SPDX-License-Identifier: GPL-2.0
/* --engine: which engine runs the guest. */
#include "engine.h"

const struct engine *engine__select(const struct run_opts *opts, struct err *e)
{
	char why[160];
	bool use_kvm;

	switch (opts->engine) {
	case ENGINE_KVM:
		if (!kvm_available(why, sizeof(why))) {
			err_set(e, "--engine kvm: %s", why);
			return NULL;
		}
		if (!kvm_can_boot_linux(why, sizeof(why)))
			warn("--engine kvm: %s; the guest will likely fail", why);
		return &kvm_engine;
	case ENGINE_QEMU:
		return &qemu_engine;
	default:
		use_kvm = kvm_can_boot_linux(why, sizeof(why));
		info("engine auto: using %s (KVM here: %s)", use_kvm ? "kvm" : "qemu", why);
		return use_kvm ? &kvm_engine : &qemu_engine;
	}
}
