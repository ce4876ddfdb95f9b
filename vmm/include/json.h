/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_JSON_H
#define MIRRORVM_JSON_H

/*
 * JSON (RFC 8259) for the placement report, the firmware dump's
 * layout.json and the control socket: a writer that builds text into a
 * growable buffer (or streams it to a FILE).  Every name is json_*, like
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
 * The writer does not check keys for duplicates.
 *
 * Strings are UTF-8.  The writer escapes '"', '\' and every control
 * character below 0x20 (\b \f \n \r \t by name, the others as \u00XX);
 * every byte that is not part of a well-formed UTF-8 sequence (overlong
 * forms, surrogates and code points above U+10FFFF included) becomes
 * U+FFFD, so the output is always valid JSON.  An embedded NUL, possible
 * with json_string_len(), is written as \u0000.
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

#endif
