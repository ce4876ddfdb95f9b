// SPDX-License-Identifier: GPL-2.0
/*
 * JSON: a writer into a growable buffer or a FILE, and a strict,
 * iterative RFC 8259 reader into a read-only tree, with the limits the
 * caller gives.  What each accepts, refuses and produces is in json.h.
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

static unsigned int utf8_put(char *out, u32 cp)
{
	if (cp < 0x80) {
		out[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | (cp >> 6);
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = 0xe0 | (cp >> 12);
		out[1] = 0x80 | ((cp >> 6) & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | (cp >> 18);
	out[1] = 0x80 | ((cp >> 12) & 0x3f);
	out[2] = 0x80 | ((cp >> 6) & 0x3f);
	out[3] = 0x80 | (cp & 0x3f);
	return 4;
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

/* ---- reader ----------------------------------------------------------- */

struct chunk {
	struct chunk *next;
	size_t used, cap;
	struct json_value v[];
};

struct json_doc {
	const struct json_value *root;
	char *strings;		/* every decoded string and key, NUL-terminated */
	struct chunk *chunks;
};

struct parser {
	const unsigned char *start, *p, *end;
	const struct json_limits *lim;
	struct json_doc *doc;
	char *sp;			/* next free byte of doc->strings */
	size_t nodes;
	unsigned int depth;
	struct json_value *cur;		/* innermost open array or object */
	const struct json_value **scratch;	/* for duplicate keys */
	size_t scratch_cap;
	size_t err_off;
	struct err *e;
};

static int perr(struct parser *ps, const unsigned char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int perr(struct parser *ps, const unsigned char *at, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps->err_off = at - ps->start;
	err_set(ps->e, "%s at byte %zu", msg, ps->err_off);
	return -EINVAL;
}

static int oom(struct parser *ps)
{
	ps->err_off = ps->p - ps->start;
	err_set(ps->e, "out of memory at byte %zu", ps->err_off);
	return -ENOMEM;
}

/* "'x'" for printable ASCII, "byte 0xNN" otherwise, "end of input" at the end. */
static const char *found(struct parser *ps, const unsigned char *at, char buf[16])
{
	if (at >= ps->end)
		return "end of input";
	if (*at >= 0x20 && *at < 0x7f)
		snprintf(buf, 16, "'%c'", *at);
	else
		snprintf(buf, 16, "byte 0x%02x", *at);
	return buf;
}

/* A key for a message: printable ASCII, others as '?', at most 40 bytes. */
static const char *show_key(const char *key, char buf[48])
{
	size_t i;

	for (i = 0; key[i] && i < 40; i++)
		buf[i] = key[i] >= 0x20 && key[i] < 0x7f ? key[i] : '?';
	strcpy(buf + i, key[i] ? "..." : "");
	return buf;
}

static int new_value(struct parser *ps, enum json_type type, const unsigned char *at,
		     struct json_value **out)
{
	struct chunk *c = ps->doc->chunks;
	struct json_value *v;

	if (ps->nodes >= ps->lim->max_nodes)
		return perr(ps, at, "more than %zu values", ps->lim->max_nodes);
	if (!c || c->used == c->cap) {
		size_t cap = c ? MIN(c->cap * 2, (size_t)1024) : 16;

		cap = MIN(cap, ps->lim->max_nodes - ps->nodes);
		c = calloc(1, sizeof(*c) + cap * sizeof(c->v[0]));
		if (!c)
			return oom(ps);
		c->cap = cap;
		c->next = ps->doc->chunks;
		ps->doc->chunks = c;
	}
	ps->nodes++;
	v = &c->v[c->used++];
	v->type = type;
	v->offset = at - ps->start;
	*out = v;
	return 0;
}

static void attach(struct parser *ps, struct json_value *v, const char *key, size_t key_off)
{
	struct json_value *c = ps->cur;

	if (!c) {
		ps->doc->root = v;
		return;
	}
	v->parent = c;
	v->key = key;
	if (key)
		v->offset = key_off;
	v->index = c->u.kids.count++;
	if (c->u.kids.last)
		((struct json_value *)c->u.kids.last)->next = v;
	else
		c->u.kids.first = v;
	c->u.kids.last = v;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
				   *ps->p == '\r'))
		ps->p++;
}

static int hex4(const unsigned char *p, const unsigned char *end, u32 *out)
{
	u32 v = 0;
	int i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		unsigned char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* What the escape \@c stands for (all but \u), or -1. */
static int unescape(unsigned char c)
{
	switch (c) {
	case '"':
	case '\\':
	case '/':
		return c;
	case 'b':
		return '\b';
	case 'f':
		return '\f';
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	}
	return -1;
}

/* The string at ps->p (its '"'), decoded into doc->strings. */
static int parse_string(struct parser *ps, const char **out, size_t *len)
{
	const unsigned char *open = ps->p, *p = ps->p + 1, *end = ps->end;
	char *dst = ps->sp, *start = ps->sp;
	char buf[16];

	for (;;) {
		unsigned char c;
		unsigned int n;
		u32 cp, lo;

		if (p >= end)
			return perr(ps, open, "unterminated string");
		c = *p;
		if (c == '"')
			break;
		if (c < 0x20)
			return perr(ps, p, "control character 0x%02x in a string (it must be escaped)", c);
		if (c != '\\') {
			n = utf8_len(p, end - p);
			if (!n)
				return perr(ps, p, "invalid UTF-8 in a string (byte 0x%02x)", c);
			memcpy(dst, p, n);
			dst += n;
			p += n;
			continue;
		}
		if (p + 1 >= end)
			return perr(ps, open, "unterminated string");
		if (p[1] != 'u') {
			int u = unescape(p[1]);

			if (u < 0)
				return perr(ps, p, "invalid escape \\%s in a string",
					    found(ps, p + 1, buf));
			*dst++ = u;
		} else {
			if (hex4(p + 2, end, &cp))
				return perr(ps, p, "invalid \\u escape (it needs 4 hex digits)");
			if (!cp)
				return perr(ps, p, "\\u0000 in a string is not supported");
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return perr(ps, p, "unpaired low surrogate \\u%04X", cp);
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (end - p < 12 || p[6] != '\\' || p[7] != 'u' ||
				    hex4(p + 8, end, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return perr(ps, p, "unpaired high surrogate \\u%04X", cp);
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			}
			dst += utf8_put(dst, cp);
			p += 4;
		}
		p += 2;
	}
	*dst++ = '\0';
	*out = start;
	*len = dst - start - 1;
	ps->sp = dst;
	ps->p = p + 1;
	return 0;
}

static int parse_number(struct parser *ps, struct json_value *v)
{
	const unsigned char *p = ps->p, *end = ps->end;
	bool neg = false;
	u64 mag = 0;

	if (*p == '-') {
		neg = true;
		p++;
	}
	if (p >= end || *p < '0' || *p > '9')
		return perr(ps, p, "expected a digit after '-'");
	if (*p == '0') {
		p++;
		if (p < end && *p >= '0' && *p <= '9')
			return perr(ps, p - 1, "leading zeros are not allowed in numbers");
	} else {
		for (; p < end && *p >= '0' && *p <= '9'; p++) {
			unsigned int d = *p - '0';

			if (mag > (UINT64_MAX - d) / 10)
				return perr(ps, ps->p, "integer out of range (-2^63 to 2^64-1)");
			mag = mag * 10 + d;
		}
	}
	if (p < end && (*p == '.' || *p == 'e' || *p == 'E'))
		return perr(ps, p, "fractions and exponents are not supported (integers only)");
	if (neg && mag > (1ULL << 63))
		return perr(ps, ps->p, "integer out of range (-2^63 to 2^64-1)");
	v->u.i.mag = mag;
	v->u.i.neg = neg && mag;
	ps->p = p;
	return 0;
}

static int cmp_members(const void *a, const void *b)
{
	const struct json_value *x = *(const struct json_value *const *)a;
	const struct json_value *y = *(const struct json_value *const *)b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* At the '}' of @obj: the first key, in input order, seen before in it. */
static int check_duplicates(struct parser *ps, const struct json_value *obj)
{
	const struct json_value *m, *dup = NULL;
	size_t n = obj->u.kids.count, i;
	char buf[48];

	if (n < 2)
		return 0;
	if (n <= 8) {
		for (m = obj->u.kids.first->next; m && !dup; m = m->next) {
			const struct json_value *k;

			for (k = obj->u.kids.first; k != m; k = k->next)
				if (!strcmp(k->key, m->key)) {
					dup = m;
					break;
				}
		}
	} else {
		if (n > ps->scratch_cap) {
			const struct json_value **s = realloc(ps->scratch, n * sizeof(*s));

			if (!s)
				return oom(ps);
			ps->scratch = s;
			ps->scratch_cap = n;
		}
		i = 0;
		json_for_each(m, obj)
			ps->scratch[i++] = m;
		qsort(ps->scratch, n, sizeof(*ps->scratch), cmp_members);
		for (i = 1; i < n; i++)
			if (!strcmp(ps->scratch[i - 1]->key, ps->scratch[i]->key) &&
			    (!dup || ps->scratch[i]->offset < dup->offset))
				dup = ps->scratch[i];
	}
	if (dup)
		return perr(ps, ps->start + dup->offset, "duplicate key \"%s\"",
			    show_key(dup->key, buf));
	return 0;
}

enum state {
	WANT_VALUE,	/* a value is due */
	WANT_KEY,	/* an object member's key is due */
	AFTER_VALUE,	/* ',', the closing bracket, or the end */
};

static int parse(struct parser *ps)
{
	enum state st = WANT_VALUE;
	const char *key = NULL;
	size_t key_off = 0, len;
	char buf[16];
	int ret;

	for (;;) {
		struct json_value *v;
		const unsigned char *at;

		skip_ws(ps);
		at = ps->p;
		switch (st) {
		case WANT_KEY:
			if (at >= ps->end || *at != '"')
				return perr(ps, at, "expected a string key, found %s", found(ps, at, buf));
			key_off = at - ps->start;
			ret = parse_string(ps, &key, &len);
			if (ret)
				return ret;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return perr(ps, ps->p, "expected ':' after object key");
			ps->p++;
			st = WANT_VALUE;
			continue;
		case AFTER_VALUE:
			if (!ps->cur) {
				if (at < ps->end)
					return perr(ps, at, "unexpected %s after the JSON value",
						    found(ps, at, buf));
				return 0;
			}
			if (at < ps->end && *at == ',') {
				ps->p++;
				st = ps->cur->type == JSON_OBJECT ? WANT_KEY : WANT_VALUE;
				continue;
			}
			if (at < ps->end && *at == (ps->cur->type == JSON_OBJECT ? '}' : ']')) {
				ps->p++;
				goto close;
			}
			if (ps->cur->type == JSON_OBJECT)
				return perr(ps, at, "expected ',' or '}' after an object member, found %s",
					    found(ps, at, buf));
			return perr(ps, at, "expected ',' or ']' after an array element, found %s",
				    found(ps, at, buf));
		case WANT_VALUE:
			break;
		}

		if (at >= ps->end)
			return perr(ps, at, "expected a value, found end of input");
		switch (*at) {
		case '{':
		case '[':
			if (ps->depth >= ps->lim->max_depth)
				return perr(ps, at, "arrays and objects nested deeper than %u",
					    ps->lim->max_depth);
			ret = new_value(ps, *at == '{' ? JSON_OBJECT : JSON_ARRAY, at, &v);
			if (ret)
				return ret;
			attach(ps, v, key, key_off);
			key = NULL;
			ps->depth++;
			ps->cur = v;
			ps->p++;
			skip_ws(ps);
			if (ps->p < ps->end && *ps->p == (v->type == JSON_OBJECT ? '}' : ']')) {
				ps->p++;
				goto close;
			}
			st = v->type == JSON_OBJECT ? WANT_KEY : WANT_VALUE;
			continue;
		case '"':
			ret = new_value(ps, JSON_STRING, at, &v);
			if (!ret)
				ret = parse_string(ps, &v->u.str.s, &v->u.str.len);
			if (ret)
				return ret;
			break;
		case 't':
		case 'f':
		case 'n': {
			static const char *const lit[] = { "true", "false", "null" };
			unsigned int k = *at == 't' ? 0 : *at == 'f' ? 1 : 2;
			size_t n = strlen(lit[k]);

			if ((size_t)(ps->end - at) < n || memcmp(at, lit[k], n))
				return perr(ps, at, "invalid literal (expected true, false or null)");
			ret = new_value(ps, k == 2 ? JSON_NULL : JSON_BOOL, at, &v);
			if (ret)
				return ret;
			v->u.b = k == 0;
			ps->p += n;
			break;
		}
		default:
			if (*at != '-' && (*at < '0' || *at > '9'))
				return perr(ps, at, "expected a value, found %s", found(ps, at, buf));
			ret = new_value(ps, JSON_INT, at, &v);
			if (!ret)
				ret = parse_number(ps, v);
			if (ret)
				return ret;
		}
		attach(ps, v, key, key_off);
		key = NULL;
		st = AFTER_VALUE;
		continue;
close:
		/* ps->cur just got its closing bracket */
		if (ps->cur->type == JSON_OBJECT) {
			ret = check_duplicates(ps, ps->cur);
			if (ret)
				return ret;
		}
		ps->depth--;
		ps->cur = (struct json_value *)ps->cur->parent;
		st = AFTER_VALUE;
	}
}

void json_doc_free(struct json_doc *doc)
{
	struct chunk *c, *next;

	if (!doc)
		return;
	for (c = doc->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(doc->strings);
	free(doc);
}

int json_parse(const char *text, size_t len, const struct json_limits *lim,
	       struct json_doc **docp, size_t *err_offset, struct err *e)
{
	struct parser ps = { .lim = lim, .e = e };
	int ret;

	*docp = NULL;
	if (!text)
		text = "";	/* no arithmetic on NULL, even + 0 */
	ps.start = ps.p = (const unsigned char *)text;
	ps.end = ps.start + len;
	if (!lim || !lim->max_bytes || !lim->max_depth || !lim->max_nodes)
		return err_set(e, "JSON reader: every limit must be given (non-zero)");
	if (len > lim->max_bytes) {
		if (err_offset)
			*err_offset = lim->max_bytes;
		return err_set(e, "input of %zu bytes is longer than the limit of %zu bytes at byte %zu",
			       len, lim->max_bytes, lim->max_bytes);
	}
	ps.doc = calloc(1, sizeof(*ps.doc));
	/* decoded strings never outgrow their quoted, escaped form */
	if (ps.doc)
		ps.doc->strings = malloc(len + 1);
	if (!ps.doc || !ps.doc->strings) {
		json_doc_free(ps.doc);
		if (err_offset)
			*err_offset = 0;
		err_set(e, "out of memory");
		return -ENOMEM;
	}
	ps.sp = ps.doc->strings;
	ret = parse(&ps);
	free(ps.scratch);
	if (ret) {
		json_doc_free(ps.doc);
		if (err_offset)
			*err_offset = ps.err_off;
		return ret;
	}
	*docp = ps.doc;
	return 0;
}

const struct json_value *json_root(const struct json_doc *doc)
{
	return doc ? doc->root : NULL;
}

/* ---- accessors -------------------------------------------------------- */

const char *json_type_name(enum json_type t)
{
	switch (t) {
	case JSON_NULL:		return "null";
	case JSON_BOOL:		return "a boolean";
	case JSON_INT:		return "an integer";
	case JSON_STRING:	return "a string";
	case JSON_ARRAY:	return "an array";
	case JSON_OBJECT:	return "an object";
	}
	return "an unknown type";
}

size_t json_count(const struct json_value *v)
{
	return json_is_container(v) ? v->u.kids.count : 0;
}

const char *json_path(const struct json_value *v, char *buf, size_t len)
{
	const struct json_value *chain[32];
	unsigned int n = 0, i;
	size_t pos = 0;
	char key[48];

	if (!len)
		return buf;
	buf[0] = '\0';
	if (!v || !v->parent) {
		snprintf(buf, len, "(top level)");
		return buf;
	}
	for (; v->parent && n < ARRAY_SIZE(chain); v = v->parent)
		chain[n++] = v;
	if (v->parent)
		pos += snprintf(buf, len, "...");
	for (i = n; i-- > 0 && pos < len;) {
		const struct json_value *c = chain[i];

		if (c->key)
			pos += snprintf(buf + pos, len - pos, "%s%s", pos ? "." : "",
					show_key(c->key, key));
		else
			pos += snprintf(buf + pos, len - pos, "[%zu]", c->index);
	}
	return buf;
}

const struct json_value *json_get(const struct json_value *obj, const char *key)
{
	const struct json_value *m;

	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	json_for_each(m, obj)
		if (!strcmp(m->key, key))
			return m;
	return NULL;
}

static int want(const struct json_value *v, const char *what, struct err *e)
{
	char path[256];

	if (!v)
		return err_set(e, "expected %s, got nothing", what);
	return err_set(e, "%s: expected %s, got %s", json_path(v, path, sizeof(path)), what,
		       json_type_name(v->type));
}

int json_as_u64(const struct json_value *v, u64 *out, struct err *e)
{
	char path[256];

	if (!v || v->type != JSON_INT)
		return want(v, "an unsigned integer", e);
	if (v->u.i.neg)
		return err_set(e, "%s: expected an unsigned integer, got -%llu",
			       json_path(v, path, sizeof(path)), (unsigned long long)v->u.i.mag);
	*out = v->u.i.mag;
	return 0;
}

int json_as_s64(const struct json_value *v, s64 *out, struct err *e)
{
	char path[256];

	if (!v || v->type != JSON_INT)
		return want(v, "an integer", e);
	if (!v->u.i.neg && v->u.i.mag > INT64_MAX)
		return err_set(e, "%s: %llu does not fit in a signed 64-bit integer",
			       json_path(v, path, sizeof(path)), (unsigned long long)v->u.i.mag);
	/* -2^63 has no positive s64: negate in u64 */
	*out = v->u.i.neg ? (s64)(0 - v->u.i.mag) : (s64)v->u.i.mag;
	return 0;
}

int json_as_bool(const struct json_value *v, bool *out, struct err *e)
{
	if (!v || v->type != JSON_BOOL)
		return want(v, "a boolean", e);
	*out = v->u.b;
	return 0;
}

int json_as_string(const struct json_value *v, const char **out, struct err *e)
{
	if (!v || v->type != JSON_STRING)
		return want(v, "a string", e);
	*out = v->u.str.s;
	return 0;
}

/* The member @key of @obj, or an error: -ENOENT when it is missing. */
static int member(const struct json_value *obj, const char *key,
		  const struct json_value **v, struct err *e)
{
	char path[256], buf[48];

	if (!obj || obj->type != JSON_OBJECT)
		return want(obj, "an object", e);
	*v = json_get(obj, key);
	if (*v)
		return 0;
	if (obj->parent)
		err_set(e, "%s: missing member \"%s\"", json_path(obj, path, sizeof(path)),
			show_key(key, buf));
	else
		err_set(e, "missing member \"%s\"", show_key(key, buf));
	return -ENOENT;
}

int json_get_u64(const struct json_value *obj, const char *key, u64 *v, struct err *e)
{
	const struct json_value *m;

	return member(obj, key, &m, e) ?: json_as_u64(m, v, e);
}

int json_get_s64(const struct json_value *obj, const char *key, s64 *v, struct err *e)
{
	const struct json_value *m;

	return member(obj, key, &m, e) ?: json_as_s64(m, v, e);
}

int json_get_bool(const struct json_value *obj, const char *key, bool *v, struct err *e)
{
	const struct json_value *m;

	return member(obj, key, &m, e) ?: json_as_bool(m, v, e);
}

int json_get_string(const struct json_value *obj, const char *key, const char **v,
		    struct err *e)
{
	const struct json_value *m;

	return member(obj, key, &m, e) ?: json_as_string(m, v, e);
}

int json_get_object(const struct json_value *obj, const char *key,
		    const struct json_value **v, struct err *e)
{
	int ret = member(obj, key, v, e);

	if (!ret && (*v)->type != JSON_OBJECT)
		ret = want(*v, "an object", e);
	return ret;
}

int json_get_array(const struct json_value *obj, const char *key,
		   const struct json_value **v, struct err *e)
{
	int ret = member(obj, key, v, e);

	if (!ret && (*v)->type != JSON_ARRAY)
		ret = want(*v, "an array", e);
	return ret;
}

int json_check_members(const struct json_value *obj, const char *const *allowed,
		       struct err *e)
{
	const struct json_value *m;
	char path[256], buf[48];

	if (!obj || obj->type != JSON_OBJECT)
		return want(obj, "an object", e);
	json_for_each(m, obj) {
		const char *const *a;

		for (a = allowed; *a && strcmp(*a, m->key); a++)
			;
		if (*a)
			continue;
		if (obj->parent)
			return err_set(e, "%s: unknown member \"%s\"",
				       json_path(obj, path, sizeof(path)), show_key(m->key, buf));
		return err_set(e, "unknown member \"%s\"", show_key(m->key, buf));
	}
	return 0;
}
