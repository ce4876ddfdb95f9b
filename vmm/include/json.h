/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_JSON_H
#define MIRRORVM_JSON_H

/*
 * JSON (RFC 8259) for the placement report, the firmware dump's
 * layout.json and the control socket: a writer that builds text into a
 * growable buffer (or streams it to a FILE), and a strict reader that
 * parses text into a small read-only tree.  Every name is json_*, like
 * aml.h's builders.  Functions return 0 or -errno and never exit.
 *
 * Writer
 *
 *	struct json_writer w;
 *
 *	json_writer_init(&w, JSON_PRETTY);
 *	json_object_begin(&w);
 *	json_kv_u64(&w, "id", 2);
 *	json_key(&w, "ranges");
 *	json_array_begin(&w);
 *	...
 *	json_array_end(&w);
 *	json_object_end(&w);
 *	if (json_writer_finish(&w, e))	// the first error of any call above
 *		...
 *	fwrite(w.buf, 1, w.len, f);
 *	json_writer_free(&w);
 *
 * Commas, ": " and indentation are the writer's: JSON_PRETTY gives one
 * member or element per line indented by two spaces (files); without it
 * a document is one line, "{"a": 1, "b": [1, 2]}" (socket lines).  Either
 * way a finished document ends with a newline.  Errors are sticky: after
 * the first one (-ENOMEM, -ENOSPC past max_len, -EINVAL for misuse: a value
 * without a key inside an object, a key outside one, an end that does not
 * match, a second top-level value, an unfinished document), every call
 * returns it and writes nothing; json_writer_finish() explains it in @e.
 * The writer does not check keys for duplicates (the reader refuses them).
 *
 * Strings are UTF-8.  The writer escapes '"', '\' and every control
 * character below 0x20 (\b \f \n \r \t by name, the others as \u00XX);
 * every byte that is not part of a well-formed UTF-8 sequence (overlong
 * forms, surrogates and code points above U+10FFFF included) becomes
 * U+FFFD, so the output is always valid JSON.  An embedded NUL, possible
 * with json_string_len(), is written as \u0000.
 *
 * Reader
 *
 *	struct json_limits lim = { .max_bytes = 65536, .max_depth = 16,
 *				   .max_nodes = 4096 };
 *	const struct json_value *args;
 *	struct json_doc *doc;
 *	u64 node;
 *
 *	if (json_parse(line, len, &lim, &doc, NULL, e))
 *		...	// "expected ':' after object key at byte 17"
 *	if (json_get_object(json_root(doc), "arguments", &args, e) ||
 *	    json_get_u64(args, "node", &node, e))
 *		...	// "arguments.node: expected an unsigned integer, got a string"
 *	json_doc_free(doc);
 *
 * Strict RFC 8259: one value, surrounded by optional whitespace (space,
 * \t, \n, \r) and nothing else: no byte-order mark, comments, trailing
 * commas, single quotes or bare words; raw bytes inside strings must be
 * well-formed UTF-8 and not control characters; escapes are the eight
 * named ones and \uXXXX, where surrogate pairs combine into one code point
 * and a lone surrogate is an error.  What this reader refuses on top of
 * the RFC (which lets parsers set limits):
 *  - numbers are integers only, from -2^63 to 2^64-1 exactly (no doubles:
 *    every number this API carries is a size, an address, an id or a
 *    count); a fraction, an exponent or an integer out of that range is
 *    an error, never rounded;
 *  - \u0000 in a string is an error: every string is a C string;
 *  - a key that appears twice in one object is an error;
 *  - the limits below.
 * The input is @len bytes and needs no NUL at its end (a NUL inside is an
 * error like any stray byte).  The parser is iterative (no recursion at
 * all), allocates at most one copy of the input for strings plus max_nodes
 * values, and stops at the first error with its byte offset (from 0) in
 * the message and in *err_offset (when not NULL).
 */
#include <stdbool.h>
#include <stdio.h>

#include "util.h"

typedef int64_t s64;

/* ---- writer ---- */

#define JSON_PRETTY	(1U << 0)	/* indented, one item per line */

struct json_writer {
	char *buf;		/* the text so far, NUL-terminated */
	size_t len;		/* its length */
	size_t cap;
	size_t max_len;		/* 0, or -ENOSPC past this many bytes in all */
	FILE *out;		/* NULL, or flushed here as it grows */
	size_t flushed;		/* bytes already written to @out */
	unsigned int flags;
	int error;		/* the first error, sticky */
	const char *why;	/* its explanation */
	/* open containers: '{' or '[' each, and whether it has items yet */
	char *stack;
	bool *has_items;
	unsigned int depth, stack_cap;
	bool want_value;	/* a key was written, its value is due */
	bool done;		/* the top-level value is complete */
};

void json_writer_init(struct json_writer *w, unsigned int flags);
/* Streams to @f whenever 4 KiB are pending and at the end; @f stays open. */
void json_writer_init_file(struct json_writer *w, FILE *f, unsigned int flags);
/* Checks that exactly one complete value was written; flushes a FILE. */
int json_writer_finish(struct json_writer *w, struct err *e);
/* Empties the writer for the next document, keeping its memory. */
void json_writer_reset(struct json_writer *w);
void json_writer_free(struct json_writer *w);

int json_object_begin(struct json_writer *w);
int json_object_end(struct json_writer *w);
int json_array_begin(struct json_writer *w);
int json_array_end(struct json_writer *w);
int json_key(struct json_writer *w, const char *key);
int json_string(struct json_writer *w, const char *s);
int json_string_len(struct json_writer *w, const char *s, size_t len);
int json_stringf(struct json_writer *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int json_u64(struct json_writer *w, u64 v);
int json_s64(struct json_writer *w, s64 v);
int json_bool(struct json_writer *w, bool v);
int json_null(struct json_writer *w);

/* json_key() and a value, in one call. */
int json_kv_string(struct json_writer *w, const char *key, const char *s);
int json_kv_u64(struct json_writer *w, const char *key, u64 v);
int json_kv_s64(struct json_writer *w, const char *key, s64 v);
int json_kv_bool(struct json_writer *w, const char *key, bool v);
int json_kv_null(struct json_writer *w, const char *key);

/* ---- reader ---- */

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_INT,	/* an integer in [-2^63, 2^64-1] */
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

/* Hard limits, every one required (non-zero). */
struct json_limits {
	size_t max_bytes;	/* longer input is refused before parsing */
	unsigned int max_depth;	/* arrays and objects nested deeper: "[]" is 1 */
	size_t max_nodes;	/* values in the document, containers included */
};

/*
 * A value in a parsed document.  Read it through the functions below; the
 * fields are here so that json_for_each() can walk children in place.
 */
struct json_value {
	enum json_type type;
	const char *key;		/* member name inside an object, else NULL */
	const struct json_value *parent;
	const struct json_value *next;	/* next element or member */
	size_t index;			/* position in the parent array or object */
	size_t offset;			/* byte offset of the value in the input */
	union {
		bool b;
		struct {
			u64 mag;	/* magnitude */
			bool neg;	/* value is -mag (mag <= 2^63) */
		} i;
		struct {
			const char *s;	/* NUL-terminated, no NUL inside */
			size_t len;
		} str;
		struct {
			const struct json_value *first, *last;
			size_t count;
		} kids;
	} u;
};

struct json_doc;

int json_parse(const char *text, size_t len, const struct json_limits *lim,
	       struct json_doc **doc, size_t *err_offset, struct err *e);
const struct json_value *json_root(const struct json_doc *doc);
void json_doc_free(struct json_doc *doc);

const char *json_type_name(enum json_type t);	/* "an object", "a string", ... */
/* Elements of an array or members (v->key) of an object, in input order. */
#define json_for_each(v, container)					\
	for ((v) = json_is_container(container) ? (container)->u.kids.first : NULL; \
	     (v); (v) = (v)->next)
static inline bool json_is_container(const struct json_value *v)
{
	return v && (v->type == JSON_ARRAY || v->type == JSON_OBJECT);
}
/* Elements or members; 0 for anything else. */
size_t json_count(const struct json_value *v);
/* Where @v is, for messages: "arguments.node", "nodes[2].id", "(top level)". */
const char *json_path(const struct json_value *v, char *buf, size_t len);

/* The member @key of object @obj, or NULL (also when @obj is no object). */
const struct json_value *json_get(const struct json_value *obj, const char *key);
/*
 * Typed members: 0; -ENOENT when @obj has no @key (so optional members are
 * easy), -EINVAL for any other mismatch; both with a message in @e naming
 * the path and the expected type.  Strings stay owned by the document.
 */
int json_get_u64(const struct json_value *obj, const char *key, u64 *v, struct err *e);
int json_get_s64(const struct json_value *obj, const char *key, s64 *v, struct err *e);
int json_get_bool(const struct json_value *obj, const char *key, bool *v, struct err *e);
int json_get_string(const struct json_value *obj, const char *key, const char **v,
		    struct err *e);
int json_get_object(const struct json_value *obj, const char *key,
		    const struct json_value **v, struct err *e);
int json_get_array(const struct json_value *obj, const char *key,
		   const struct json_value **v, struct err *e);
/* The same for a value itself (an array element, the root). */
int json_as_u64(const struct json_value *v, u64 *out, struct err *e);
int json_as_s64(const struct json_value *v, s64 *out, struct err *e);
int json_as_bool(const struct json_value *v, bool *out, struct err *e);
int json_as_string(const struct json_value *v, const char **out, struct err *e);
/*
 * Refuses members of @obj outside @allowed (NULL-terminated): a request
 * with an unknown argument is an error, not silently ignored.
 */
int json_check_members(const struct json_value *obj, const char *const *allowed,
		       struct err *e);

#endif
