/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_COMMANDS_H
#define MIRRORVM_COMMANDS_H

#include "config.h"

/* libvirt domain XML (vmm/xml/): each returns the process exit status. */
int cmd_xml2args(int argc, char **argv);
int cmd_args2xml(int argc, char **argv);
/*
 * "run --domain-xml FILE [flags]": re-parses @cfg from the domain's flags,
 * then from argv again with cfg->override_pass set, so later flags win.
 */
int run_apply_domain_xml(struct vm_config *cfg, int argc, char **argv, struct err *e);

#endif
