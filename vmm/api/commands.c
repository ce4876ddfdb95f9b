// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket's commands: one row each, its arguments, a handler
 * that writes the "return" value, and a line of help (query-commands).
 * Handlers reach the VM only through struct vm_control.
 */
#include <errno.h>
#include <string.h>

#include "api-internal.h"
#include "layout.h"
#include "live-update.h"
#include "snapshot.h"

static enum api_error_class cmd_query_status(const struct api_request *req,
					     struct json_writer *w, struct err *e)
{
	(void)e;
	json_object_begin(w);
	json_kv_string(w, "status", req->ctl->paused(req->ctl->vm) ? "paused" : "running");
	json_kv_string(w, "engine", req->ctl->engine);
	json_object_end(w);
	return API_OK;
}

static void no_data(struct json_writer *w, void *arg)
{
	(void)w;
	(void)arg;
}

static enum api_error_class cmd_stop(const struct api_request *req, struct json_writer *w,
				     struct err *e)
{
	bool was = req->ctl->paused(req->ctl->vm);

	if (req->ctl->stop(req->ctl->vm, e))
		return API_ERR_FAILED;
	json_object_begin(w);
	json_object_end(w);
	if (!was)
		api__event(req->srv, "STOP", no_data, NULL);
	return API_OK;
}

static enum api_error_class cmd_cont(const struct api_request *req, struct json_writer *w,
				     struct err *e)
{
	bool was = req->ctl->paused(req->ctl->vm);

	if (req->ctl->cont(req->ctl->vm, e))
		return API_ERR_FAILED;
	json_object_begin(w);
	json_object_end(w);
	if (was)
		api__event(req->srv, "RESUME", no_data, NULL);
	return API_OK;
}

static enum api_error_class cmd_quit(const struct api_request *req, struct json_writer *w,
				     struct err *e)
{
	(void)e;
	json_object_begin(w);
	json_object_end(w);
	req->ctl->quit(req->ctl->vm);
	return API_OK;
}

static enum api_error_class cmd_query_cpus(const struct api_request *req,
					   struct json_writer *w, struct err *e)
{
	if (!req->ctl->paused(req->ctl->vm)) {
		err_set(e, "the VM is running: registers are read while it is stopped (stop first)");
		return API_ERR_WRONG_STATE;
	}
	json_object_begin(w);
	json_key(w, "cpus");
	if (req->ctl->query_cpus(req->ctl->vm, w, e))
		return API_ERR_FAILED;
	json_object_end(w);
	return API_OK;
}

static enum api_error_class cmd_test_port(const struct api_request *req, struct json_writer *w,
					  struct err *e)
{
	if (!req->ctl->test_port) {
		err_set(e, "no test port: it exists only with MIRRORVM_TEST_DEVICES=1");
		return API_ERR_UNAVAILABLE;
	}
	return req->ctl->test_port(req->ctl->vm, w, e) ? API_ERR_FAILED : API_OK;
}

/* -errno of a vm_control method as an error class. */
static enum api_error_class errno_class(int ret)
{
	switch (ret) {
	case 0:
		return API_OK;
	case -EINVAL:
		return API_ERR_BAD_ARGUMENT;
	case -EBUSY:
		return API_ERR_WRONG_STATE;
	case -ENODEV:
		return API_ERR_UNAVAILABLE;
	default:
		return API_ERR_FAILED;
	}
}

/* An address or a size: a number, or a string such as "0x80000000" or "128M". */
static int get_size(const struct json_value *args, const char *key, u64 *v, struct err *e)
{
	const struct json_value *m = json_get(args, key);
	struct err sub;

	if (!m || m->type != JSON_STRING)
		return json_get_u64(args, key, v, e);
	if (parse_size(m->u.str.s, v, &sub))
		return err_set(e, "%s=%s: %s", key, m->u.str.s, sub.msg);
	return 0;
}

/* node=N | unit=N | start=ADDR,size=SIZE, and timeout-ms=MS */
static int get_selector(const struct json_value *args, struct unit_selector *sel,
			u64 *timeout_ms, struct err *e)
{
	bool node = json_get(args, "node"), unit = json_get(args, "unit");
	bool start = json_get(args, "start"), size = json_get(args, "size");
	int ret;

	*timeout_ms = 0;
	if (node + unit + (start || size) != 1)
		return err_set(e, "name the memory by one of node=N, unit=N, or start=ADDR and size=SIZE (query-memory lists the units)");
	if (start != size)
		return err_set(e, "a range needs both start= and size=");
	if (node) {
		sel->by = SELECT_NODE;
		ret = json_get_u64(args, "node", &sel->node, e);
	} else if (unit) {
		sel->by = SELECT_UNIT;
		ret = json_get_u64(args, "unit", &sel->unit, e);
	} else {
		sel->by = SELECT_RANGE;
		ret = get_size(args, "start", &sel->start, e);
		if (!ret)
			ret = get_size(args, "size", &sel->size, e);
	}
	if (!ret && json_get(args, "timeout-ms")) {
		ret = json_get_u64(args, "timeout-ms", timeout_ms, e);
		if (!ret && (!*timeout_ms || *timeout_ms > 24ULL * 3600 * 1000))
			ret = err_set(e, "timeout-ms=%llu: from 1 to 86400000 (a day)",
				      (unsigned long long)*timeout_ms);
	}
	return ret;
}

static enum api_error_class cmd_memory_op(const struct api_request *req, struct json_writer *w,
					  struct err *e, bool unplug)
{
	int (*op)(void *, const struct unit_selector *, u64, struct json_writer *, struct err *) =
		unplug ? req->ctl->memory_unplug : req->ctl->memory_plug;
	struct unit_selector sel;
	u64 timeout_ms;

	if (!op) {
		err_set(e, "the %s engine cannot hot-(un)plug memory", req->ctl->engine);
		return API_ERR_UNAVAILABLE;
	}
	if (get_selector(req->args, &sel, &timeout_ms, e))
		return API_ERR_BAD_ARGUMENT;
	return errno_class(op(req->ctl->vm, &sel, timeout_ms, w, e));
}

static enum api_error_class cmd_memory_unplug(const struct api_request *req,
					      struct json_writer *w, struct err *e)
{
	return cmd_memory_op(req, w, e, true);
}

static enum api_error_class cmd_memory_plug(const struct api_request *req,
					    struct json_writer *w, struct err *e)
{
	return cmd_memory_op(req, w, e, false);
}

static enum api_error_class cmd_query_memory(const struct api_request *req,
					     struct json_writer *w, struct err *e)
{
	if (!req->ctl->query_memory) {
		err_set(e, "the %s engine cannot hot-(un)plug memory", req->ctl->engine);
		return API_ERR_UNAVAILABLE;
	}
	return errno_class(req->ctl->query_memory(req->ctl->vm, w, e));
}

static enum api_error_class cmd_query_placement(const struct api_request *req,
						struct json_writer *w, struct err *e)
{
	if (!req->ctl->query_placement) {
		err_set(e, "the %s engine cannot measure where guest memory lies", req->ctl->engine);
		return API_ERR_UNAVAILABLE;
	}
	return errno_class(req->ctl->query_placement(req->ctl->vm, w, e));
}

static enum api_error_class cmd_query_commands(const struct api_request *req,
					       struct json_writer *w, struct err *e);

static const char *const memory_args[] = { "node", "unit", "start", "size", "timeout-ms", NULL };

static const char *const snapshot_args[] = { "path", "paused", "parts", NULL };

/*
 * The files come with the request (SCM_RIGHTS: the state file, then the
 * memory parts in order, snapshot.h), as mirrorvm ctl passes them: the
 * system call filter lets a running mirrorvm open nothing to write.
 * "path" only names them in messages; "parts" says how many memory files
 * came (default 1).
 */
static enum api_error_class cmd_snapshot(const struct api_request *req, struct json_writer *w,
					 struct err *e)
{
	const char *path = "";
	u64 parts = 1;
	bool paused = false;
	int ret;

	if (!req->ctl->snapshot) {
		err_set(e, "the %s engine takes no snapshots", req->ctl->engine);
		return API_ERR_UNAVAILABLE;
	}
	if (req->args && json_get(req->args, "path") && json_get_string(req->args, "path", &path, e))
		return API_ERR_BAD_ARGUMENT;
	if (req->args && json_get(req->args, "paused") && json_get_bool(req->args, "paused", &paused, e))
		return API_ERR_BAD_ARGUMENT;
	if (req->args && json_get(req->args, "parts") &&
	    json_get_u64(req->args, "parts", &parts, e))
		return API_ERR_BAD_ARGUMENT;
	if (!parts || parts > SNAPSHOT_MAX_PARTS) {
		err_set(e, "parts: %llu memory parts, a snapshot has 1 to %u",
			(unsigned long long)parts, SNAPSHOT_MAX_PARTS);
		return API_ERR_BAD_ARGUMENT;
	}
	if (req->nr_fds != parts + 1) {
		if (parts == 1)
			err_set(e, "snapshot%s%s: the request must come with 2 files (state, memory), it came with %u: use mirrorvm ctl SOCKET snapshot DIR",
				*path ? " " : "", path, req->nr_fds);
		else
			err_set(e, "snapshot%s%s: the request must come with %llu files (state, %llu memory parts), it came with %u: use mirrorvm ctl SOCKET snapshot DIR",
				*path ? " " : "", path, (unsigned long long)parts + 1,
				(unsigned long long)parts, req->nr_fds);
		return API_ERR_BAD_ARGUMENT;
	}
	ret = req->ctl->snapshot(req->ctl->vm, req->fds[0], req->fds + 1, req->nr_fds - 1,
				 paused, w, e);
	if (ret) {
		if (*path) {
			struct err sub = *e;

			err_set(e, "%s: %s", path, sub.msg);
		}
		return API_ERR_FAILED;
	}
	return API_OK;
}

static const char *const live_update_args[] = { "name", NULL };

/*
 * The client opens /dev/pram and makes the state memfd (SCM_RIGHTS, in
 * that order): the system call filter lets a running mirrorvm open
 * neither.
 */
static enum api_error_class cmd_live_update(const struct api_request *req, struct json_writer *w,
					    struct err *e)
{
	const char *name = NULL;

	if (!req->ctl->live_update) {
		err_set(e, "the %s engine has no live update", req->ctl->engine);
		return API_ERR_UNAVAILABLE;
	}
	if (!req->args || !json_get(req->args, "name")) {
		err_set(e, "live-update: which name? (mirrorvm ctl SOCKET live-update NAME)");
		return API_ERR_BAD_ARGUMENT;
	}
	if (json_get_string(req->args, "name", &name, e) || live_update__check_name(name, e))
		return API_ERR_BAD_ARGUMENT;
	if (req->nr_fds != 2) {
		err_set(e, "live-update %s: the request must come with 2 files (/dev/pram, a memfd for the state), it came with %u: use mirrorvm ctl SOCKET live-update NAME",
			name, req->nr_fds);
		return API_ERR_BAD_ARGUMENT;
	}
	if (req->ctl->live_update(req->ctl->vm, req->fds[0], req->fds[1], name, w, e))
		return API_ERR_FAILED;
	return API_OK;
}

static const struct api_command commands[] = {
	{ "query-status", NULL, cmd_query_status, "whether the guest runs or is paused" },
	{ "stop", NULL, cmd_stop, "pause every vCPU (in-flight exits complete first)" },
	{ "cont", NULL, cmd_cont, "resume a paused guest" },
	{ "quit", NULL, cmd_quit, "end the VM now (mirrorvm exits 0)" },
	{ "query-cpus", NULL, cmd_query_cpus, "each vCPU's registers, while paused" },
	{ "query-commands", NULL, cmd_query_commands, "this list" },
	{ "query-memory", NULL, cmd_query_memory,
	  "each unplug unit: node, range, state, the guest's last _OST, host backing and resident bytes" },
	{ "memory-unplug", memory_args, cmd_memory_unplug,
	  "take the units of node=N, unit=N or start=,size= from the guest; events say how it ends" },
	{ "memory-plug", memory_args, cmd_memory_plug,
	  "give unplugged units back to the guest; events say how it ends" },
	{ "query-placement", NULL, cmd_query_placement,
	  "where guest memory lies on the host now (the placement report)" },
	{ "snapshot", snapshot_args, cmd_snapshot,
	  "save the guest (paused meanwhile) into the files passed with the request: mirrorvm ctl SOCKET snapshot DIR" },
	{ "live-update", live_update_args, cmd_live_update,
	  "preserve the paused guest in place for the next host kernel, then exit: mirrorvm ctl SOCKET live-update NAME" },
	{ "x-test-port", NULL, cmd_test_port, "test hook: the test port's counters" },
};

static enum api_error_class cmd_query_commands(const struct api_request *req,
					       struct json_writer *w, struct err *e)
{
	unsigned int i, j;

	(void)req;
	(void)e;
	json_object_begin(w);
	json_key(w, "commands");
	json_array_begin(w);
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		json_object_begin(w);
		json_kv_string(w, "name", commands[i].name);
		json_key(w, "arguments");
		json_array_begin(w);
		for (j = 0; commands[i].args && commands[i].args[j]; j++)
			json_string(w, commands[i].args[j]);
		json_array_end(w);
		json_kv_string(w, "help", commands[i].help);
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
	return API_OK;
}

const struct api_command *api_command__find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}
