/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_UTIL_H
#define MIRRORVM_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef MIRRORVM_VERSION
#define MIRRORVM_VERSION "0.2"
#endif

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define SZ_4K		0x1000ULL
#define SZ_1M		0x100000ULL
#define SZ_2M		0x200000ULL
#define SZ_128M		0x8000000ULL
#define SZ_1G		0x40000000ULL
#define SZ_2G		0x80000000ULL
#define SZ_4G		0x100000000ULL
#define SZ_64G		0x1000000000ULL

/* A guest- or host-physical range [start, start + size). */
struct addr_range {
	u64 start;
	u64 size;
};

static inline u64 range_end(const struct addr_range *r)
{
	return r->start + r->size;
}

/* Little-endian fields of files mirrorvm writes (state file, snapshot map). */
static inline void put_le32(u8 *p, u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static inline void put_le64(u8 *p, u64 v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static inline u32 get_le32(const u8 *p)
{
	u32 v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static inline u64 get_le64(const u8 *p)
{
	u64 v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#define ALIGN_UP(x, a)		(((x) + (a) - 1) & ~((u64)(a) - 1))
#define IS_ALIGNED(x, a)	(((x) & ((u64)(a) - 1)) == 0)
#define MIN(a, b)		((a) < (b) ? (a) : (b))
#define MAX(a, b)		((a) > (b) ? (a) : (b))

/*
 * Errors travel up as -errno plus a message in a caller-owned buffer, so a
 * rejected input can be reported once, at the top, naming the flag.  A
 * message longer than the buffer keeps its start and its end (the reason),
 * with " ... " in place of the middle.
 */
struct err {
	char msg[512];
};

int err_set(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int err_vset(struct err *e, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* A set of small ids (CPUs, host NUMA nodes): 1024 bits covers both. */
#define IDSET_MAX	1024
struct idset {
	u64 w[IDSET_MAX / 64];
};

static inline void idset_add(struct idset *s, unsigned int id)
{
	s->w[id / 64] |= 1ULL << (id % 64);
}

static inline bool idset_has(const struct idset *s, unsigned int id)
{
	return id < IDSET_MAX && (s->w[id / 64] >> (id % 64)) & 1;
}

unsigned int idset_count(const struct idset *s);
bool idset_empty(const struct idset *s);
/* Highest member, or -1 when empty. */
int idset_last(const struct idset *s);
/* Lowest member, or -1 when empty. */
int idset_first(const struct idset *s);
/* Formats as "0-3,6"; returns the length (snprintf-like). */
int idset_format(const struct idset *s, char *buf, size_t len);

/*
 * parse_size - "512M", "0x1000", "4G": like the kernel's memparse() but
 * strict: no trailing junk, no overflow, only K, M, G, T (any case) suffixes.
 */
int parse_size(const char *s, u64 *out, struct err *e);
int parse_u64(const char *s, u64 *out, struct err *e);
/* parse_idlist - "0-3,6" into @set; every id must be < @limit. */
int parse_idlist(const char *s, unsigned int limit, struct idset *set,
		 struct err *e);
/* Human-readable size ("512M", "1G", "4K" or bytes), for messages. */
const char *fmt_size(u64 v, char buf[32]);

void __attribute__((format(printf, 1, 2), noreturn)) die(const char *fmt, ...);
void __attribute__((format(printf, 1, 2))) warn(const char *fmt, ...);
/*
 * With MIRRORVM_DEBUG_STARTUP set, says on stderr how long after the
 * process started (its first call) each step of the start-up ended.
 */
void startup_mark(const char *step);
/* CLOCK_MONOTONIC in milliseconds, for durations */
u64 mono_ms(void);
void __attribute__((format(printf, 1, 2))) info(const char *fmt, ...);

int write_file(const char *path, const void *buf, size_t len, struct err *e);
/* Reads a whole file into a malloc'ed buffer (NUL-terminated). */
int read_file(const char *path, u8 **buf, size_t *len, struct err *e);
/*
 * Reads exactly @len bytes at @off (in pieces, across EINTR): 0, -errno,
 * or -ENODATA when the file ends first.
 */
int pread_exact(int fd, void *buf, u64 len, u64 off);
/* Writes all @len bytes at @off: 0, -errno, or -ENOSPC on a short write. */
int pwrite_all(int fd, const void *buf, u64 len, u64 off);

#endif
