/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_API_INTERNAL_H
#define MIRRORVM_API_INTERNAL_H

/* Between the control socket's server and its command table (vmm/api/). */
#include "api.h"
#include "snapshot.h"

enum api_error_class {
	API_OK,
	API_ERR_BAD_REQUEST,		/* not JSON, not a request object */
	API_ERR_UNKNOWN_COMMAND,
	API_ERR_BAD_ARGUMENT,		/* an argument missing, unknown or wrong */
	API_ERR_TOO_LARGE,		/* a request over API_MAX_REQUEST bytes */
	API_ERR_WRONG_STATE,		/* not now: e.g. registers while running */
	API_ERR_UNAVAILABLE,		/* not in this VM or engine */
	API_ERR_FAILED,			/* tried, and it did not work */
};

/*
 * File descriptors a client may pass with one request (SCM_RIGHTS): the
 * most a request takes, a snapshot's state file and its memory parts.
 */
#define API_MAX_FDS		(1 + SNAPSHOT_MAX_PARTS)

struct api_request {
	const char *name;
	const struct json_value *args;	/* NULL: no "arguments" */
	const struct vm_control *ctl;
	struct api_server *srv;
	/* passed with the request; a command that keeps one sets it to -1 */
	int *fds;
	unsigned int nr_fds;
};

struct api_command {
	const char *name;
	const char *const *args;	/* the arguments it takes (NULL: none) */
	/* Writes the "return" value into @w; API_OK, or a class with @e set. */
	enum api_error_class (*run)(const struct api_request *req, struct json_writer *w,
				    struct err *e);
	const char *help;
};

const struct api_command *api_command__find(const char *name);

/*
 * request.c: one request line (@len bytes, without its newline) -> its
 * reply document in @w (initialised by the caller, one document, not yet
 * finished): the reply to a good request, or the error saying why not.
 * @srv receives the events a command sends (NULL: none).
 */
void api__handle_request(struct api_server *srv, const struct vm_control *ctl,
			 const char *line, size_t len, struct json_writer *w);
/* The same with the descriptors the request came with (closed by the caller). */
void api__handle_request_fds(struct api_server *srv, const struct vm_control *ctl,
			     const char *line, size_t len, int *fds, unsigned int nr_fds,
			     struct json_writer *w);
/* An error reply: class @cls, @desc, and the request's @id when known. */
void api__write_error(struct json_writer *w, enum api_error_class cls, const char *desc,
		      const struct json_value *id);

#endif
