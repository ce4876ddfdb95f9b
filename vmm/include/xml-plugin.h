/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_XML_PLUGIN_H
#define MIRRORVM_XML_PLUGIN_H

/*
 * The libvirt XML converter lives in a plugin (build/mirrorvm-xml.so,
 * installed as $(PREFIX)/lib/mirrorvm/mirrorvm-xml.so) that mirrorvm loads
 * only for xml2args, args2xml and run --domain-xml: libxml2 and the ICU
 * libraries it pulls in cost every "mirrorvm run" about 3 ms of start-up
 * otherwise.  The plugin uses the core's functions from the executable
 * (linked with --export-dynamic); both must come from one build, which the
 * sizes below check.
 */
#include "layout.h"
#include "spec.h"

#define XML_PLUGIN_SYMBOL	"mirrorvm_xml_plugin"

struct xml_plugin {
	const char *version;		/* MIRRORVM_VERSION */
	size_t spec_size;		/* sizeof(struct vm_spec) */
	size_t layout_size;		/* sizeof(struct layout) */
	int (*xml2args)(int argc, char **argv);
	int (*args2xml)(int argc, char **argv);
	/* The domain's guest for "run --domain-xml" (cli.h domain_loader). */
	int (*load_spec)(const char *path, struct vm_spec *spec, struct err *e);
};

/* In the plugin (vmm/xml/), each behind struct xml_plugin. */
int xml_cmd_xml2args(int argc, char **argv);
int xml_cmd_args2xml(int argc, char **argv);
int xml_load_run_spec(const char *path, struct vm_spec *spec, struct err *e);

#endif
