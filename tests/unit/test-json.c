// SPDX-License-Identifier: GPL-2.0
/* Unit tests of vmm/json.c: the writer. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "unit.h"

/* ---- writer ---- */

static void test_writer_compact(void)
{
	struct json_writer w;
	struct err e;

	json_writer_init(&w, 0);
	json_object_begin(&w);
	json_kv_string(&w, "execute", "memory-unplug");
	json_key(&w, "arguments");
	json_object_begin(&w);
	json_kv_u64(&w, "node", 2);
	json_object_end(&w);
	json_key(&w, "list");
	json_array_begin(&w);
	json_u64(&w, 1);
	json_s64(&w, -2);
	json_bool(&w, true);
	json_bool(&w, false);
	json_null(&w);
	json_array_begin(&w);
	json_array_end(&w);
	json_object_begin(&w);
	json_object_end(&w);
	json_array_end(&w);
	json_object_end(&w);
	CHECK(json_writer_finish(&w, &e) == 0, "%s", e.msg);
	CHECK(!strcmp(w.buf, "{\"execute\": \"memory-unplug\", \"arguments\": {\"node\": 2}, "
		      "\"list\": [1, -2, true, false, null, [], {}]}\n"), "got %s", w.buf);
	CHECK(w.len == strlen(w.buf), "len %zu", w.len);

	/* the same writer again, for the next socket line */
	json_writer_reset(&w);
	json_object_begin(&w);
	json_key(&w, "return");
	json_object_begin(&w);
	json_object_end(&w);
	json_object_end(&w);
	CHECK(json_writer_finish(&w, &e) == 0, "%s", e.msg);
	CHECK(!strcmp(w.buf, "{\"return\": {}}\n"), "got %s", w.buf);
	json_writer_reset(&w);
	json_u64(&w, 7);
	CHECK(json_writer_finish(&w, &e) == 0 && !strcmp(w.buf, "7\n"), "got %s", w.buf);
	json_writer_free(&w);
}

static void test_writer_pretty(void)
{
	static const char want[] =
		"{\n"
		"  \"host_mirror\": {\n"
		"    \"method\": \"none\",\n"
		"    \"ranges\": [\n"
		"      [\n"
		"        \"0x0\",\n"
		"        \"0x80000000\"\n"
		"      ]\n"
		"    ]\n"
		"  },\n"
		"  \"empty\": [],\n"
		"  \"nothing\": {},\n"
		"  \"mirrored_bytes\": null,\n"
		"  \"vmm_rss_bytes\": 18446744073709551615\n"
		"}\n";
	struct json_writer w;
	struct err e;

	json_writer_init(&w, JSON_PRETTY);
	json_object_begin(&w);
	json_key(&w, "host_mirror");
	json_object_begin(&w);
	json_kv_string(&w, "method", "none");
	json_key(&w, "ranges");
	json_array_begin(&w);
	json_array_begin(&w);
	json_stringf(&w, "0x%llx", 0ULL);
	json_stringf(&w, "0x%llx", 0x80000000ULL);
	json_array_end(&w);
	json_array_end(&w);
	json_object_end(&w);
	json_key(&w, "empty");
	json_array_begin(&w);
	json_array_end(&w);
	json_key(&w, "nothing");
	json_object_begin(&w);
	json_object_end(&w);
	json_kv_null(&w, "mirrored_bytes");
	json_kv_u64(&w, "vmm_rss_bytes", UINT64_MAX);
	json_object_end(&w);
	CHECK(json_writer_finish(&w, &e) == 0, "%s", e.msg);
	CHECK(!strcmp(w.buf, want), "got\n%s", w.buf);
	json_writer_free(&w);
}

static void test_writer_escaping(void)
{
	static const char in[] = "q\" b\\ /\b\f\n\r\t\x01\x1f\x7f é € \xf0\x9f\x98\x80";
	static const char want[] = "\"q\\\" b\\\\ /\\b\\f\\n\\r\\t\\u0001\\u001f\x7f é € "
				   "\xf0\x9f\x98\x80\"\n";
	/* invalid UTF-8: each bad byte becomes U+FFFD (EF BF BD) */
	static const struct { const char *in, *out; } bad[] = {
		{ "a\xff" "b", "\"a\xef\xbf\xbd" "b\"\n" },
		{ "\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"\n" },		/* overlong '/' */
		{ "\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"\n" },	/* surrogate */
		{ "\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"\n" },
		{ "\xe2\x82", "\"\xef\xbf\xbd\xef\xbf\xbd\"\n" },		/* cut short */
		{ "\x80", "\"\xef\xbf\xbd\"\n" },				/* lone continuation */
		{ "\xe0\x80\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"\n" },	/* overlong */
		{ "\xf0\x8f\xbf\xbf", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"\n" },
		{ "\xf5", "\"\xef\xbf\xbd\"\n" },
		{ "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"\n" },		/* U+10FFFF is fine */
		{ "\xed\x9f\xbf", "\"\xed\x9f\xbf\"\n" },			/* U+D7FF is fine */
	};
	struct json_writer w;
	struct err e;
	unsigned int i;

	json_writer_init(&w, 0);
	json_string(&w, in);
	CHECK(json_writer_finish(&w, &e) == 0, "%s", e.msg);
	CHECK(!strcmp(w.buf, want), "got %s", w.buf);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		json_writer_reset(&w);
		json_string(&w, bad[i].in);
		CHECK(json_writer_finish(&w, &e) == 0, "%s", e.msg);
		CHECK(!strcmp(w.buf, bad[i].out), "case %u: got %s", i, w.buf);
	}

	/* an embedded NUL, and a key that needs escaping */
	json_writer_reset(&w);
	json_object_begin(&w);
	json_key(&w, "k\"\n\xff");
	json_string_len(&w, "a\0b", 3);
	json_object_end(&w);
	CHECK(json_writer_finish(&w, &e) == 0, "%s", e.msg);
	CHECK(!strcmp(w.buf, "{\"k\\\"\\n\xef\xbf\xbd\": \"a\\u0000b\"}\n"), "got %s", w.buf);
	json_writer_free(&w);
}

static void test_writer_integers(void)
{
	struct json_writer w;
	struct err e;

	json_writer_init(&w, 0);
	json_array_begin(&w);
	json_u64(&w, 0);
	json_u64(&w, UINT64_MAX);
	json_s64(&w, INT64_MIN);
	json_s64(&w, INT64_MAX);
	json_s64(&w, -1);
	json_array_end(&w);
	CHECK(json_writer_finish(&w, &e) == 0, "%s", e.msg);
	CHECK(!strcmp(w.buf, "[0, 18446744073709551615, -9223372036854775808, "
		      "9223372036854775807, -1]\n"), "got %s", w.buf);
	json_writer_free(&w);
}

static void test_writer_misuse(void)
{
	static const struct {
		const char *name, *why;
	} cases[] = {
		{ "value without key", "a value without a key inside an object" },
		{ "key outside object", "a key outside an object" },
		{ "key in array", "a key outside an object" },
		{ "two keys", "a key where the previous key's value is due" },
		{ "end mismatch", "json_array_end() without an open array" },
		{ "end nothing", "json_object_end() without an open object" },
		{ "key without value", "a key without a value at the end of an object" },
		{ "second value", "a second value after the complete top-level one" },
		{ "still open", "an array or object is still open" },
		{ "nothing", "nothing was written" },
		{ "null string", "a NULL string" },
		{ "null key", "a NULL key" },
	};
	struct json_writer w;
	struct err e;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t len;
		int ret;

		json_writer_init(&w, 0);
		switch (i) {
		case 0: json_object_begin(&w); json_u64(&w, 1); break;
		case 1: json_key(&w, "a"); break;
		case 2: json_array_begin(&w); json_key(&w, "a"); break;
		case 3: json_object_begin(&w); json_key(&w, "a"); json_key(&w, "b"); break;
		case 4: json_object_begin(&w); json_array_end(&w); break;
		case 5: json_object_end(&w); break;
		case 6: json_object_begin(&w); json_key(&w, "a"); json_object_end(&w); break;
		case 7: json_u64(&w, 1); json_u64(&w, 2); break;
		case 8: json_array_begin(&w); json_object_begin(&w); break;
		case 9: break;
		case 10: json_string(&w, NULL); break;
		case 11: json_object_begin(&w); json_key(&w, NULL); break;
		}
		/* sticky: nothing more is written, every call says so */
		if (i != 8 && i != 9) {
			len = w.len;
			ret = json_null(&w);
			CHECK(ret == -EINVAL, "%s: a later call returned %d", cases[i].name, ret);
			CHECK(w.len == len, "%s: wrote after the error", cases[i].name);
		}
		ret = json_writer_finish(&w, &e);
		CHECK(ret == -EINVAL, "%s: finish returned %d", cases[i].name, ret);
		CHECK(strstr(e.msg, cases[i].why) != NULL, "%s: message '%s'", cases[i].name, e.msg);
		json_writer_free(&w);
	}
}

static void test_writer_limits_and_file(void)
{
	struct json_writer w, f;
	struct err e;
	char *text;
	FILE *tmp;
	long n;
	int i;

	/* max_len */
	json_writer_init(&w, 0);
	w.max_len = 10;
	json_array_begin(&w);
	json_u64(&w, 1234);
	CHECK(json_u64(&w, 5678) == -ENOSPC, "max_len not enforced: %s", w.buf);
	CHECK(json_writer_finish(&w, &e) == -ENOSPC && strstr(e.msg, "max_len"), "%s", e.msg);
	json_writer_free(&w);

	/* FILE output equals buffer output, across several flushes */
	tmp = tmpfile();
	CHECK(tmp != NULL, "tmpfile");
	if (!tmp)
		return;
	json_writer_init(&w, JSON_PRETTY);
	json_writer_init_file(&f, tmp, JSON_PRETTY);
	json_array_begin(&w);
	json_array_begin(&f);
	for (i = 0; i < 3000; i++) {
		json_stringf(&w, "element %d with some text", i);
		json_stringf(&f, "element %d with some text", i);
	}
	json_array_end(&w);
	json_array_end(&f);
	CHECK(json_writer_finish(&w, &e) == 0, "%s", e.msg);
	CHECK(json_writer_finish(&f, &e) == 0, "%s", e.msg);
	CHECK(f.flushed == w.len && f.len == 0, "flushed %zu of %zu", f.flushed, w.len);
	n = ftell(tmp);
	CHECK(n == (long)w.len, "file has %ld bytes, buffer %zu", n, w.len);
	text = calloc(1, w.len + 1);
	rewind(tmp);
	CHECK(text && fread(text, 1, w.len, tmp) == w.len && !memcmp(text, w.buf, w.len),
	      "file and buffer differ");
	free(text);
	fclose(tmp);
	json_writer_free(&f);

	/* a long formatted string */
	json_writer_reset(&w);
	json_stringf(&w, "%0600d", 7);
	CHECK(json_writer_finish(&w, &e) == 0 && w.len == 603 && w.buf[600] == '7',
	      "len %zu", w.len);
	json_writer_free(&w);
}

int main(void)
{
	RUN(test_writer_compact);
	RUN(test_writer_pretty);
	RUN(test_writer_escaping);
	RUN(test_writer_integers);
	RUN(test_writer_misuse);
	RUN(test_writer_limits_and_file);
	UNIT_DONE();
}
