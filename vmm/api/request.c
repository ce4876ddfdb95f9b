// SPDX-License-Identifier: GPL-2.0
/*
 * One control-socket request line in, one reply document out: the JSON
 * parser with its limits, the request's members, the command table and
 * the command's run.  Nothing here touches a socket, so what a client can
 * reach is one function that tests and the fuzzer (tests/fuzz/) drive
 * directly; server.c only cuts lines and sends what this writes.
 */
#include <stdio.h>

#include "api-internal.h"

static const char *const error_class[] = {
	[API_ERR_BAD_REQUEST] = "bad-request",
	[API_ERR_UNKNOWN_COMMAND] = "unknown-command",
	[API_ERR_BAD_ARGUMENT] = "bad-argument",
	[API_ERR_TOO_LARGE] = "too-large",
	[API_ERR_WRONG_STATE] = "wrong-state",
	[API_ERR_UNAVAILABLE] = "unavailable",
	[API_ERR_FAILED] = "failed",
};

static void put_id(struct json_writer *w, const struct json_value *id)
{
	if (!id)
		return;
	json_key(w, "id");
	if (id->type == JSON_STRING)
		json_string(w, id->u.str.s);
	else if (id->u.i.neg)
		json_s64(w, -(s64)id->u.i.mag);
	else
		json_u64(w, id->u.i.mag);
}

void api__write_error(struct json_writer *w, enum api_error_class cls, const char *desc,
		      const struct json_value *id)
{
	json_object_begin(w);
	json_key(w, "error");
	json_object_begin(w);
	json_kv_string(w, "class", error_class[cls]);
	json_kv_string(w, "desc", desc);
	json_object_end(w);
	put_id(w, id);
	json_object_end(w);
}

void api__handle_request(struct api_server *srv, const struct vm_control *ctl,
			 const char *line, size_t len, struct json_writer *w)
{
	api__handle_request_fds(srv, ctl, line, len, NULL, 0, w);
}

void api__handle_request_fds(struct api_server *srv, const struct vm_control *ctl,
			     const char *line, size_t len, int *fds, unsigned int nr_fds,
			     struct json_writer *w)
{
	static const char *const members[] = { "execute", "arguments", "id", NULL };
	static const struct json_limits lim = {
		.max_bytes = API_MAX_REQUEST, .max_depth = 16, .max_nodes = 4096,
	};
	const struct json_value *root, *args = NULL, *id;
	const struct api_command *cmd;
	struct api_request req;
	const char *name;
	struct json_doc *doc;
	struct err e = { "" };
	enum api_error_class cls;

	if (json_parse(line, len, &lim, &doc, NULL, &e)) {
		api__write_error(w, API_ERR_BAD_REQUEST, e.msg, NULL);
		return;
	}
	root = json_root(doc);
	id = json_get(root, "id");
	if (id && id->type != JSON_STRING && id->type != JSON_INT)
		id = NULL;
	if (root->type != JSON_OBJECT) {
		api__write_error(w, API_ERR_BAD_REQUEST, "a request is a JSON object", NULL);
		goto out;
	}
	if (json_check_members(root, members, &e) ||
	    json_get_string(root, "execute", &name, &e)) {
		api__write_error(w, API_ERR_BAD_REQUEST, e.msg, id);
		goto out;
	}
	if (json_get(root, "id") && !id) {
		api__write_error(w, API_ERR_BAD_REQUEST, "id: expected a string or an integer", NULL);
		goto out;
	}
	if (json_get(root, "arguments") && json_get_object(root, "arguments", &args, &e)) {
		api__write_error(w, API_ERR_BAD_REQUEST, e.msg, id);
		goto out;
	}
	cmd = api_command__find(name);
	if (!cmd) {
		snprintf(e.msg, sizeof(e.msg), "%s: no such command (query-commands lists them)", name);
		api__write_error(w, API_ERR_UNKNOWN_COMMAND, e.msg, id);
		goto out;
	}
	if (args && json_check_members(args, cmd->args ? cmd->args : (const char *const[]){ NULL },
				       &e)) {
		api__write_error(w, API_ERR_BAD_ARGUMENT, e.msg, id);
		goto out;
	}
	req = (struct api_request){
		.name = name, .args = args, .ctl = ctl, .srv = srv, .fds = fds, .nr_fds = nr_fds,
	};
	json_object_begin(w);
	json_key(w, "return");
	cls = cmd->run(&req, w, &e);
	if (cls != API_OK) {
		/* what the command began to write is dropped for the error */
		json_writer_reset(w);
		api__write_error(w, cls, e.msg, id);
		goto out;
	}
	put_id(w, id);
	json_object_end(w);
out:
	json_doc_free(doc);
}
