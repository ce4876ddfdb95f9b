/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_CONSOLE_H
#define MIRRORVM_CONSOLE_H

#include "util.h"

/*
 * Watches the guest console for the end of a kernel panic report, for
 * guests whose kernel has no pvpanic driver (yet): true once seen.
 */
struct console_watch {
	char line[64];		/* start of the current line */
	size_t len;
	bool panicked;
};

bool console_watch__feed(struct console_watch *w, const u8 *buf, size_t n);

#endif
