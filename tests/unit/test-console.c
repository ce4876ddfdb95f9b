// SPDX-License-Identifier: GPL-2.0
/* The console panic watch: which lines end a VM and which do not. */
#include "unit.h"
#include "console.h"

static bool feed_str(struct console_watch *w, const char *s)
{
	return console_watch__feed(w, (const u8 *)s, strlen(s));
}

static void test_matches(void)
{
	struct console_watch w = { .len = 0 };

	CHECK(!feed_str(&w, "[    1.0] Kernel panic - not syncing: VFS\n"), "the first line is not the end");
	CHECK(feed_str(&w, "[    1.246034] ---[ end Kernel panic - not syncing: VFS ]---\r\n"), "timestamped");
	memset(&w, 0, sizeof(w));
	CHECK(feed_str(&w, "---[ end Kernel panic - not syncing: x ]---\n"), "no timestamp");
}

static void test_split_across_feeds(void)
{
	struct console_watch w = { .len = 0 };
	const char *s = "[ 12.5] ---[ end Kernel panic - not syncing ]---\n";
	size_t i;

	for (i = 0; s[i]; i++)
		CHECK(console_watch__feed(&w, (const u8 *)s + i, 1) == (s[i + 1] == '\0'),
		      "byte %zu", i);
}

static void test_no_false_positives(void)
{
	struct console_watch w = { .len = 0 };

	CHECK(!feed_str(&w, "L2OUT:early-panic [    1.2] ---[ end Kernel panic - not syncing ]---\n"),
	      "relayed with a prefix");
	CHECK(!feed_str(&w, "echo ---[ end Kernel panic\n"), "mid-line");
	CHECK(!feed_str(&w, "[ 1.0 ---[ end Kernel panic\n"), "broken timestamp");
	CHECK(!feed_str(&w, "---[ end Kernel panic"), "no newline yet");
	/* a very long line is cut to its start, and still judged by it */
	memset(&w, 0, sizeof(w));
	{
		char longline[300];

		memset(longline, 'x', sizeof(longline) - 2);
		longline[sizeof(longline) - 2] = '\n';
		longline[sizeof(longline) - 1] = '\0';
		CHECK(!feed_str(&w, longline), "long line");
	}
	CHECK(feed_str(&w, "---[ end Kernel panic\n"), "next line still seen");
}

int main(void)
{
	RUN(test_matches);
	RUN(test_split_across_feeds);
	RUN(test_no_false_positives);
	UNIT_DONE();
}
