// SPDX-License-Identifier: GPL-2.0
/*
 * Live update names: the PRAM tokens of one VM's memfds.  The name is what
 * an operator gives on both sides of the kexec; the tokens must be unique
 * among every VM preserved on the host, so they carry a 48-bit hash of the
 * name and a 16-bit index (a RAM slot, or the state).
 */
#include <string.h>

#include "live-update.h"

int live_update__check_name(const char *name, struct err *e)
{
	size_t len = strlen(name);

	if (!len || len > LIVE_UPDATE_NAME_MAX)
		return err_set(e, "live update name '%s': 1 to %d bytes", name,
			       LIVE_UPDATE_NAME_MAX);
	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != len)
		return err_set(e, "live update name '%s': letters, digits, '.', '_' and '-' only",
			       name);
	return 0;
}

u64 live_update__token(const char *name, unsigned int index)
{
	u64 h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	const char *p;

	for (p = name; *p; p++)
		h = (h ^ (u8)*p) * 0x100000001b3ULL;
	/* never 0, which PRAM refuses */
	return (h << 16 | (index & 0xffff)) | (1ULL << 63);
}
