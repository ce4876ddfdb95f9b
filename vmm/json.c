// SPDX-License-Identifier: GPL-2.0
/*
 * JSON: a writer into a growable buffer or a FILE.  What it accepts and
 * produces is in json.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* ---- UTF-8 ------------------------------------------------------------ */

static bool utf8_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/*
 * Length (1-4) of the well-formed UTF-8 sequence at @s, which has @n bytes
 * left, or 0: no overlong forms, no surrogates, nothing above U+10FFFF
 * (Unicode 15, table 3-7).
 */
static unsigned int utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0)
		return n >= 2 && utf8_cont(s[1]) ? 2 : 0;
	if (c < 0xf0) {
		if (n < 3 || !utf8_cont(s[1]) || !utf8_cont(s[2]))
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0))
			return 0;
		return 3;
	}
	if (c < 0xf5) {
		if (n < 4 || !utf8_cont(s[1]) || !utf8_cont(s[2]) || !utf8_cont(s[3]))
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

/* ---- writer ----------------------------------------------------------- */

#define FLUSH_AT	4096

static int fail(struct json_writer *w, int error, const char *why)
{
	if (!w->error) {
		w->error = error;
		w->why = why;
	}
	return w->error;
}

static int flush(struct json_writer *w)
{
	if (!w->out || !w->len)
		return 0;
	if (fwrite(w->buf, 1, w->len, w->out) != w->len)
		return fail(w, -EIO, "writing the output failed");
	w->flushed += w->len;
	w->len = 0;
	w->buf[0] = '\0';
	return 0;
}

static int put(struct json_writer *w, const char *s, size_t n)
{
	size_t need, cap;
	char *p;

	if (w->error)
		return w->error;
	if (n > SIZE_MAX / 2 - w->len)
		return fail(w, -ENOMEM, "out of memory");
	if (w->max_len && w->flushed + w->len + n > w->max_len)
		return fail(w, -ENOSPC, "the document is longer than max_len");
	need = w->len + n + 1;
	if (need > w->cap) {
		cap = w->cap ? w->cap : 256;
		while (cap < need)
			cap *= 2;
		p = realloc(w->buf, cap);
		if (!p)
			return fail(w, -ENOMEM, "out of memory");
		w->buf = p;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
	if (w->out && w->len >= FLUSH_AT)
		return flush(w);
	return 0;
}

static int put_str(struct json_writer *w, const char *s)
{
	return put(w, s, strlen(s));
}

static int indent(struct json_writer *w, unsigned int depth)
{
	static const char spaces[] = "                                ";
	unsigned int n = depth * 2;

	put(w, "\n", 1);
	while (n) {
		unsigned int k = MIN(n, (unsigned int)sizeof(spaces) - 1);

		put(w, spaces, k);
		n -= k;
	}
	return w->error;
}

/* Before an array element or an object member: comma, newline, indent. */
static int separate(struct json_writer *w)
{
	bool first = !w->has_items[w->depth - 1];

	w->has_items[w->depth - 1] = true;
	if (!first)
		put(w, ",", 1);
	if (w->flags & JSON_PRETTY)
		return indent(w, w->depth);
	if (!first)
		put(w, " ", 1);
	return w->error;
}

static int before_value(struct json_writer *w)
{
	if (w->error)
		return w->error;
	if (w->done)
		return fail(w, -EINVAL, "a second value after the complete top-level one");
	if (!w->depth)
		return 0;
	if (w->stack[w->depth - 1] == '{') {
		if (!w->want_value)
			return fail(w, -EINVAL, "a value without a key inside an object");
		w->want_value = false;
		return 0;
	}
	return separate(w);
}

static int after_value(struct json_writer *w)
{
	if (!w->error && !w->depth) {
		w->done = true;
		put(w, "\n", 1);
	}
	return w->error;
}

/* The two-character escape of a control character, if it has one. */
static const char *named_escape(unsigned char c)
{
	switch (c) {
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	}
	return NULL;
}

static int write_string(struct json_writer *w, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run;

	put(w, "\"", 1);
	while (i < len && !w->error) {
		unsigned char c = s[i];
		char esc[8];
		unsigned int n;

		/* printable ASCII up to the next byte that needs care */
		for (run = i; run < len && s[run] >= 0x20 && s[run] < 0x80 &&
		     s[run] != '"' && s[run] != '\\'; run++)
			;
		if (run > i) {
			put(w, str + i, run - i);
			i = run;
			continue;
		}
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = c;
			put(w, esc, 2);
			i++;
		} else if (c < 0x20) {
			if (named_escape(c))
				put_str(w, named_escape(c));
			else
				put(w, esc, snprintf(esc, sizeof(esc), "\\u%04x", c));
			i++;
		} else if ((n = utf8_len(s + i, len - i))) {
			put(w, str + i, n);
			i += n;
		} else {
			put(w, "\xef\xbf\xbd", 3);	/* U+FFFD for this one byte */
			i++;
		}
	}
	return put(w, "\"", 1);
}

static int begin(struct json_writer *w, char open)
{
	if (before_value(w))
		return w->error;
	if (w->depth == w->stack_cap) {
		unsigned int cap = w->stack_cap ? w->stack_cap * 2 : 8;
		char *s = realloc(w->stack, cap);
		bool *h;

		if (!s)
			return fail(w, -ENOMEM, "out of memory");
		w->stack = s;
		h = realloc(w->has_items, cap * sizeof(*h));
		if (!h)
			return fail(w, -ENOMEM, "out of memory");
		w->has_items = h;
		w->stack_cap = cap;
	}
	w->stack[w->depth] = open;
	w->has_items[w->depth++] = false;
	return put(w, &open, 1);
}

static int end(struct json_writer *w, char open, char close)
{
	bool had;

	if (w->error)
		return w->error;
	if (!w->depth || w->stack[w->depth - 1] != open)
		return fail(w, -EINVAL, open == '{' ? "json_object_end() without an open object"
						    : "json_array_end() without an open array");
	if (w->want_value)
		return fail(w, -EINVAL, "a key without a value at the end of an object");
	had = w->has_items[--w->depth];
	if (had && (w->flags & JSON_PRETTY))
		indent(w, w->depth);
	put(w, &close, 1);
	return after_value(w);
}

void json_writer_init(struct json_writer *w, unsigned int flags)
{
	memset(w, 0, sizeof(*w));
	w->flags = flags;
}

void json_writer_init_file(struct json_writer *w, FILE *f, unsigned int flags)
{
	json_writer_init(w, flags);
	w->out = f;
}

int json_writer_finish(struct json_writer *w, struct err *e)
{
	if (!w->error && !w->done)
		fail(w, -EINVAL, w->depth ? "an array or object is still open" : "nothing was written");
	if (!w->error && w->out) {
		flush(w);
		if (!w->error && (fflush(w->out) || ferror(w->out)))
			fail(w, -EIO, "writing the output failed");
	}
	if (w->error) {
		err_set(e, "JSON writer: %s", w->why);
		return w->error;
	}
	return 0;
}

void json_writer_reset(struct json_writer *w)
{
	w->len = 0;
	w->flushed = 0;
	if (w->buf)
		w->buf[0] = '\0';
	w->error = 0;
	w->why = NULL;
	w->depth = 0;
	w->want_value = false;
	w->done = false;
}

void json_writer_free(struct json_writer *w)
{
	free(w->buf);
	free(w->stack);
	free(w->has_items);
	memset(w, 0, sizeof(*w));
}

int json_object_begin(struct json_writer *w)
{
	return begin(w, '{');
}

int json_object_end(struct json_writer *w)
{
	return end(w, '{', '}');
}

int json_array_begin(struct json_writer *w)
{
	return begin(w, '[');
}

int json_array_end(struct json_writer *w)
{
	return end(w, '[', ']');
}

int json_key(struct json_writer *w, const char *key)
{
	if (w->error)
		return w->error;
	if (!key)
		return fail(w, -EINVAL, "a NULL key");
	if (!w->depth || w->stack[w->depth - 1] != '{')
		return fail(w, -EINVAL, "a key outside an object");
	if (w->want_value)
		return fail(w, -EINVAL, "a key where the previous key's value is due");
	separate(w);
	write_string(w, key, strlen(key));
	put(w, ": ", 2);
	w->want_value = true;
	return w->error;
}

int json_string_len(struct json_writer *w, const char *s, size_t len)
{
	if (!s && !w->error)
		return fail(w, -EINVAL, "a NULL string");
	if (before_value(w))
		return w->error;
	write_string(w, s, len);
	return after_value(w);
}

int json_string(struct json_writer *w, const char *s)
{
	return json_string_len(w, s, s ? strlen(s) : 0);
}

int json_stringf(struct json_writer *w, const char *fmt, ...)
{
	char small[256], *buf = small;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return fail(w, -EINVAL, "a format that vsnprintf refuses");
	if ((size_t)n >= sizeof(small)) {
		buf = malloc(n + 1);
		if (!buf)
			return fail(w, -ENOMEM, "out of memory");
		va_start(ap, fmt);
		vsnprintf(buf, n + 1, fmt, ap);
		va_end(ap);
	}
	json_string_len(w, buf, n);
	if (buf != small)
		free(buf);
	return w->error;
}

static int scalar(struct json_writer *w, const char *text)
{
	if (before_value(w))
		return w->error;
	put_str(w, text);
	return after_value(w);
}

int json_u64(struct json_writer *w, u64 v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return scalar(w, buf);
}

int json_s64(struct json_writer *w, s64 v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return scalar(w, buf);
}

int json_bool(struct json_writer *w, bool v)
{
	return scalar(w, v ? "true" : "false");
}

int json_null(struct json_writer *w)
{
	return scalar(w, "null");
}

int json_kv_string(struct json_writer *w, const char *key, const char *s)
{
	return json_key(w, key) ?: json_string(w, s);
}

int json_kv_u64(struct json_writer *w, const char *key, u64 v)
{
	return json_key(w, key) ?: json_u64(w, v);
}

int json_kv_s64(struct json_writer *w, const char *key, s64 v)
{
	return json_key(w, key) ?: json_s64(w, v);
}

int json_kv_bool(struct json_writer *w, const char *key, bool v)
{
	return json_key(w, key) ?: json_bool(w, v);
}

int json_kv_null(struct json_writer *w, const char *key)
{
	return json_key(w, key) ?: json_null(w);
}
