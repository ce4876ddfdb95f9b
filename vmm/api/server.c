// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket's server (api.h): a unix socket on the VM's event
 * loop, clients read line by line, each request parsed with hard limits
 * and answered, events sent to every client.  Nothing a client does can
 * stop or slow the guest: reads and writes never block, a request that is
 * too long is refused and skipped, a client that does not read its replies
 * is dropped once it owes too much, and a client that goes away mid-request
 * loses only its own request.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "api-internal.h"

/* What a client may owe before it is dropped (it does not read). */
#define API_MAX_BACKLOG		(1024 * 1024)

struct api_client {
	struct api_server *srv;
	int fd;
	char *in;			/* the request line being read */
	size_t in_len;
	bool discarding;		/* skipping the rest of a too-long line */
	char *out;			/* replies and events not yet written */
	size_t out_len, out_cap;
	/*
	 * on_client() is at work on it (busy): a send that fails meanwhile,
	 * even one of an event its own request set off, only marks it gone,
	 * and on_client() drops it when it is done with it.
	 */
	bool busy, gone;
	/* descriptors passed with what was read (SCM_RIGHTS), for the next request */
	int fds[API_MAX_FDS];
	unsigned int nr_fds;
	bool fds_dropped;	/* more came than API_MAX_FDS: the request is refused */
	struct api_client *next;
};

static void close_fds(struct api_client *c)
{
	while (c->nr_fds)
		close(c->fds[--c->nr_fds]);
	c->fds_dropped = false;
}

struct api_server {
	int fd;
	char *path;
	/*
	 * The socket file we made, for removal: its directory and name in it.
	 * Removal goes through the directory's fd, so that the KVM engine's
	 * system call filter can allow unlinkat() in that directory only.
	 */
	int dir_fd;
	const char *name;
	dev_t dev;
	ino_t ino;
	struct event_loop *loop;
	const struct vm_control *ctl;
	struct api_client *clients;
	unsigned int nr_clients;
};

static void drop_client(struct api_client *c)
{
	struct api_server *s = c->srv;
	struct api_client **p;

	if (c->busy) {
		c->gone = true;
		return;
	}

	for (p = &s->clients; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	s->nr_clients--;
	event_loop__remove(s->loop, c->fd);
	close_fds(c);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* Writes what the client is owed; false when the client was dropped. */
static bool flush_client(struct api_client *c)
{
	if (c->gone)
		return false;
	while (c->out_len) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			drop_client(c);
			return false;
		}
		memmove(c->out, c->out + n, c->out_len - n);
		c->out_len -= n;
	}
	event_loop__modify(c->srv->loop, c->fd, EPOLLIN | (c->out_len ? EPOLLOUT : 0));
	return true;
}

/* Queues one line for @c; false when the client was dropped. */
static bool send_line(struct api_client *c, const char *line, size_t len)
{
	if (c->gone)
		return false;
	if (c->out_len + len > API_MAX_BACKLOG) {
		drop_client(c);		/* it does not read: it must not cost memory */
		return false;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = MAX(c->out_cap * 2, c->out_len + len + 4096);
		char *n = realloc(c->out, cap);

		if (!n) {
			drop_client(c);
			return false;
		}
		c->out = n;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, line, len);
	c->out_len += len;
	return flush_client(c);
}

static bool send_writer(struct api_client *c, struct json_writer *w)
{
	struct err e;

	if (json_writer_finish(w, &e)) {
		warn("control socket: reply not sent: %s", e.msg);
		return true;
	}
	return send_line(c, w->buf, w->len);
}

static bool send_error(struct api_client *c, enum api_error_class cls, const char *desc)
{
	struct json_writer w;
	bool alive;

	json_writer_init(&w, 0);
	api__write_error(&w, cls, desc, NULL);
	alive = send_writer(c, &w);
	json_writer_free(&w);
	return alive;
}

/* One request line: its reply (request.c).  False: client dropped. */
static bool handle_request(struct api_client *c, const char *line, size_t len)
{
	struct json_writer w;
	bool alive;

	json_writer_init(&w, 0);
	if (c->fds_dropped) {
		char desc[96];

		/* no command takes that many: half of them would be lost */
		snprintf(desc, sizeof(desc), "more than %u files came with the request",
			 API_MAX_FDS);
		api__write_error(&w, API_ERR_BAD_REQUEST, desc, NULL);
	} else {
		api__handle_request_fds(c->srv, c->srv->ctl, line, len, c->fds, c->nr_fds, &w);
	}
	/* a descriptor belongs to the request it came with, used or not */
	close_fds(c);
	alive = send_writer(c, &w);
	json_writer_free(&w);
	return alive;
}

/* recv() that also takes the descriptors a client passes (SCM_RIGHTS). */
static ssize_t recv_with_fds(struct api_client *c, char *buf, size_t len)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(API_MAX_FDS * sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *cm;
	ssize_t n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n < 0)
		return n;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		unsigned int i, k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (c->nr_fds < API_MAX_FDS) {
				c->fds[c->nr_fds++] = fd;
			} else {
				close(fd);	/* more than any request takes */
				c->fds_dropped = true;
			}
		}
	}
	/* the kernel closed the ones that did not fit */
	if (msg.msg_flags & MSG_CTRUNC)
		c->fds_dropped = true;
	return n;
}

/* What a client sent: lines cut, each answered; the rest kept for later. */
static void read_client(struct api_client *c, u32 events)
{
	char buf[4096];
	ssize_t n;

	if ((events & EPOLLOUT) && !flush_client(c))
		return;
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	n = recv_with_fds(c, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		drop_client(c);		/* gone, mid-request or not */
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			if (c->discarding)
				continue;
			if (c->in_len == API_MAX_REQUEST) {
				char msg[64];

				/* not into @buf: the rest of its bytes are still to be read */
				c->discarding = true;
				snprintf(msg, sizeof(msg), "a request is at most %d bytes", API_MAX_REQUEST);
				if (!send_error(c, API_ERR_TOO_LARGE, msg))
					return;
				continue;
			}
			c->in[c->in_len++] = buf[i];
			continue;
		}
		if (c->discarding) {
			/* the too-large request's files go with it */
			c->discarding = false;
			c->in_len = 0;
			close_fds(c);
			continue;
		}
		/* a blank line (or a lone CR) is no request */
		if (c->in_len && c->in[c->in_len - 1] == '\r')
			c->in_len--;
		if (c->in_len && !handle_request(c, c->in, c->in_len))
			return;
		c->in_len = 0;
	}
}

static void on_client(struct event_loop *loop, int fd, u32 events, void *opaque)
{
	struct api_client *c = opaque;

	(void)loop;
	(void)fd;
	c->busy = true;
	read_client(c, events);
	c->busy = false;
	if (c->gone)
		drop_client(c);
}

static void greet(struct api_client *c)
{
	struct json_writer w;

	json_writer_init(&w, 0);
	json_object_begin(&w);
	json_key(&w, "greeting");
	json_object_begin(&w);
	json_kv_string(&w, "name", "mirrorvm");
	json_kv_string(&w, "version", MIRRORVM_VERSION);
	json_kv_string(&w, "engine", c->srv->ctl->engine);
	/* how many memory files a snapshot request may bring (mirrorvm ctl asks) */
	if (c->srv->ctl->snapshot)
		json_kv_u64(&w, "snapshot-parts", SNAPSHOT_MAX_PARTS);
	json_object_end(&w);
	json_object_end(&w);
	send_writer(c, &w);
	json_writer_free(&w);
}

static void on_listen(struct event_loop *loop, int fd, u32 events, void *opaque)
{
	struct api_server *s = opaque;
	struct api_client *c;
	struct err e;
	int cfd;

	(void)events;
	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0)
		return;
	if (s->nr_clients >= API_MAX_CLIENTS) {
		static const char busy[] =
			"{\"error\": {\"class\": \"unavailable\", \"desc\": \"too many clients\"}}\n";

		if (send(cfd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			(void)0;	/* it is closed either way */
		close(cfd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->in = malloc(API_MAX_REQUEST + 1);
	if (!c || !c->in || event_loop__add(loop, cfd, EPOLLIN, on_client, c, &e)) {
		if (c)
			free(c->in);
		free(c);
		close(cfd);
		return;
	}
	c->srv = s;
	c->fd = cfd;
	c->next = s->clients;
	s->clients = c;
	s->nr_clients++;
	greet(c);
}

/*
 * @path may be replaced only when it is a socket of ours that nothing
 * listens on (a mirrorvm that died); anything else is the user's.
 */
static int clear_stale(const char *path, struct err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		return err_set(e, "--api-socket %s: %s", path, strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return err_set(e, "--api-socket %s: exists and is not a socket; not replacing it", path);
	if (st.st_uid != geteuid())
		return err_set(e, "--api-socket %s: a socket of another user; not replacing it", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(e, "socket: %s", strerror(errno));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (!ret)
		return err_set(e, "--api-socket %s: another process is listening on it", path);
	if (errno != ECONNREFUSED)
		return err_set(e, "--api-socket %s: %s", path, strerror(errno));
	if (unlink(path))
		return err_set(e, "--api-socket %s: cannot remove the stale socket: %s", path,
			       strerror(errno));
	return 0;
}

/* The directory @path lies in, as an O_PATH fd; *@name: the rest of @path. */
static int open_dir_of(const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	size_t len;

	if (!slash) {
		*name = path;
		return open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	*name = slash + 1;
	len = slash == path ? 1 : (size_t)(slash - path);	/* "/sock": "/" */
	memcpy(dir, path, len);
	dir[len] = '\0';
	return open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int api__open_dir(const char *path, struct err *e)
{
	const char *name;
	int fd = open_dir_of(path, &name);

	if (fd < 0)
		err_set(e, "--api-socket %s: its directory: %s", path, strerror(errno));
	return fd;
}

struct api_server *api__listen(const char *path, int dir_fd, struct event_loop *loop,
			       const struct vm_control *ctl, struct err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct api_server *s;
	struct stat st;
	mode_t old;
	int ret;

	if (!*path || strlen(path) >= sizeof(sa.sun_path)) {
		err_set(e, "--api-socket %s: a socket path is 1 to %zu bytes", path,
			sizeof(sa.sun_path) - 1);
		goto fail_dir;
	}
	if (clear_stale(path, e))
		goto fail_dir;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		err_set(e, "out of memory");
		goto fail_dir;
	}
	s->loop = loop;
	s->ctl = ctl;
	s->dir_fd = dir_fd;	/* ours from here on */
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0) {
		err_set(e, "socket: %s", strerror(errno));
		goto fail;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* owner-only from the first moment it exists */
	old = umask(0177);
	ret = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret) {
		err_set(e, "--api-socket %s: %s", path, strerror(errno));
		goto fail;
	}
	if (stat(path, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	if (s->dir_fd >= 0)
		s->name = strrchr(s->path, '/') ? strrchr(s->path, '/') + 1 : s->path;
	else
		s->dir_fd = open_dir_of(s->path, &s->name);
	if (s->dir_fd < 0) {
		err_set(e, "--api-socket %s: its directory: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	if (listen(s->fd, API_MAX_CLIENTS) ||
	    event_loop__add(loop, s->fd, EPOLLIN, on_listen, s, e)) {
		if (!e->msg[0])
			err_set(e, "--api-socket %s: listen: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	return s;
fail:
	if (s->fd >= 0)
		close(s->fd);
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	free(s->path);
	free(s);
	return NULL;
fail_dir:
	if (dir_fd >= 0)
		close(dir_fd);
	return NULL;
}

void api__close(struct api_server *s)
{
	struct stat st;

	if (!s)
		return;
	while (s->clients) {
		struct api_client *c = s->clients;

		if (flush_client(c))	/* the last replies, as far as they go */
			drop_client(c);
	}
	event_loop__remove(s->loop, s->fd);
	close(s->fd);
	/* only the socket we made: someone may have replaced it since */
	if (fstatat(s->dir_fd, s->name, &st, 0) == 0 && st.st_dev == s->dev &&
	    st.st_ino == s->ino)
		unlinkat(s->dir_fd, s->name, 0);
	close(s->dir_fd);
	free(s->path);
	free(s);
}

int api__dir_fd(const struct api_server *s)
{
	return s ? s->dir_fd : -1;
}

void api__event(struct api_server *s, const char *name,
		void (*data)(struct json_writer *w, void *arg), void *arg)
{
	struct api_client *c, *next;
	struct json_writer w;
	struct timeval tv;
	struct err e;

	if (!s || !s->clients)
		return;
	gettimeofday(&tv, NULL);
	json_writer_init(&w, 0);
	json_object_begin(&w);
	json_kv_string(&w, "event", name);
	json_key(&w, "data");
	json_object_begin(&w);
	if (data)
		data(&w, arg);
	json_object_end(&w);
	json_key(&w, "timestamp");
	json_object_begin(&w);
	json_kv_u64(&w, "seconds", tv.tv_sec);
	json_kv_u64(&w, "microseconds", tv.tv_usec);
	json_object_end(&w);
	json_object_end(&w);
	if (!json_writer_finish(&w, &e)) {
		for (c = s->clients; c; c = next) {
			next = c->next;
			send_line(c, w.buf, w.len);
		}
	}
	json_writer_free(&w);
}
