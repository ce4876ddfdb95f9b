// SPDX-License-Identifier: GPL-2.0
/*
 * Whether /dev/kvm opens, and whether it can run an unmodified Linux guest.  A paravirtual nested
 * KVM (kvm_pvm) opens fine and runs small real-mode programs, but stops with
 * "emulation failure" inside Linux's decompressor, so it counts as no.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"

static bool module_loaded(const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return stat(path, &st) == 0;
}

bool kvm_available(char *why, size_t len)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, len, "/dev/kvm: %s", strerror(errno));
		return false;
	}
	close(fd);
	snprintf(why, len, "/dev/kvm opens");
	return true;
}

bool kvm_can_boot_linux(char *why, size_t len)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, len, "/dev/kvm cannot be opened");
		return false;
	}
	close(fd);
	if (module_loaded("kvm_pvm")) {
		snprintf(why, len, "/dev/kvm is paravirtual nested KVM (kvm_pvm), which cannot run an unmodified Linux");
		return false;
	}
	if (module_loaded("kvm_intel") || module_loaded("kvm_amd")) {
		snprintf(why, len, "hardware KVM");
		return true;
	}
	snprintf(why, len, "/dev/kvm has no hardware backend (kvm_intel or kvm_amd)");
	return false;
}
