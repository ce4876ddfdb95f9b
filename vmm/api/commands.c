// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket's commands: one row each, its arguments, a handler
 * that writes the "return" value, and a line of help (query-commands).
 * Handlers reach the VM only through struct vm_control.
 */
#include <string.h>

#include "api-internal.h"

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

static enum api_error_class cmd_query_commands(const struct api_request *req,
					       struct json_writer *w, struct err *e);

static const struct api_command commands[] = {
	{ "query-status", NULL, cmd_query_status, "whether the guest runs or is paused" },
	{ "stop", NULL, cmd_stop, "pause every vCPU (in-flight exits complete first)" },
	{ "cont", NULL, cmd_cont, "resume a paused guest" },
	{ "quit", NULL, cmd_quit, "end the VM now (mirrorvm exits 0)" },
	{ "query-cpus", NULL, cmd_query_cpus, "each vCPU's registers, while paused" },
	{ "query-commands", NULL, cmd_query_commands, "this list" },
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
