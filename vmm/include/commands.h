/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_COMMANDS_H
#define MIRRORVM_COMMANDS_H

#include "spec.h"

/* "mirrorvm run" (run.c). */
int cmd_run(int argc, char **argv);

/* "mirrorvm kexec" (host/kexec.c): the host kernel replaced by kexec. */
int cmd_kexec(int argc, char **argv);

/* libvirt domain XML (vmm/xml/): each returns the process exit status. */
int cmd_xml2args(int argc, char **argv);
int cmd_args2xml(int argc, char **argv);
/*
 * The guest of a libvirt domain for "run --domain-xml FILE": laid out only
 * after the command line's flags are laid over it (cli__parse_spec).
 */
int domain_xml__run_loader(const char *path, struct vm_spec *spec, struct err *e);

#endif
