// SPDX-License-Identifier: GPL-2.0
/*
 * A guest kernel that panics before its pvpanic driver is loaded (Debian's
 * is a module) would otherwise hang forever.  panic() ends with the line
 * "---[ end Kernel panic - not syncing: ... ]---", after the message and the
 * backtrace, so a console line that starts with it (after the printk time
 * stamp, if any) ends the VM with the whole report shown.  Only whole lines
 * that start so count: a nested VMM relaying its own guest's panic with a
 * prefix, or a program printing the phrase mid-line, does not trigger it.
 */
#include <ctype.h>
#include <string.h>

#include "console.h"

static const char marker[] = "---[ end Kernel panic";

static bool is_panic_end(const char *line)
{
	const char *p = line;

	if (*p == '[') {	/* "[    1.246034] " */
		for (p++; *p == ' ' || *p == '.' || isdigit((unsigned char)*p); p++)
			;
		if (*p++ != ']' || *p++ != ' ')
			return false;
	}
	return !strncmp(p, marker, sizeof(marker) - 1);
}

bool console_watch__feed(struct console_watch *w, const u8 *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n && !w->panicked; i++) {
		char c = buf[i];

		if (c == '\n' || c == '\r') {
			w->line[w->len] = '\0';
			w->panicked = is_panic_end(w->line);
			w->len = 0;
		} else if (w->len < sizeof(w->line) - 1) {
			w->line[w->len++] = c;
		}
	}
	return w->panicked;
}
