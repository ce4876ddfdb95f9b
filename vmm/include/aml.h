/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_AML_H
#define MIRRORVM_AML_H

#include "util.h"

/*
 * A tiny AML encoder (ACPI 6.5 chapter 20).  Each builder returns a node;
 * aml_append() moves a finished child into its parent's body, so package
 * lengths are computed once, when the parent is serialised, never by hand.
 */
struct aml {
	u8 *body;
	size_t len;
	size_t cap;
	u8 op[2];		/* opcode of a PkgLength-carrying term */
	u8 op_len;		/* 0: raw bytes, no PkgLength */
};

struct aml *aml_raw(void);
struct aml *aml_scope(const char *name);	/* DefScope, 20.2.5.1 */
struct aml *aml_device(const char *name);	/* DefDevice, 20.2.5.2 */
struct aml *aml_name(const char *name, struct aml *value); /* DefName, 20.2.5.1 */
struct aml *aml_int(u64 v);			/* ComputationalData, 20.2.3 */
struct aml *aml_string(const char *s);		/* String, 20.2.3 */
struct aml *aml_eisaid(const char *id);		/* EisaId("PNP0501") macro, 19.6.35 */
struct aml *aml_package(unsigned int count);	/* DefPackage, 20.2.5.4 */
/* ResourceTemplate (19.3.3): a Buffer of descriptors closed by an end tag. */
struct aml *aml_resource_template(void);
void aml_res_io(struct aml *rt, u16 port, u8 len);	/* IO(Decode16,...), 6.4.2.5 */
void aml_res_irq(struct aml *rt, u8 irq);	/* IRQNoFlags, 6.4.2.1 */
struct aml *aml_resource_end(struct aml *rt);

/* Moves @child into @parent (freeing @child); returns @parent. */
struct aml *aml_append(struct aml *parent, struct aml *child);
/* Serialises @a (with its PkgLength) into a fresh raw node and frees @a. */
struct aml *aml_finish(struct aml *a);
void aml_free(struct aml *a);

#endif
