/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_CLI_H
#define MIRRORVM_CLI_H

/*
 * "mirrorvm run" flags.  They say two things: what the guest is (struct
 * vm_spec, spec.h) and how this run is made (struct run_opts).  Parsing is
 * syntax only, one flag at a time, so every message names its flag; how
 * the pieces fit together is layout__build()'s job.
 */
#include <stdio.h>

#include "spec.h"

enum engine_kind { ENGINE_AUTO, ENGINE_KVM, ENGINE_QEMU };
enum qemu_accel { ACCEL_AUTO, ACCEL_TCG, ACCEL_KVM };
/* --seccomp: the KVM engine's system call filter (seccomp-filter.h) */
enum seccomp_choice { SECCOMP_DEFAULT, SECCOMP_ON, SECCOMP_OFF };

/* How this run is made; none of it changes what the guest sees. */
struct run_opts {
	enum engine_kind engine;
	enum qemu_accel qemu_accel;
	const char *qemu_binary;	/* NULL: qemu-system-x86_64 */
	const char *dump_dir;		/* --dump-firmware */
	const char *domain_xml;		/* the guest comes from this domain */
	const char *placement_report;
	const char *api_socket;		/* the control socket's path */
	enum seccomp_choice seccomp;	/* DEFAULT: on where the engine has one */
	const char *restore_dir;	/* --restore DIR, --live-restore NAME */
	bool live_restore;		/* restore_dir is a live update's name */
};

/* The flag that gave @opts->restore_dir, for messages. */
static inline const char *cli__restore_flag(const struct run_opts *opts)
{
	return opts->live_restore ? "--live-restore" : "--restore";
}

/* The guest half of the flags, as given; private to cli.c. */
struct run_flags;

/*
 * Parses @argv (argv[0] is not a flag) into @opts and the returned guest
 * flags.  NULL with @e set on a bad flag; NULL with *@help set for --help.
 * The strings in @opts point into @argv.
 */
struct run_flags *cli__parse_run(int argc, char **argv, struct run_opts *opts,
				 bool *help, struct err *e);
/*
 * Applies the guest flags to @spec: scalar flags win, a --node replaces the
 * node with its id (or adds one), and --mirror flags replace the whole list
 * of reliable ranges.  On a fresh spec that is simply the flags' guest.
 */
int cli__apply(const struct run_flags *f, struct vm_spec *spec, struct err *e);
void cli__free(struct run_flags *f);
/*
 * The guest of a snapshot: @argv (argv[0] is not a flag) holds guest flags
 * only, as spec__to_flags() wrote them; a run option among them is an
 * error.
 */
int cli__spec_from_flags(int argc, char **argv, struct vm_spec *spec, struct err *e);

/*
 * Reads a libvirt domain's guest into @spec (vmm/xml/; "run --domain-xml").
 * A function pointer, so the core parser does not depend on libxml2.
 */
typedef int (*domain_loader)(const char *path, struct vm_spec *spec, struct err *e);

/*
 * All of the above for "mirrorvm run" and "args2xml": @spec (initialised
 * here) becomes the guest of --domain-xml when given (through @load) with
 * the command line's guest flags laid over it.  Returns 0, 1 for --help,
 * or -errno with @e set; @spec needs spec__free() either way.
 */
int cli__parse_spec(int argc, char **argv, domain_loader load, struct vm_spec *spec,
		    struct run_opts *opts, struct err *e);

/* One --node value ("id=1,size=1G,cpus=0-3,6,mirror=on") and one --mirror. */
int cli__parse_node(const char *arg, struct node_spec *node, struct err *e);
int cli__parse_reliable(const char *arg, struct addr_range *r, struct err *e);

/* The run options @opts sets, as "--engine, --qemu" (empty when none). */
void cli__run_opts_given(const struct run_opts *opts, char *buf, size_t len);

const char *engine_name(enum engine_kind k);
void run_usage(FILE *out);

#endif
