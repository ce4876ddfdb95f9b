// SPDX-License-Identifier: GPL-2.0
/* Unit tests of vmm/json.c: the writer, the strict reader, the accessors. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "unit.h"

static const struct json_limits lim = {
	.max_bytes = 1 << 20, .max_depth = 64, .max_nodes = 100000,
};

/* Parses @s (NUL-terminated) with @l; NULL and the message on failure. */
static struct json_doc *parse_l(const char *s, size_t len, const struct json_limits *l,
				struct err *e, size_t *off)
{
	struct json_doc *doc = NULL;
	size_t o = (size_t)-1;

	memset(e, 0, sizeof(*e));
	if (json_parse(s, len, l, &doc, &o, e))
		doc = NULL;
	if (off)
		*off = o;
	return doc;
}

static struct json_doc *parse(const char *s, struct err *e)
{
	return parse_l(s, strlen(s), &lim, e, NULL);
}

/* Writes a parsed value back (the test's own walk, recursive: tests only). */
static void emit(struct json_writer *w, const struct json_value *v)
{
	const struct json_value *k;

	switch (v->type) {
	case JSON_NULL:
		json_null(w);
		break;
	case JSON_BOOL:
		json_bool(w, v->u.b);
		break;
	case JSON_INT:
		if (v->u.i.neg)
			json_s64(w, (s64)(0 - v->u.i.mag));
		else
			json_u64(w, v->u.i.mag);
		break;
	case JSON_STRING:
		json_string_len(w, v->u.str.s, v->u.str.len);
		break;
	case JSON_ARRAY:
		json_array_begin(w);
		json_for_each(k, v)
			emit(w, k);
		json_array_end(w);
		break;
	case JSON_OBJECT:
		json_object_begin(w);
		json_for_each(k, v) {
			json_key(w, k->key);
			emit(w, k);
		}
		json_object_end(w);
		break;
	}
}

/* Parses @s and writes it again with @flags; a malloc'ed string or NULL. */
static char *reformat(const char *s, size_t len, unsigned int flags, const struct json_limits *l)
{
	struct json_writer w;
	struct json_doc *doc;
	struct err e;
	char *out = NULL;

	doc = parse_l(s, len, l, &e, NULL);
	if (!doc)
		return NULL;
	json_writer_init(&w, flags);
	emit(&w, json_root(doc));
	if (!json_writer_finish(&w, &e))
		out = strdup(w.buf);
	json_writer_free(&w);
	json_doc_free(doc);
	return out;
}

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
	char *again;

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
	/* the reader reads it back to the same text */
	again = reformat(w.buf, w.len, JSON_PRETTY, &lim);
	CHECK(again && !strcmp(again, want), "reformatted\n%s", again);
	free(again);
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
	struct json_doc *doc;
	struct err e;
	unsigned int i;

	json_writer_init(&w, 0);
	json_string(&w, in);
	CHECK(json_writer_finish(&w, &e) == 0, "%s", e.msg);
	CHECK(!strcmp(w.buf, want), "got %s", w.buf);
	doc = parse(w.buf, &e);
	CHECK(doc && !strcmp(json_root(doc)->u.str.s, in), "round trip: %s", e.msg);
	json_doc_free(doc);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		json_writer_reset(&w);
		json_string(&w, bad[i].in);
		CHECK(json_writer_finish(&w, &e) == 0, "%s", e.msg);
		CHECK(!strcmp(w.buf, bad[i].out), "case %u: got %s", i, w.buf);
		doc = parse(w.buf, &e);
		CHECK(doc, "case %u: the writer's output must parse: %s", i, e.msg);
		json_doc_free(doc);
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
	struct json_doc *doc;
	struct err e;
	u64 u;
	s64 s;

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
	doc = parse(w.buf, &e);
	CHECK(doc != NULL, "%s", e.msg);
	if (doc) {
		const struct json_value *v = json_root(doc)->u.kids.first;

		CHECK(json_as_u64(v, &u, &e) == 0 && u == 0, "0");
		v = v->next;
		CHECK(json_as_u64(v, &u, &e) == 0 && u == UINT64_MAX, "u64 max");
		v = v->next;
		CHECK(json_as_s64(v, &s, &e) == 0 && s == INT64_MIN, "s64 min");
		v = v->next;
		CHECK(json_as_s64(v, &s, &e) == 0 && s == INT64_MAX, "s64 max");
		v = v->next;
		CHECK(json_as_s64(v, &s, &e) == 0 && s == -1, "-1");
	}
	json_doc_free(doc);
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

/* ---- reader ---- */

static void test_reader_values(void)
{
	static const char text[] =
		" {\"execute\" : \"memory-unplug\",\r\n\t\"arguments\": {\"node\": 2, \"force\": false},"
		" \"list\": [null, true, -0, \"\\u00e9\\u20ac\\ud83d\\ude00\\/\\\"\\\\\\b\\f\\n\\r\\t\","
		" [], {}], \"\\u0041key\": \"\xc3\xa9\"} ";
	const struct json_value *root, *args, *list, *v;
	struct json_doc *doc;
	const char *s;
	struct err e;
	bool b;
	u64 u;
	s64 i;
	size_t n;

	doc = parse(text, &e);
	CHECK(doc != NULL, "%s", e.msg);
	if (!doc)
		return;
	root = json_root(doc);
	CHECK(root->type == JSON_OBJECT && json_count(root) == 4, "root");
	CHECK(json_get_string(root, "execute", &s, &e) == 0 && !strcmp(s, "memory-unplug"), "%s", e.msg);
	CHECK(json_get_object(root, "arguments", &args, &e) == 0, "%s", e.msg);
	CHECK(json_get_u64(args, "node", &u, &e) == 0 && u == 2, "%s", e.msg);
	CHECK(json_get_bool(args, "force", &b, &e) == 0 && !b, "%s", e.msg);
	CHECK(json_get_array(root, "list", &list, &e) == 0 && json_count(list) == 6, "%s", e.msg);
	n = 0;
	json_for_each(v, list)
		CHECK(v->index == n++ && v->key == NULL && v->parent == list, "element %zu", n);
	v = list->u.kids.first;
	CHECK(v->type == JSON_NULL, "null");
	v = v->next;
	CHECK(json_as_bool(v, &b, &e) == 0 && b, "true");
	v = v->next;
	CHECK(json_as_s64(v, &i, &e) == 0 && i == 0 && !v->u.i.neg, "-0 is 0");
	v = v->next;
	CHECK(json_as_string(v, &s, &e) == 0 &&
	      !strcmp(s, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80/\"\\\b\f\n\r\t"), "escapes: %s", s);
	CHECK(v->u.str.len == strlen(s), "length");
	v = v->next;
	CHECK(v->type == JSON_ARRAY && json_count(v) == 0, "[]");
	v = v->next;
	CHECK(v->type == JSON_OBJECT && json_count(v) == 0 && !v->next, "{}");
	CHECK(json_get_string(root, "Akey", &s, &e) == 0 && !strcmp(s, "\xc3\xa9"), "%s", e.msg);
	CHECK(json_get(root, "nope") == NULL && json_get(list, "x") == NULL, "json_get");
	/* offsets: a member's is its key's */
	CHECK(json_get(root, "execute")->offset == 2, "offset %zu", json_get(root, "execute")->offset);
	json_doc_free(doc);

	/* scalars at the top level */
	doc = parse("42", &e);
	CHECK(doc && json_as_u64(json_root(doc), &u, &e) == 0 && u == 42, "42");
	json_doc_free(doc);
	doc = parse("\"\"", &e);
	CHECK(doc && json_root(doc)->type == JSON_STRING && json_root(doc)->u.str.len == 0, "\"\"");
	json_doc_free(doc);
	doc = parse("null", &e);
	CHECK(doc && json_root(doc)->type == JSON_NULL, "null");
	json_doc_free(doc);
}

static void test_reader_errors(void)
{
	static const struct {
		const char *in;
		size_t len;	/* 0: strlen */
		size_t off;
		const char *msg;
	} cases[] = {
		{ "", 0, 0, "expected a value, found end of input at byte 0" },
		{ "  \n", 0, 3, "expected a value, found end of input" },
		{ "{\"a\" 1}", 0, 5, "expected ':' after object key at byte 5" },
		{ "{\"a\"", 0, 4, "expected ':' after object key" },
		{ "{\"a\":", 0, 5, "expected a value, found end of input" },
		{ "{\"a\":1,}", 0, 7, "expected a string key, found '}'" },
		{ "{,}", 0, 1, "expected a string key, found ','" },
		{ "{'a':1}", 0, 1, "expected a string key, found '''" },
		{ "{a:1}", 0, 1, "expected a string key, found 'a'" },
		{ "{1:1}", 0, 1, "expected a string key" },
		{ "[1,]", 0, 3, "expected a value, found ']'" },
		{ "[,1]", 0, 1, "expected a value, found ','" },
		{ "[1 2]", 0, 3, "expected ',' or ']' after an array element, found '2'" },
		{ "[1", 0, 2, "expected ',' or ']' after an array element, found end of input" },
		{ "[", 0, 1, "expected a value, found end of input" },
		{ "{\"a\":1 \"b\":2}", 0, 7, "expected ',' or '}' after an object member, found '\"'" },
		{ "[1}", 0, 2, "expected ',' or ']'" },
		{ "{\"a\":1]", 0, 6, "expected ',' or '}'" },
		{ "]", 0, 0, "expected a value, found ']'" },
		{ "01", 0, 0, "leading zeros are not allowed" },
		{ "-01", 0, 1, "leading zeros are not allowed" },
		{ "-", 0, 1, "expected a digit after '-'" },
		{ "-a", 0, 1, "expected a digit after '-'" },
		{ "+1", 0, 0, "expected a value, found '+'" },
		{ "1.5", 0, 1, "fractions and exponents are not supported" },
		{ "1e3", 0, 1, "fractions and exponents are not supported" },
		{ "1E3", 0, 1, "fractions and exponents" },
		{ "-0.0", 0, 2, "fractions and exponents" },
		{ ".5", 0, 0, "expected a value, found '.'" },
		{ "18446744073709551616", 0, 0, "integer out of range (-2^63 to 2^64-1)" },
		{ "99999999999999999999999", 0, 0, "integer out of range" },
		{ "-9223372036854775809", 0, 0, "integer out of range" },
		{ "[1, 184467440737095516150]", 0, 4, "integer out of range" },
		{ "NaN", 0, 0, "expected a value, found 'N'" },
		{ "Infinity", 0, 0, "expected a value, found 'I'" },
		{ "tru", 0, 0, "invalid literal (expected true, false or null)" },
		{ "nul", 0, 0, "invalid literal" },
		{ "True", 0, 0, "expected a value, found 'T'" },
		{ "truex", 0, 4, "unexpected 'x' after the JSON value" },
		{ "{} {}", 0, 3, "unexpected '{' after the JSON value" },
		{ "1 2", 0, 2, "unexpected '2' after the JSON value" },
		{ "[1]\0", 4, 3, "unexpected byte 0x00 after the JSON value" },
		{ "\"abc", 0, 0, "unterminated string at byte 0" },
		{ "[\"abc\\", 0, 1, "unterminated string" },
		{ "\"a\nb\"", 0, 2, "control character 0x0a in a string (it must be escaped)" },
		{ "\"a\0b\"", 5, 2, "control character 0x00" },
		{ "\"\x1f\"", 0, 1, "control character 0x1f" },
		{ "\"\\x\"", 0, 1, "invalid escape \\'x' in a string" },
		{ "\"\\'\"", 0, 1, "invalid escape" },
		{ "\"\\u12\"", 0, 1, "invalid \\u escape (it needs 4 hex digits)" },
		{ "\"\\u12g4\"", 0, 1, "invalid \\u escape" },
		{ "\"\\u0000\"", 0, 1, "\\u0000 in a string is not supported" },
		{ "\"\\ud83d\"", 0, 1, "unpaired high surrogate \\uD83D" },
		{ "\"\\ud83dx\"", 0, 1, "unpaired high surrogate" },
		{ "\"\\ud83d\\u0041\"", 0, 1, "unpaired high surrogate" },
		{ "\"\\ud83d\\ud83d\"", 0, 1, "unpaired high surrogate" },
		{ "\"\\ude00\"", 0, 1, "unpaired low surrogate \\uDE00" },
		{ "\"\xff\"", 0, 1, "invalid UTF-8 in a string (byte 0xff)" },
		{ "\"\xc0\xaf\"", 0, 1, "invalid UTF-8" },
		{ "\"\xed\xa0\x80\"", 0, 1, "invalid UTF-8" },
		{ "\"\xf4\x90\x80\x80\"", 0, 1, "invalid UTF-8" },
		{ "\"ab\xe2\x82\"", 0, 3, "invalid UTF-8" },
		{ "\"\x80\"", 0, 1, "invalid UTF-8" },
		{ "\xef\xbb\xbf{}", 0, 0, "expected a value, found byte 0xef" },
		{ "/* c */ 1", 0, 0, "expected a value, found '/'" },
		{ "{\"a\":1,\"a\":2}", 0, 7, "duplicate key \"a\" at byte 7" },
		{ "{\"a\":{\"b\":1,\"b\":1}}", 0, 12, "duplicate key \"b\"" },
		{ "{\"\\u0061\":1,\"a\":2}", 0, 12, "duplicate key \"a\"" },
		{ "{\"k\":1,\"a\":1,\"b\":1,\"c\":1,\"d\":1,\"e\":1,\"f\":1,\"g\":1,\"h\":1,"
		  "\"i\":1,\"e\":1,\"b\":1}", 0, 61, "duplicate key \"e\"" },
	};
	struct json_doc *doc;
	struct err e;
	unsigned int i;
	size_t off;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);

		doc = parse_l(cases[i].in, len, &lim, &e, &off);
		CHECK(doc == NULL, "case %u (%s): accepted", i, cases[i].in);
		json_doc_free(doc);
		CHECK(strstr(e.msg, cases[i].msg) != NULL, "case %u (%s): message '%s'", i,
		      cases[i].in, e.msg);
		CHECK(off == cases[i].off, "case %u (%s): offset %zu, want %zu (%s)", i,
		      cases[i].in, off, cases[i].off, e.msg);
	}
	/* the largest and smallest integers are fine */
	doc = parse("[18446744073709551615, -9223372036854775808, 0, -0]", &e);
	CHECK(doc != NULL, "%s", e.msg);
	json_doc_free(doc);
	/* missing limits */
	{
		struct json_limits none = { 0 };

		CHECK(json_parse("1", 1, &none, &doc, NULL, &e) == -EINVAL && doc == NULL &&
		      strstr(e.msg, "limit"), "%s", e.msg);
		CHECK(json_parse("1", 1, NULL, &doc, NULL, &e) == -EINVAL, "NULL limits");
	}
}

static void test_reader_limits(void)
{
	struct json_limits l = { .max_bytes = 100, .max_depth = 4, .max_nodes = 3 };
	size_t n = 1000000, i, off;
	struct json_doc *doc;
	char *big;
	struct err e;

	/* depth: "[]" is 1 */
	l.max_nodes = 100;
	doc = parse_l("[[[[1]]]]", 9, &l, &e, &off);
	CHECK(doc != NULL, "depth 4 within 4: %s", e.msg);
	json_doc_free(doc);
	doc = parse_l("[[[[[1]]]]]", 11, &l, &e, &off);
	CHECK(!doc && off == 4 && strstr(e.msg, "nested deeper than 4"), "%zu %s", off, e.msg);
	doc = parse_l("{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}", 26, &l, &e, &off);
	CHECK(!doc && off == 20 && strstr(e.msg, "nested deeper than 4"), "%zu %s", off, e.msg);

	/* nodes: containers count */
	l.max_nodes = 3;
	doc = parse_l("[1,2]", 5, &l, &e, &off);
	CHECK(doc != NULL, "3 values within 3: %s", e.msg);
	json_doc_free(doc);
	doc = parse_l("[1,2,3]", 7, &l, &e, &off);
	CHECK(!doc && off == 5 && strstr(e.msg, "more than 3 values"), "%zu %s", off, e.msg);

	/* bytes: refused before parsing */
	doc = parse_l("                                                                      "
		      "                               1", 102, &l, &e, &off);
	CHECK(!doc && off == 100 && strstr(e.msg, "longer than the limit of 100 bytes"),
	      "%zu %s", off, e.msg);

	/* a million open brackets: stopped at the depth limit, no recursion */
	big = malloc(2 * n + 1);
	CHECK(big != NULL, "malloc");
	if (!big)
		return;
	memset(big, '[', n);
	memset(big + n, ']', n);
	l = (struct json_limits){ .max_bytes = 2 * n, .max_depth = 64, .max_nodes = 2 * n };
	doc = parse_l(big, 2 * n, &l, &e, &off);
	CHECK(!doc && off == 64 && strstr(e.msg, "nested deeper than 64"), "%zu %s", off, e.msg);
	/* and when the caller allows it, parsed and freed without recursion */
	l.max_depth = n;
	doc = parse_l(big, 2 * n, &l, &e, &off);
	CHECK(doc != NULL, "%s", e.msg);
	if (doc) {
		const struct json_value *v = json_root(doc);
		char path[64];

		for (i = 1; i < n && v; i++)
			v = v->u.kids.first;
		CHECK(v && v->type == JSON_ARRAY && json_count(v) == 0, "innermost");
		json_path(v, path, sizeof(path));
		CHECK(!strncmp(path, "...[0][0]", 9), "path %s", path);
	}
	json_doc_free(doc);

	/* a huge flat array, [0,0,...,0] with n - 1 zeros: the node limit stops it early */
	off = 0;
	big[off++] = '[';
	for (i = 0; i < n - 1; i++) {
		if (i)
			big[off++] = ',';
		big[off++] = '0';
	}
	big[off++] = ']';
	n = off;
	l = (struct json_limits){ .max_bytes = n, .max_depth = 2, .max_nodes = 1000 };
	doc = parse_l(big, n, &l, &e, &off);
	CHECK(!doc && off == 1 + 2 * 999 && strstr(e.msg, "more than 1000 values"), "%zu %s", off,
	      e.msg);
	l.max_nodes = 1000000;
	doc = parse_l(big, n, &l, &e, &off);
	CHECK(doc && json_count(json_root(doc)) == 999999, "%s", e.msg);
	json_doc_free(doc);
	free(big);
}

static void test_reader_numbers(void)
{
	struct json_doc *doc;
	struct err e;
	u64 u;
	s64 s;

	doc = parse("{\"max\": 18446744073709551615, \"min\": -9223372036854775808, "
		    "\"smax\": 9223372036854775807, \"over\": 9223372036854775808, \"neg\": -1}", &e);
	CHECK(doc != NULL, "%s", e.msg);
	if (!doc)
		return;
	CHECK(json_get_u64(json_root(doc), "max", &u, &e) == 0 && u == UINT64_MAX, "u64 max");
	CHECK(json_get_s64(json_root(doc), "max", &s, &e) == -EINVAL &&
	      !strcmp(e.msg, "max: 18446744073709551615 does not fit in a signed 64-bit integer"),
	      "%s", e.msg);
	CHECK(json_get_s64(json_root(doc), "min", &s, &e) == 0 && s == INT64_MIN, "s64 min");
	CHECK(json_get_u64(json_root(doc), "min", &u, &e) == -EINVAL &&
	      !strcmp(e.msg, "min: expected an unsigned integer, got -9223372036854775808"),
	      "%s", e.msg);
	CHECK(json_get_s64(json_root(doc), "smax", &s, &e) == 0 && s == INT64_MAX, "s64 max");
	CHECK(json_get_s64(json_root(doc), "over", &s, &e) == -EINVAL, "2^63 as s64");
	CHECK(json_get_u64(json_root(doc), "over", &u, &e) == 0 && u == 1ULL << 63, "2^63 as u64");
	CHECK(json_get_s64(json_root(doc), "neg", &s, &e) == 0 && s == -1, "-1");
	json_doc_free(doc);
}

static void test_accessors(void)
{
	static const char text[] =
		"{\"execute\": \"memory-unplug\", \"arguments\": {\"node\": \"2\"},"
		" \"nodes\": [{\"id\": 0}, {\"id\": true}], \"x\": 1}";
	static const char *const allowed[] = { "execute", "arguments", "nodes", NULL };
	static const char *const args_allowed[] = { "node", NULL };
	const struct json_value *root, *args, *nodes, *v;
	struct json_doc *doc;
	const char *s;
	char path[64];
	struct err e;
	bool b;
	u64 u;
	int ret;

	doc = parse(text, &e);
	CHECK(doc != NULL, "%s", e.msg);
	if (!doc)
		return;
	root = json_root(doc);
	CHECK(!strcmp(json_path(root, path, sizeof(path)), "(top level)"), "%s", path);
	ret = json_get_u64(root, "node", &u, &e);
	CHECK(ret == -ENOENT && !strcmp(e.msg, "missing member \"node\""), "%d %s", ret, e.msg);
	args = json_get(root, "arguments");
	ret = json_get_u64(args, "node", &u, &e);
	CHECK(ret == -EINVAL &&
	      !strcmp(e.msg, "arguments.node: expected an unsigned integer, got a string"), "%s", e.msg);
	ret = json_get_u64(args, "size", &u, &e);
	CHECK(ret == -ENOENT && !strcmp(e.msg, "arguments: missing member \"size\""), "%s", e.msg);
	CHECK(json_get_string(args, "node", &s, &e) == 0 && !strcmp(s, "2"), "%s", e.msg);
	nodes = json_get(root, "nodes");
	v = nodes->u.kids.last;
	ret = json_get_u64(v, "id", &u, &e);
	CHECK(ret == -EINVAL && !strcmp(e.msg, "nodes[1].id: expected an unsigned integer, got a boolean"),
	      "%s", e.msg);
	CHECK(json_get_bool(v, "id", &b, &e) == 0 && b, "bool");
	ret = json_get_object(root, "nodes", &v, &e);
	CHECK(ret == -EINVAL && !strcmp(e.msg, "nodes: expected an object, got an array"), "%s", e.msg);
	ret = json_get_array(root, "execute", &v, &e);
	CHECK(ret == -EINVAL && !strcmp(e.msg, "execute: expected an array, got a string"), "%s", e.msg);
	ret = json_get_u64(nodes, "id", &u, &e);
	CHECK(ret == -EINVAL && !strcmp(e.msg, "nodes: expected an object, got an array"), "%s", e.msg);
	ret = json_as_string(nodes->u.kids.first, &s, &e);
	CHECK(ret == -EINVAL && !strcmp(e.msg, "nodes[0]: expected a string, got an object"), "%s", e.msg);
	ret = json_as_u64(NULL, &u, &e);
	CHECK(ret == -EINVAL && !strcmp(e.msg, "expected an unsigned integer, got nothing"), "%s", e.msg);
	ret = json_check_members(root, allowed, &e);
	CHECK(ret == -EINVAL && !strcmp(e.msg, "unknown member \"x\""), "%s", e.msg);
	CHECK(json_check_members(args, args_allowed, &e) == 0, "%s", e.msg);
	ret = json_check_members(nodes->u.kids.first, args_allowed, &e);
	CHECK(ret == -EINVAL && !strcmp(e.msg, "nodes[0]: unknown member \"id\""), "%s", e.msg);
	CHECK(json_count(root) == 4 && json_count(json_get(root, "x")) == 0, "count");
	CHECK(!strcmp(json_type_name(JSON_INT), "an integer"), "type name");
	json_doc_free(doc);
}

/* ---- randomized ---- */

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u64 rnd(void)
{
	/* xorshift64*: deterministic, so a failure can be replayed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* A random value through the writer, to @depth levels. */
static void random_value(struct json_writer *w, unsigned int depth)
{
	static const char *const strs[] = { "", "a", "node", "\xc3\xa9", "\xf0\x9f\x98\x80",
					    "q\"\\\n\x01", "\xff\xfe" };
	unsigned int k = rnd() % (depth ? 8 : 6), n, i;
	char key[16];

	switch (k) {
	case 0: json_null(w); break;
	case 1: json_bool(w, rnd() & 1); break;
	case 2: json_u64(w, rnd() >> (rnd() % 64)); break;
	case 3: json_s64(w, (s64)rnd() >> (rnd() % 64)); break;
	case 4:
	case 5:
		i = rnd() % ARRAY_SIZE(strs);
		json_string(w, strs[i]);
		break;
	case 6:
		json_array_begin(w);
		for (n = rnd() % 5, i = 0; i < n; i++)
			random_value(w, depth - 1);
		json_array_end(w);
		break;
	case 7:
		json_object_begin(w);
		for (n = rnd() % 5, i = 0; i < n; i++) {
			snprintf(key, sizeof(key), "k%u", i);
			json_key(w, key);
			random_value(w, depth - 1);
		}
		json_object_end(w);
		break;
	}
}

static void test_random_round_trips(void)
{
	struct json_writer w;
	unsigned int iter;
	struct err e;

	for (iter = 0; iter < 2000; iter++) {
		unsigned int flags = iter & 1 ? JSON_PRETTY : 0;
		char *again;

		json_writer_init(&w, flags);
		random_value(&w, 5);
		CHECK(json_writer_finish(&w, &e) == 0, "iteration %u: %s", iter, e.msg);
		again = reformat(w.buf, w.len, flags, &lim);
		CHECK(again && !strcmp(again, w.buf), "iteration %u: %s\nbecame\n%s", iter, w.buf,
		      again ? again : "(parse error)");
		free(again);
		json_writer_free(&w);
	}
}

/*
 * Mutated documents under small limits: the reader must never crash (the
 * sanitizer build watches), and whatever it accepts must write out and
 * parse back to the same text.
 */
static void test_random_mutations(void)
{
	static const char *const seeds[] = {
		"{\"execute\": \"memory-unplug\", \"arguments\": {\"node\": 2}}",
		"{\"return\": {\"nodes\": [{\"id\": 0, \"size\": 2147483648}, {\"id\": 1}]}}",
		"{\"error\": {\"class\": \"GenericError\", \"desc\": \"node 2: busy \\u00e9\"}}",
		"[null, true, false, -9223372036854775808, 18446744073709551615, \"\\ud83d\\ude00\"]",
		"{\"event\": \"MEMORY_UNPLUGGED\", \"data\": {\"node\": 2, \"ok\": true}}",
		"[[[[[[[[[[[]]]]]]]]]]]",
		"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\xc3\xa9\"",
	};
	static const char alphabet[] = "{}[]\":,\\ -0123456789eE.+tfnu\x00\x1f\x80\xc3\xed\xf4\xff"
				       "abcdefgxyz";
	struct json_limits l = { .max_bytes = 512, .max_depth = 8, .max_nodes = 40 };
	unsigned int iter, accepted = 0;
	char buf[600];

	for (iter = 0; iter < 30000; iter++) {
		const char *seed = seeds[rnd() % ARRAY_SIZE(seeds)];
		size_t len = strlen(seed), edits = 1 + rnd() % 4, k;
		struct json_doc *doc;
		struct err e;

		memcpy(buf, seed, len);
		for (k = 0; k < edits; k++) {
			size_t at = len ? rnd() % len : 0;
			char c = alphabet[rnd() % (sizeof(alphabet) - 1)];

			switch (rnd() % 5) {
			case 0:		/* replace */
				if (len)
					buf[at] = c;
				break;
			case 1:		/* insert */
				if (len < sizeof(buf) - 1) {
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = c;
					len++;
				}
				break;
			case 2:		/* delete */
				if (len) {
					memmove(buf + at, buf + at + 1, len - at - 1);
					len--;
				}
				break;
			case 3:		/* truncate */
				len = at;
				break;
			case 4:		/* flip a bit */
				if (len)
					buf[at] ^= 1 << (rnd() % 8);
				break;
			}
		}
		doc = parse_l(buf, len, &l, &e, NULL);
		if (!doc) {
			CHECK(strstr(e.msg, " at byte ") != NULL, "iteration %u: message '%s'", iter, e.msg);
			continue;
		}
		accepted++;
		{
			struct json_writer w;
			char *again;

			json_writer_init(&w, 0);
			emit(&w, json_root(doc));
			CHECK(json_writer_finish(&w, &e) == 0, "iteration %u: %s", iter, e.msg);
			again = reformat(w.buf, w.len, 0, &l);
			CHECK(again && !strcmp(again, w.buf), "iteration %u: %s became %s", iter, w.buf,
			      again ? again : "(parse error)");
			free(again);
			json_writer_free(&w);
		}
		json_doc_free(doc);
	}
	/* the mutations are not all fatal: some still parse */
	CHECK(accepted > 100 && accepted < 30000, "%u of 30000 mutated documents parsed", accepted);
}

int main(void)
{
	RUN(test_writer_compact);
	RUN(test_writer_pretty);
	RUN(test_writer_escaping);
	RUN(test_writer_integers);
	RUN(test_writer_misuse);
	RUN(test_writer_limits_and_file);
	RUN(test_reader_values);
	RUN(test_reader_errors);
	RUN(test_reader_limits);
	RUN(test_reader_numbers);
	RUN(test_accessors);
	RUN(test_random_round_trips);
	RUN(test_random_mutations);
	UNIT_DONE();
}
