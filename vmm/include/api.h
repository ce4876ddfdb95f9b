/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_API_H
#define MIRRORVM_API_H

/*
 * The control socket (mirrorvm run --api-socket PATH): newline-delimited
 * JSON in the style of QMP.  A client sends
 *
 *	{"execute": "stop", "arguments": {...}, "id": 7}
 *
 * and gets {"return": {...}, "id": 7} or {"error": {"class": "...",
 * "desc": "..."}, "id": 7}; asynchronous {"event": "STOP", "data": {...},
 * "timestamp": {...}} lines may come in between.  docs/mirrorvm.1 (CONTROL
 * SOCKET) documents every command, event and error class.
 *
 * The server runs on the VM's event loop; what it may do to the VM is a
 * struct vm_control that the engine provides.  Adding a command: a row in
 * api/commands.c, and a vm_control method if the engine must do something
 * new (docs/architecture.md).
 */
#include "event-loop.h"
#include "json.h"

/* Largest request line the server reads; longer ones are refused. */
#define API_MAX_REQUEST		(64 * 1024)
/* Clients served at once; more are told so and closed. */
#define API_MAX_CLIENTS		16

struct unit_selector;

/* What the control socket may do to the running VM (the engine's side). */
struct vm_control {
	const char *engine;
	/* Pause every vCPU (completing in-flight exits) / let them run. */
	int (*stop)(void *vm, struct err *e);
	int (*cont)(void *vm, struct err *e);
	bool (*paused)(void *vm);
	/* Ends the VM as the "quit" command asks (exit status 0). */
	void (*quit)(void *vm);
	/* Registers of every vCPU, while paused: a JSON array into @w. */
	int (*query_cpus)(void *vm, struct json_writer *w, struct err *e);
	/* Test hook (MIRRORVM_TEST_DEVICES=1): the test port's counters. */
	int (*test_port)(void *vm, struct json_writer *w, struct err *e);
	/*
	 * Memory hot-(un)plug of the unplug units.  The requests return at
	 * once, writing the units they started on into @w; completion comes
	 * as events.  0, or -EINVAL (bad selector), -EBUSY (a unit is not in
	 * the state the request needs), -ENODEV (no units), -EIO (the host
	 * failed), with @e set.
	 */
	int (*query_memory)(void *vm, struct json_writer *w, struct err *e);
	int (*memory_unplug)(void *vm, const struct unit_selector *sel, u64 timeout_ms,
			     struct json_writer *w, struct err *e);
	int (*memory_plug)(void *vm, const struct unit_selector *sel, u64 timeout_ms,
			   struct json_writer *w, struct err *e);
	/* The placement report (host.h) of guest memory as it is now. */
	int (*query_placement)(void *vm, struct json_writer *w, struct err *e);
	/*
	 * A snapshot (snapshot.h) into @state_fd and the @nr_parts memory
	 * parts @memory_fds, files the client created; the VM is paused for
	 * it and left paused if @stay_paused or if it was.  Its figures into
	 * @w.  NULL: none.
	 */
	int (*snapshot)(void *vm, int state_fd, const int *memory_fds, unsigned int nr_parts,
			bool stay_paused, struct json_writer *w, struct err *e);
	/*
	 * A live update (live-update.h): the VM paused, its state into
	 * @state_fd (a memfd the client made), that and its RAM memfds
	 * preserved through @pram_fd (the client's /dev/pram) under @name,
	 * then the VM ends (mirrorvm exits 0).  Its figures into @w.  On an
	 * error the VM stays as it was if nothing was preserved, else paused.
	 */
	int (*live_update)(void *vm, int pram_fd, int state_fd, const char *name,
			   struct json_writer *w, struct err *e);
	void *vm;
};

struct api_server;

/*
 * Listens on @path (created 0600; an existing path is replaced only when
 * it is a stale socket of this user's that nothing listens on) and serves
 * clients on @loop.  @dir_fd: api__open_dir(@path), opened earlier (the
 * KVM engine builds its system call filter, which names it, before it
 * listens), or -1 to open it here; the server owns it either way.
 */
struct api_server *api__listen(const char *path, int dir_fd, struct event_loop *loop,
			       const struct vm_control *ctl, struct err *e);
/* The directory of the socket file @path as an O_PATH fd, or -1 with @e set. */
int api__open_dir(const char *path, struct err *e);
/* Closes every client and the socket, and removes it. */
void api__close(struct api_server *s);
/*
 * The directory of the socket file as an fd (-1 for a NULL @s): the only
 * place api__close() removes anything, with unlinkat() (the KVM engine's
 * system call filter allows unlinkat() there alone).
 */
int api__dir_fd(const struct api_server *s);
/*
 * Sends an event to every client: @data writes the members of the "data"
 * object (NULL: an empty one).
 */
void api__event(struct api_server *s, const char *name,
		void (*data)(struct json_writer *w, void *arg), void *arg);

/* "mirrorvm ctl": the client (api/client.c). */
int cmd_ctl(int argc, char **argv);
struct api_ctl_opts {
	bool raw;		/* print JSON lines as they came, not text */
	/*
	 * memory-unplug, memory-plug: after the reply, wait for each unit's
	 * outcome event and print the events about them.
	 */
	bool wait;
	int timeout_ms;		/* for the reply (and with @wait the outcome); 0: none */
};
/*
 * One request (@cmd with KEY=VALUE @argv) to the socket at @path; its
 * reply on @out.  0; -errno with @e set (the server's error class and
 * description when it refused, a unit's failure with @wait); -ETIME when
 * a unit's operation timed out on the server (@wait).
 */
int api__ctl(const char *path, const char *cmd, int argc, char **argv,
	     const struct api_ctl_opts *opts, FILE *out, struct err *e);

#endif
