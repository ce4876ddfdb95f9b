// SPDX-License-Identifier: GPL-2.0
/*
 * Loads the libvirt XML plugin (xml-plugin.h) when a command needs it:
 * $MIRRORVM_XML_PLUGIN, else XML_PLUGIN_NAME next to the executable, else
 * in ../lib/mirrorvm/ from it (an installed mirrorvm).
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "xml-plugin.h"

#ifndef XML_PLUGIN_NAME
#define XML_PLUGIN_NAME "mirrorvm-xml.so"
#endif

static const struct xml_plugin *loaded;

static void *try_open(const char *path, char *why, size_t len)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (!h && (!why[0] || access(path, F_OK) == 0))
		snprintf(why, len, "%s", dlerror());
	return h;
}

static const struct xml_plugin *plugin(struct err *e)
{
	char exe[PATH_MAX], path[PATH_MAX + 64], why[512] = "";
	const char *env = getenv("MIRRORVM_XML_PLUGIN");
	const struct xml_plugin *p;
	void *h = NULL;
	ssize_t n;

	if (loaded)
		return loaded;
	if (env && *env) {
		h = try_open(env, why, sizeof(why));
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n > 0) {
			exe[n] = '\0';
			*strrchr(exe, '/') = '\0';
			snprintf(path, sizeof(path), "%s/" XML_PLUGIN_NAME, exe);
			h = try_open(path, why, sizeof(why));
			if (!h) {
				snprintf(path, sizeof(path), "%s/../lib/mirrorvm/" XML_PLUGIN_NAME, exe);
				h = try_open(path, why, sizeof(why));
			}
		}
	}
	if (!h) {
		err_set(e, "the libvirt XML support (" XML_PLUGIN_NAME ") cannot be loaded: %s",
			why[0] ? why : "not found next to mirrorvm or in ../lib/mirrorvm/");
		return NULL;
	}
	p = dlsym(h, XML_PLUGIN_SYMBOL);
	if (!p || strcmp(p->version, MIRRORVM_VERSION) || p->spec_size != sizeof(struct vm_spec) ||
	    p->layout_size != sizeof(struct layout)) {
		err_set(e, XML_PLUGIN_NAME " is not from this build of mirrorvm %s", MIRRORVM_VERSION);
		dlclose(h);
		return NULL;
	}
	loaded = p;
	return p;
}

int cmd_xml2args(int argc, char **argv)
{
	const struct xml_plugin *p;
	struct err e;

	p = plugin(&e);
	if (!p) {
		fprintf(stderr, "mirrorvm: xml2args: %s\n", e.msg);
		return 1;
	}
	return p->xml2args(argc, argv);
}

int cmd_args2xml(int argc, char **argv)
{
	const struct xml_plugin *p;
	struct err e;

	p = plugin(&e);
	if (!p) {
		fprintf(stderr, "mirrorvm: args2xml: %s\n", e.msg);
		return 1;
	}
	return p->args2xml(argc, argv);
}

int domain_xml__run_loader(const char *path, struct vm_spec *spec, struct err *e)
{
	const struct xml_plugin *p = plugin(e);
	struct err sub;

	if (!p) {
		err_set(&sub, "%s", e->msg);
		return err_set(e, "--domain-xml %s: %s", path, sub.msg);
	}
	return p->load_spec(path, spec, e);
}
