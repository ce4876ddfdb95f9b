// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzzes the control socket's requests, in-process: the input is what a
 * client sends, cut into lines as the server cuts them, and each line goes
 * through api__handle_request() (vmm/api/request.c), the JSON reader and
 * the command table, against a fake VM whose memory commands select units
 * of a real layout (layout__select_units(), as the KVM engine does).  For
 * every line the reply must be
 *
 *  - one complete JSON document on one line (the protocol is one reply a
 *    line: a newline inside would split it);
 *  - an object with exactly "return" or "error" (class and desc, the class
 *    one of the documented ones), and "id" exactly when the request was an
 *    object with a string or integer id, equal to it.
 */
#include "fuzz.h"
#include "api-internal.h"
#include "cli.h"
#include "json.h"
#include "layout.h"

/* The server's own bound: longer lines are refused before parsing. */
#define MAX_LINE	API_MAX_REQUEST

static struct layout lay;
static bool paused;

static int fake_stop(void *vm, struct err *e)
{
	(void)vm;
	(void)e;
	paused = true;
	return 0;
}

static int fake_cont(void *vm, struct err *e)
{
	(void)vm;
	(void)e;
	paused = false;
	return 0;
}

static bool fake_paused(void *vm)
{
	(void)vm;
	return paused;
}

static void fake_quit(void *vm)
{
	(void)vm;
}

static int fake_cpus(void *vm, struct json_writer *w, struct err *e)
{
	(void)vm;
	(void)e;
	json_array_begin(w);
	json_object_begin(w);
	json_kv_u64(w, "id", 0);
	json_object_end(w);
	json_array_end(w);
	return 0;
}

/* What the KVM engine's memory commands do first: select the units. */
static int fake_memory(void *vm, const struct unit_selector *sel, u64 timeout_ms,
		       struct json_writer *w, struct err *e)
{
	static bool units[MAX_UNITS];
	unsigned int i;
	int n;

	(void)vm;
	(void)timeout_ms;
	n = layout__select_units(&lay, sel, units, e);
	if (n < 0)
		return n;
	FUZZ_ASSERT(n > 0 && (unsigned int)n <= lay.nr_units, "%d units selected", n);
	json_object_begin(w);
	json_key(w, "units");
	json_array_begin(w);
	for (i = 0; i < lay.nr_units; i++) {
		if (units[i])
			json_u64(w, i);
		n -= units[i];
	}
	json_array_end(w);
	json_object_end(w);
	FUZZ_ASSERT(n == 0, "the count of selected units differs from the units marked");
	return 0;
}

static int fake_query_memory(void *vm, struct json_writer *w, struct err *e)
{
	unsigned int i;

	(void)vm;
	(void)e;
	json_object_begin(w);
	json_key(w, "units");
	json_array_begin(w);
	for (i = 0; i < lay.nr_units; i++) {
		json_object_begin(w);
		json_kv_u64(w, "gpa", lay.units[i].gpa);
		json_kv_u64(w, "size", lay.units[i].size);
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
	return 0;
}

static const struct vm_control ctl = {
	.engine = "fuzz", .stop = fake_stop, .cont = fake_cont, .paused = fake_paused,
	.quit = fake_quit, .query_cpus = fake_cpus, .query_memory = fake_query_memory,
	.memory_unplug = fake_memory, .memory_plug = fake_memory,
};

static bool same_id(const struct json_value *a, const struct json_value *b)
{
	if (a->type != b->type)
		return false;
	if (a->type == JSON_STRING)
		return !strcmp(a->u.str.s, b->u.str.s);
	return a->u.i.mag == b->u.i.mag && a->u.i.neg == b->u.i.neg;
}

static void check_reply(const char *line, size_t len, const struct json_writer *w)
{
	static const char *const classes[] = {
		"bad-request", "unknown-command", "bad-argument", "too-large", "wrong-state",
		"unavailable", "failed",
	};
	static const struct json_limits req_lim = {
		.max_bytes = API_MAX_REQUEST, .max_depth = 16, .max_nodes = 4096,
	};
	/* replies carry what the fake VM writes: more than any request */
	static const struct json_limits reply_lim = {
		.max_bytes = 1 << 20, .max_depth = 32, .max_nodes = 1 << 16,
	};
	const struct json_value *root, *req_id = NULL, *id, *v;
	struct json_doc *reply, *req = NULL;
	struct err e = { "" };
	unsigned int members = 0, i;
	const char *cls;

	FUZZ_ASSERT(w->len && w->buf[w->len - 1] == '\n' && memchr(w->buf, '\n', w->len) ==
		    w->buf + w->len - 1, "the reply is not one line: %s", w->buf);
	FUZZ_ASSERT(json_parse(w->buf, w->len, &reply_lim, &reply, NULL, &e) == 0,
		    "the reply is not JSON (%s): %s", e.msg, w->buf);
	root = json_root(reply);
	FUZZ_ASSERT(root->type == JSON_OBJECT, "the reply is no object: %s", w->buf);
	json_for_each(v, root) {
		FUZZ_ASSERT(!strcmp(v->key, "return") || !strcmp(v->key, "error") ||
			    !strcmp(v->key, "id"), "reply member %s", v->key);
		members += strcmp(v->key, "id") != 0;
	}
	FUZZ_ASSERT(members == 1, "a reply has return or error: %s", w->buf);
	v = json_get(root, "error");
	if (v) {
		FUZZ_ASSERT(json_get_string(v, "class", &cls, &e) == 0 &&
			    json_get_string(v, "desc", &cls, &e) == 0 && json_count(v) == 2,
			    "error reply: %s", w->buf);
		json_get_string(v, "class", &cls, &e);
		for (i = 0; i < ARRAY_SIZE(classes) && strcmp(classes[i], cls); i++)
			;
		FUZZ_ASSERT(i < ARRAY_SIZE(classes), "error class %s", cls);
	}

	/* the id comes back exactly when the request was an object with a good one */
	if (json_parse(line, len, &req_lim, &req, NULL, &e) == 0 &&
	    json_root(req)->type == JSON_OBJECT) {
		req_id = json_get(json_root(req), "id");
		if (req_id && req_id->type != JSON_STRING && req_id->type != JSON_INT)
			req_id = NULL;
	}
	id = json_get(root, "id");
	FUZZ_ASSERT(!id == !req_id, "the reply has %s id, the request %s: %s", id ? "an" : "no",
		    req_id ? "a good one" : "none", w->buf);
	FUZZ_ASSERT(!id || same_id(id, req_id), "the reply's id differs: %s", w->buf);
	if (req)
		json_doc_free(req);
	json_doc_free(reply);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char *flags[] = {
		"run", "--node", "id=0,size=1G", "--node", "id=1,size=1G,hotplug=on,unplug-unit=256M",
		"--node", "id=2,size=2G,hotplug=on", "--mirror", "64M@0x50000000", NULL,
	};
	(void)argc;
	(void)argv;
	fuzz_quiet();
	fuzz_layout("fuzz-api", flags, &lay);
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct json_writer w;

	json_writer_init(&w, 0);
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t len = (nl ? nl : end) - p;

		/* as the server: a lone CR before the newline is no part of it */
		if (len && p[len - 1] == '\r')
			len--;
		if (len && len <= MAX_LINE) {
			struct err e;

			json_writer_reset(&w);
			api__handle_request(NULL, &ctl, p, len, &w);
			FUZZ_ASSERT(json_writer_finish(&w, &e) == 0, "the reply is unfinished: %s",
				    e.msg);
			check_reply(p, len, &w);
		}
		p += (nl ? nl + 1 : end) - p;
	}
	json_writer_free(&w);
	return 0;
}
