// SPDX-License-Identifier: GPL-2.0
/*
 * Reading the host's /proc and /sys.  MIRRORVM_HOST_ROOT prefixes every
 * path, so tests can point the host-side code at recorded fixtures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"

const char *hostfs__root(void)
{
	const char *r = getenv("MIRRORVM_HOST_ROOT");

	return r ? r : "";
}

void hostfs__path(char *buf, size_t len, const char *path)
{
	snprintf(buf, len, "%s%s", hostfs__root(), path);
}

int hostfs__read_str(const char *path, char *buf, size_t len)
{
	char full[512];
	FILE *f;

	hostfs__path(full, sizeof(full), path);
	f = fopen(full, "r");
	if (!f)
		return -1;
	if (!fgets(buf, len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

long hostfs__read_long(const char *path)
{
	char buf[64];

	if (hostfs__read_str(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

long hostfs__meminfo_kb(const char *key)
{
	char full[512], line[256];
	size_t klen = strlen(key);
	long kb = -1;
	FILE *f;

	hostfs__path(full, sizeof(full), "/proc/meminfo");
	f = fopen(full, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			kb = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

bool hostfs__exists(const char *path)
{
	char full[512];

	hostfs__path(full, sizeof(full), path);
	return access(full, F_OK) == 0;
}
