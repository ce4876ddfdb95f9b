// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/pram (kvm-patches 0015): memfds handed to the next kernel in place.
 * Thin wrappers that turn its errors into messages a user can act on.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "host.h"
#include "pram.h"

int pram__open(struct err *e)
{
	int fd = open(PRAM_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
		return err_set(e, "%s: missing: the host kernel has no PRAM (kvm-patches 0015, CONFIG_PRAM)",
			       PRAM_DEVICE);
	case EBUSY:
		return err_set(e, "%s: another process has it open (one at a time)", PRAM_DEVICE);
	default:
		return err_set(e, "%s: %s", PRAM_DEVICE, strerror(errno));
	}
}

int pram__preserve(int dev, int fd, u64 token, struct err *e)
{
	struct pram_preserve_fd a = { .fd = fd, .token = token };

	if (!ioctl(dev, PRAM_IOC_PRESERVE_FD, &a))
		return 0;
	switch (errno) {
	case EBUSY:
		return err_set(e, "PRAM: preserved memory is finalized, or a kexec kernel is loaded (unload it: mirrorvm kexec --unload)");
	case EEXIST:
		return err_set(e, "PRAM: token %#llx is taken: a VM of this name is preserved already",
			       (unsigned long long)token);
	case EOPNOTSUPP:
		return err_set(e, "PRAM: hugetlb memory cannot be preserved");
	default:
		return err_set(e, "PRAM: preserving a memfd: %s", strerror(errno));
	}
}

int pram__retrieve(int dev, u64 token, struct pram_retrieve_fd *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	out->token = token;
	out->fd = -1;
	if (!ioctl(dev, PRAM_IOC_RETRIEVE_FD, out))
		return 0;
	if (errno == ENOENT)
		return -ENOENT;		/* the caller knows what was expected */
	if (errno == EIO)
		return err_set(e, "PRAM: the kernel refused the memfd of token %#llx (see its log: not in mirrored memory without kernelcore=mirror, or corrupt)",
			       (unsigned long long)token);
	return err_set(e, "PRAM: retrieving token %#llx: %s", (unsigned long long)token,
		       strerror(errno));
}
