// SPDX-License-Identifier: GPL-2.0
/*
 * The host TSC rate, for guests that cannot measure their own.  Under QEMU
 * TCG the guest's RDTSC reads the host TSC, but Linux's PIT calibration
 * races the emulated PIT against it and fails on a busy host ("tsc: Unable
 * to calibrate against PIT"); with HW-reduced ACPI there is then no timer
 * at all and the guest hangs.  Only constant-rate host TSCs are used.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "engine.h"

static bool host_tsc_constant(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	bool ok = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "flags", 5)) {
			ok = strstr(line, " constant_tsc") && strstr(line, " nonstop_tsc");
			break;
		}
	}
	fclose(f);
	return ok;
}

static u64 ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

u64 host_tsc_khz(void)
{
	u64 best = 0, samples[5];
	int i, j;

	if (!host_tsc_constant())
		return 0;
	for (i = 0; i < 5; i++) {
		struct timespec d = { 0, 20 * 1000 * 1000 };
		u64 t0 = ns_now(), c0 = __rdtsc(), t1, c1;

		nanosleep(&d, NULL);
		c1 = __rdtsc();
		t1 = ns_now();
		samples[i] = (c1 - c0) * 1000000ULL / (t1 - t0);
	}
	/* median of five: one preempted sample must not skew it */
	for (i = 0; i < 5; i++)
		for (j = i + 1; j < 5; j++)
			if (samples[j] < samples[i]) {
				u64 t = samples[i];

				samples[i] = samples[j];
				samples[j] = t;
			}
	best = samples[2];
	return best;
}
