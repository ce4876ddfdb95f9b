// SPDX-License-Identifier: GPL-2.0
/*
 * The host terminal: raw input while a guest owns the console, restored
 * however mirrorvm ends (normal return, die(), or exit from anywhere).
 * ISIG stays on, so ^C at the terminal still stops mirrorvm (exit 130).
 */
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include "engine.h"

static struct termios saved;
static bool raw;
static bool registered;

void term__restore(void)
{
	if (!raw)
		return;
	tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	raw = false;
}

void term__raw(void)
{
	struct termios t;

	if (raw || !isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved))
		return;
	t = saved;
	cfmakeraw(&t);
	t.c_lflag |= ISIG;
	t.c_oflag |= OPOST | ONLCR;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t))
		return;
	raw = true;
	if (!registered) {
		atexit(term__restore);
		registered = true;
	}
}
