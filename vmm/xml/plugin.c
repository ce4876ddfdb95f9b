// SPDX-License-Identifier: GPL-2.0
/* What the XML plugin offers mirrorvm (xml-plugin.h): its one exported symbol. */
#include "util.h"
#include "xml-plugin.h"

__attribute__((visibility("default")))
const struct xml_plugin mirrorvm_xml_plugin = {
	.version = MIRRORVM_VERSION,
	.spec_size = sizeof(struct vm_spec),
	.layout_size = sizeof(struct layout),
	.xml2args = xml_cmd_xml2args,
	.args2xml = xml_cmd_args2xml,
	.load_spec = xml_load_run_spec,
};
