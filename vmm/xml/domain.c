// SPDX-License-Identifier: GPL-2.0
/*
 * libvirt domain XML -> struct domain.  Only what shapes the guest's memory,
 * CPUs and boot is read; every other part is named in d->ignored so that the
 * caller can list it.  Anything that would change the guest's memory and
 * cannot be honoured is an error naming the element (PATH:LINE: ...).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "domain-xml.h"

struct pctx {
	const char *path;
	struct domain *d;
	struct err *e;
	xmlParserCtxtPtr ctxt;
	struct host_needs *needs;	/* domain__host_needs() only */
	xmlChar **pool;		/* strings handed out by attr()/text() */
	size_t nr_pool, cap_pool;
	bool oom;
	int doctype_line;	/* where a <!DOCTYPE stopped the parser */
	/* The first error libxml2 reported, parsing or later. */
	bool xml_failed;
	int xml_line;
	char xml_msg[256];
	bool have_cells;	/* <cpu><numa> seen */
	int have_cpu;
	xmlNode *memory_el, *current_el, *numa_el;
};

static int fail(struct pctx *p, xmlNode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct pctx *p, xmlNode *n, const char *fmt, ...)
{
	struct err sub;
	va_list ap;

	va_start(ap, fmt);
	err_vset(&sub, fmt, ap);
	va_end(ap);
	if (n)
		return err_set(p->e, "%s:%ld: %s", p->path, xmlGetLineNo(n), sub.msg);
	return err_set(p->e, "%s: %s", p->path, sub.msg);
}

/*
 * Pools @s, a string libxml2 allocated, until the parse ends.  NULL means
 * the allocation failed: the parse goes on with "" so that no caller needs
 * a special case, and p->oom makes "out of memory" its only outcome.
 */
static const char *keep(struct pctx *p, xmlChar *s)
{
	if (!s) {
		p->oom = true;
		return "";
	}
	if (p->nr_pool == p->cap_pool) {
		size_t cap = p->cap_pool ? 2 * p->cap_pool : 32;
		xmlChar **np = xml__realloc(p->pool, cap * sizeof(*np));

		if (!np) {
			xmlFree(s);
			p->oom = true;
			return "";
		}
		p->pool = np;
		p->cap_pool = cap;
	}
	p->pool[p->nr_pool++] = s;
	return (const char *)s;
}

/*
 * An attribute without namespace, or NULL when there is none; valid until
 * the parse ends.  xmlGetNoNsProp() alone returns NULL for a missing
 * attribute and for a failed allocation alike.
 */
static const char *attr(struct pctx *p, xmlNode *n, const char *name)
{
	if (!xmlHasNsProp(n, BAD_CAST name, NULL))
		return NULL;
	return keep(p, xmlGetNoNsProp(n, BAD_CAST name));
}

/* The text of an element (never NULL); valid until the parse ends. */
static const char *text(struct pctx *p, xmlNode *n)
{
	return keep(p, xmlNodeGetContent(n));
}

static bool is(xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !n->ns && !strcmp((const char *)n->name, name);
}

static xmlNode *element_from(xmlNode *n)
{
	while (n && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

#define for_each_element(c, n) \
	for ((c) = element_from((n)->children); (c); (c) = element_from((c)->next))

static const char *ename(xmlNode *n, char buf[128])
{
	if (n->ns && n->ns->prefix)
		snprintf(buf, 128, "%s:%s", n->ns->prefix, n->name);
	else
		snprintf(buf, 128, "%s", n->name);
	return buf;
}

/* Records a part that does not change the guest's memory, once. */
static void ignore(struct pctx *p, const char *what)
{
	char *s = p->d->ignored;
	size_t n = strlen(what), len = strlen(s);
	const char *q;

	for (q = s; (q = strstr(q, what)); q += n)
		if ((q == s || q[-1] == ' ') && (q[n] == ',' || !q[n]))
			return;
	if (len + n + 3 >= sizeof(p->d->ignored))
		return;
	snprintf(s + len, sizeof(p->d->ignored) - len, "%s%s", len ? ", " : "", what);
}

static void ignore_el(struct pctx *p, const char *parent, xmlNode *n)
{
	char buf[128], what[200];

	snprintf(what, sizeof(what), "%s%s%s", parent, *parent ? "/" : "", ename(n, buf));
	ignore(p, what);
}

/* Every attribute of @n must be in the NULL-terminated @ok list. */
static int only_attrs(struct pctx *p, xmlNode *n, const char *const *ok)
{
	xmlAttr *a;
	char buf[128];
	int i;

	for (a = n->properties; a; a = a->next) {
		for (i = 0; ok[i]; i++)
			if (!a->ns && !strcmp((const char *)a->name, ok[i]))
				break;
		if (!ok[i])
			return fail(p, n, "<%s>: unknown attribute '%s%s%s'", ename(n, buf),
				    a->ns && a->ns->prefix ? (const char *)a->ns->prefix : "",
				    a->ns && a->ns->prefix ? ":" : "", a->name);
	}
	return 0;
}

/* A plain decimal number, surrounding blanks allowed. */
static int parse_dec(const char *s, u64 *out)
{
	u64 v = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (~0ULL - (*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (*s - '0');
	}
	while (isspace((unsigned char)*s))
		s++;
	if (*s)
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * libvirt's units (virScaleInteger): b, byte, bytes; k, KiB = 1024;
 * KB = 1000; likewise M, G, T, P, E; case-insensitive; default KiB.
 */
static int unit_scale(const char *unit, u64 *scale)
{
	static const char powers[] = "kmgtpe";
	const char *pw;
	u64 base, s = 1;

	if (!unit) {
		*scale = 1024;
		return 0;
	}
	if (!strcasecmp(unit, "b") || !strcasecmp(unit, "byte") ||
	    !strcasecmp(unit, "bytes")) {
		*scale = 1;
		return 0;
	}
	if (!*unit || !(pw = strchr(powers, tolower((unsigned char)unit[0]))))
		return -EINVAL;
	if (!unit[1] || !strcasecmp(unit + 1, "iB"))
		base = 1024;
	else if (tolower((unsigned char)unit[1]) == 'b' && !unit[2])
		base = 1000;
	else
		return -EINVAL;
	for (; pw >= powers; pw--)
		s *= base;
	*scale = s;
	return 0;
}

/* "@what" is how messages name the value, e.g. "<memory>". */
static int scaled(struct pctx *p, xmlNode *n, const char *what, const char *val,
		  const char *unit, u64 *out)
{
	u64 v, scale;
	int ret;

	if (unit_scale(unit, &scale))
		return fail(p, n, "%s: unknown unit '%s' (libvirt units: b, KB, KiB, MB, MiB, GB, GiB, TB, TiB, ...)",
			    what, unit);
	ret = parse_dec(val, &v);
	if (ret == -ERANGE)
		return fail(p, n, "%s: '%s' overflows 64 bits", what, val);
	if (ret)
		return fail(p, n, "%s: '%s' is not a decimal number", what, val);
	if (scale > 1 && v > ~0ULL / scale)
		return fail(p, n, "%s: %s %s overflows 64 bits of bytes", what, val,
			    unit ? unit : "KiB");
	*out = v * scale;
	return 0;
}

static int set_id(const char **s, unsigned int limit, const char *noun, unsigned long *id,
		  struct err *e)
{
	const char *start = *s;
	unsigned long v = 0;

	for (; isdigit((unsigned char)**s); (*s)++) {
		v = v * 10 + (**s - '0');
		if (v >= limit)
			return err_set(e, "%s %.*s%s: %s numbers are below %u", noun,
				       (int)MIN(strspn(start, "0123456789"), 20), start,
				       strspn(start, "0123456789") > 20 ? "..." : "", noun, limit);
	}
	*id = v;
	return 0;
}

static const char *skip_blanks(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/*
 * A libvirt id set (cpuset, nodeset) as virBitmapParse() reads it:
 * comma-separated N, N-M and ^N (which takes N out again), blanks around
 * each, decimal (08 is 8), every id below @limit.  Stricter where libvirt
 * never writes otherwise: no trailing comma, and the set must name an id.
 */
static int parse_libvirt_set(const char *s, unsigned int limit, const char *noun,
			     struct idset *set, struct err *e)
{
	const char *p = skip_blanks(s);
	unsigned long a, b;

	memset(set, 0, sizeof(*set));
	if (!*p)
		return err_set(e, "empty set");
	for (;;) {
		bool neg = *p == '^';

		p += neg;
		if (!isdigit((unsigned char)*p))
			return err_set(e, "expected a %s number at '%s'", noun, p);
		if (set_id(&p, limit, noun, &a, e))
			return -EINVAL;
		p = skip_blanks(p);
		b = a;
		if (*p == '-') {
			if (neg)
				return err_set(e, "'^' takes out one %s, not a range", noun);
			p = skip_blanks(p + 1);
			if (!isdigit((unsigned char)*p))
				return err_set(e, "expected a %s number at '%s'", noun, p);
			if (set_id(&p, limit, noun, &b, e))
				return -EINVAL;
			if (b < a)
				return err_set(e, "range %lu-%lu is backwards", a, b);
			p = skip_blanks(p);
		}
		for (; a <= b; a++) {
			if (neg)
				set->w[a / 64] &= ~(1ULL << (a % 64));
			else
				idset_add(set, a);
		}
		if (!*p)
			break;
		if (*p != ',')
			return err_set(e, "unexpected '%c'", *p);
		p = skip_blanks(p + 1);
		if (!*p)
			return err_set(e, "trailing comma");
	}
	if (idset_empty(set))
		return err_set(e, "names no %s", noun);
	return 0;
}

static int parse_nodeset(const char *s, struct idset *set, struct err *e)
{
	return parse_libvirt_set(s, IDSET_MAX, "host node", set, e);
}

static int parse_list(struct pctx *p, xmlNode *n, const char *what, const char *val,
		      unsigned int limit, const char *noun, struct idset *set)
{
	struct err sub;

	if (parse_libvirt_set(val, limit, noun, set, &sub))
		return fail(p, n, "%s: '%s': %s", what, val, sub.msg);
	return 0;
}

/* Guest cell @id exists (or is the implicit node 0 of a domain without cells). */
static bool cell_exists(struct pctx *p, unsigned int id)
{
	return id < MAX_NODES && (p->d->nr_cells ? id < p->d->nr_cells : id == 0);
}

/* ---- <cpu><numa> ---- */

static int parse_distances(struct pctx *p, xmlNode *dist, unsigned int id)
{
	xmlNode *s;
	u64 to, val;

	for_each_element(s, dist) {
		const char *sid = attr(p, s, "id"), *sval = attr(p, s, "value");

		if (!is(s, "sibling") || !sid || !sval || parse_dec(sid, &to) ||
		    parse_dec(sval, &val) || val != (to == id ? 10 : 20)) {
			ignore(p, "cpu/numa/cell/distances (mirrorvm's SLIT says 10 local, 20 remote)");
			return 0;
		}
	}
	return 0;
}

static int parse_cell(struct pctx *p, xmlNode *n, unsigned int index, unsigned int count)
{
	static const char *const ok[] = { "id", "cpus", "memory", "unit", "memAccess",
					   "discard", NULL };
	const char *sid = attr(p, n, "id"), *cpus = attr(p, n, "cpus");
	const char *mem = attr(p, n, "memory"), *unit = attr(p, n, "unit");
	struct dom_cell *c;
	xmlNode *ch;
	u64 id = index;
	int ret;

	if ((ret = only_attrs(p, n, ok)))
		return ret;
	if (sid && parse_dec(sid, &id))
		return fail(p, n, "<cell id='%s'>: not a cell number", sid);
	if (id >= count)
		return fail(p, n, "<cell id='%llu'>: cell ids must run from 0 to %u, one <cell> each (libvirt's rule)",
			    (unsigned long long)id, count - 1);
	c = &p->d->cells[id];
	if (c->line)
		return fail(p, n, "<cell id='%llu'>: duplicate cell id (first at line %d)",
			    (unsigned long long)id, c->line);
	c->id = id;
	c->line = xmlGetLineNo(n) > 0 ? xmlGetLineNo(n) : 1;
	if (!mem)
		return fail(p, n, "<cell id='%llu'>: no memory= attribute",
			    (unsigned long long)id);
	if ((ret = scaled(p, n, "<cell memory=>", mem, unit, &c->size)))
		return ret;
	if (cpus && *cpus) {
		if ((ret = parse_list(p, n, "<cell cpus=>", cpus, MAX_CPUS, "CPU", &c->cpus)))
			return ret;
		c->has_cpus = true;
	}
	if (attr(p, n, "memAccess"))
		ignore(p, "cpu/numa/cell@memAccess");
	if (attr(p, n, "discard"))
		ignore(p, "cpu/numa/cell@discard");
	for_each_element(ch, n) {
		if (is(ch, "distances"))
			parse_distances(p, ch, id);
		else
			ignore_el(p, "cpu/numa/cell", ch);
	}
	return 0;
}

static int parse_cpu(struct pctx *p, xmlNode *cpu)
{
	xmlNode *c, *numa = NULL, *cell;
	unsigned int count = 0, i = 0;
	int ret;

	if (attr(p, cpu, "mode"))
		ignore(p, "cpu@mode");
	for_each_element(c, cpu) {
		if (!is(c, "numa")) {
			ignore_el(p, "cpu", c);
			continue;
		}
		if (numa)
			return fail(p, c, "<cpu>: a second <numa>");
		numa = c;
	}
	if (!numa)
		return 0;
	for_each_element(cell, numa) {
		if (is(cell, "cell"))
			count++;
		else
			ignore_el(p, "cpu/numa", cell);
	}
	if (!count)
		return fail(p, numa, "<numa> without <cell>");
	if (count > MAX_NODES)
		return fail(p, numa, "<numa>: %u cells, mirrorvm offers at most %d", count,
			    MAX_NODES);
	p->d->nr_cells = count;
	p->have_cells = true;
	p->numa_el = numa;
	for_each_element(cell, numa) {
		if (!is(cell, "cell"))
			continue;
		if ((ret = parse_cell(p, cell, i++, count)))
			return ret;
	}
	return 0;
}

/* ---- <memory>, <currentMemory>, <vcpu> ---- */

static int parse_memory(struct pctx *p, xmlNode *n, u64 *out, const char *what)
{
	static const char *const ok[] = { "unit", "dumpCore", NULL };
	int ret;

	if ((ret = only_attrs(p, n, ok)))
		return ret;
	if (attr(p, n, "dumpCore"))
		ignore(p, "memory@dumpCore");
	return scaled(p, n, what, text(p, n), attr(p, n, "unit"), out);
}

static int parse_vcpu(struct pctx *p, xmlNode *n)
{
	const char *cur = attr(p, n, "current"), *pl = attr(p, n, "placement");
	u64 v, c;

	if (parse_dec(text(p, n), &v) || v < 1 || v > MAX_CPUS)
		return fail(p, n, "<vcpu>%s</vcpu>: mirrorvm offers 1 to %d vCPUs", text(p, n),
			    MAX_CPUS);
	if (cur && (parse_dec(cur, &c) || c != v))
		return fail(p, n, "<vcpu current='%s'>: mirrorvm has no vCPU hotplug, it would start all %llu vCPUs",
			    cur, (unsigned long long)v);
	if (attr(p, n, "cpuset"))
		ignore(p, "vcpu@cpuset");
	if (pl && strcmp(pl, "static"))
		ignore(p, "vcpu@placement");
	p->d->has_vcpu = true;
	p->d->vcpus = v;
	return 0;
}

static int parse_vcpus(struct pctx *p, xmlNode *n)
{
	xmlNode *c;

	for_each_element(c, n) {
		const char *en = attr(p, c, "enabled");

		if (en && !strcmp(en, "no"))
			return fail(p, c, "<vcpus><vcpu enabled='no'>: mirrorvm has no vCPU hotplug");
	}
	ignore(p, "vcpus");
	return 0;
}

/* ---- <os> ---- */

/*
 * The length of the UTF-8 sequence at @s, with its code point in @cp, or 0
 * when it is not valid UTF-8 (overlong, a surrogate, beyond U+10FFFF, cut).
 */
static size_t utf8_char(const unsigned char *s, u32 *cp)
{
	size_t n, i;
	u32 c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

int domain__check_text(const char *what, const char *v, struct err *e)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t off, n;
	u32 c;

	for (off = 0; s[off]; off += n) {
		n = utf8_char(s + off, &c);
		if (!n)
			return err_set(e, "%s is not UTF-8 (byte 0x%02x at offset %zu), which XML cannot carry",
				       what, s[off], off);
		if (c == '\n')
			return err_set(e, "%s contains a newline, which the one-flag-per-line output cannot carry",
				       what);
		if (c == '\r')
			return err_set(e, "%s contains a carriage return (offset %zu): a value holds no line breaks, and XML reads a literal one back as a newline",
				       what, off);
		if (c < 0x20 && c != '\t')
			return err_set(e, "%s contains the control character 0x%02x (offset %zu), which XML cannot carry",
				       what, c, off);
		if (c == 0xfffe || c == 0xffff)
			return err_set(e, "%s contains U+%04X (offset %zu), which is not an XML character",
				       what, c, off);
	}
	return 0;
}

static int dup_text(struct pctx *p, xmlNode *n, char **out)
{
	const char *t = text(p, n);
	char what[32];
	struct err sub;

	if (*out)
		return fail(p, n, "<os>: a second <%s>", n->name);
	snprintf(what, sizeof(what), "<os><%s>", n->name);
	if (domain__check_text(what, t, &sub))
		return fail(p, n, "%s", sub.msg);
	*out = xml__strdup(t);
	if (!*out)
		return fail(p, n, "out of memory");
	return 0;
}

static int parse_os(struct pctx *p, xmlNode *os)
{
	xmlNode *c;
	int ret;

	if (attr(p, os, "firmware"))
		ignore(p, "os@firmware");
	for_each_element(c, os) {
		if (is(c, "type")) {
			const char *arch = attr(p, c, "arch"), *t = text(p, c);

			if (strcmp(t, "hvm"))
				return fail(p, c, "<os><type>%s</type>: mirrorvm runs hvm guests only",
					    t);
			if (arch && strcmp(arch, "x86_64"))
				return fail(p, c, "<type arch='%s'>: mirrorvm runs x86_64 guests only",
					    arch);
			if (attr(p, c, "machine"))
				ignore(p, "os/type@machine");
		} else if (is(c, "kernel")) {
			if ((ret = dup_text(p, c, &p->d->kernel)))
				return ret;
		} else if (is(c, "initrd")) {
			if ((ret = dup_text(p, c, &p->d->initrd)))
				return ret;
		} else if (is(c, "cmdline")) {
			if ((ret = dup_text(p, c, &p->d->cmdline)))
				return ret;
		} else {
			ignore_el(p, "os", c);
		}
	}
	return 0;
}

/* ---- <numatune> ---- */

static int parse_mode(struct pctx *p, xmlNode *n, enum mem_policy *pol)
{
	const char *mode = attr(p, n, "mode");

	if (!mode || !strcmp(mode, "strict"))
		*pol = POLICY_BIND;
	else if (!strcmp(mode, "preferred"))
		*pol = POLICY_PREFERRED;
	else if (!strcmp(mode, "interleave"))
		*pol = POLICY_INTERLEAVE;
	else if (!strcmp(mode, "restrictive"))
		return fail(p, n, "<%s mode='restrictive'>: restrictive only narrows the cgroup's cpuset.mems and leaves the default memory policy; mbind() has no equivalent, use strict, preferred or interleave",
			    n->name);
	else
		return fail(p, n, "<%s mode='%s'>: expected strict, preferred or interleave",
			    n->name, mode);
	return 0;
}

static int parse_numatune(struct pctx *p, xmlNode *nt)
{
	struct domain *d = p->d;
	xmlNode *c;
	int ret;

	for_each_element(c, nt) {
		const char *nodeset = attr(p, c, "nodeset"), *pl = attr(p, c, "placement");

		if (is(c, "memory")) {
			if (d->has_numa_memory)
				return fail(p, c, "<numatune>: a second <memory>");
			if (pl && !strcmp(pl, "auto"))
				return fail(p, c, "<numatune><memory placement='auto'>: mirrorvm does not ask numad for a placement; give nodeset=");
			if (!nodeset)
				return fail(p, c, "<numatune><memory>: no nodeset=");
			if ((ret = parse_mode(p, c, &d->numa_policy)) ||
			    (ret = parse_list(p, c, "<numatune><memory nodeset=>", nodeset,
					      IDSET_MAX, "host node", &d->numa_nodes)))
				return ret;
			d->has_numa_memory = true;
			d->numa_line = xmlGetLineNo(c);
		} else if (is(c, "memnode")) {
			const char *cid = attr(p, c, "cellid");
			struct dom_cell *cell;
			u64 id;

			if (!cid || parse_dec(cid, &id))
				return fail(p, c, "<memnode>: cellid='%s' is not a number",
					    cid ? cid : "");
			if (!p->have_cells || !cell_exists(p, id))
				return fail(p, c, "<memnode cellid='%s'>: no such <cpu><numa><cell>",
					    cid);
			cell = &d->cells[id];
			if (cell->has_memnode)
				return fail(p, c, "<memnode cellid='%s'>: given twice", cid);
			if (!nodeset)
				return fail(p, c, "<memnode cellid='%s'>: no nodeset=", cid);
			if ((ret = parse_mode(p, c, &cell->memnode_policy)) ||
			    (ret = parse_list(p, c, "<memnode nodeset=>", nodeset, IDSET_MAX, "host node",
					      &cell->memnode_nodes)))
				return ret;
			cell->has_memnode = true;
		} else {
			return fail(p, c, "<numatune>: unknown <%s>", c->name);
		}
	}
	return 0;
}

/* ---- <memoryBacking> ---- */

static int parse_hugepages(struct pctx *p, xmlNode *hp)
{
	struct domain *d = p->d;
	unsigned int i, k, any = 0;
	xmlNode *c;
	int ret;

	d->hugepages = true;
	for_each_element(c, hp) {
		const char *size = attr(p, c, "size"), *ns = attr(p, c, "nodeset");
		struct dom_page *pg;

		if (!is(c, "page"))
			return fail(p, c, "<hugepages>: unknown <%s>", c->name);
		if (d->nr_pages == DOM_MAX_PAGES)
			return fail(p, c, "<hugepages>: too many <page>");
		pg = &d->pages[d->nr_pages];
		pg->line = xmlGetLineNo(c);
		if (!size)
			return fail(p, c, "<page>: no size=");
		if ((ret = scaled(p, c, "<page size=>", size, attr(p, c, "unit"), &pg->size)))
			return ret;
		if (pg->size != SZ_4K && pg->size != SZ_2M && pg->size != SZ_1G)
			return fail(p, c, "<page size='%s'>: mirrorvm backs guest RAM with 4 KiB pages, 2 MiB or 1 GiB huge pages",
				    size);
		if (ns) {
			if ((ret = parse_list(p, c, "<page nodeset=>", ns, MAX_NODES, "cell", &pg->nodeset)))
				return ret;
			for (i = 0; i < MAX_NODES; i++)
				if (idset_has(&pg->nodeset, i) && !cell_exists(p, i))
					return fail(p, c, "<page nodeset='%s'>: there is no guest cell %u",
						    ns, i);
			for (k = 0; k < d->nr_pages; k++) {
				struct idset both;

				if (!d->pages[k].has_nodeset)
					continue;
				for (i = 0; i < ARRAY_SIZE(both.w); i++)
					both.w[i] = pg->nodeset.w[i] & d->pages[k].nodeset.w[i];
				if (!idset_empty(&both))
					return fail(p, c, "<page nodeset='%s'>: cell %d already has a page size (line %d)",
						    ns, idset_last(&both), d->pages[k].line);
			}
			pg->has_nodeset = true;
		} else if (any++) {
			return fail(p, c, "<hugepages>: more than one <page> without nodeset=");
		}
		d->nr_pages++;
	}
	return 0;
}

static int parse_backing(struct pctx *p, xmlNode *mb)
{
	struct domain *d = p->d;
	xmlNode *c;
	int ret;

	for_each_element(c, mb) {
		if (is(c, "hugepages")) {
			if (d->hugepages)
				return fail(p, c, "<memoryBacking>: a second <hugepages>");
			if ((ret = parse_hugepages(p, c)))
				return ret;
		} else if (is(c, "source")) {
			const char *t = attr(p, c, "type");

			if (t && !strcmp(t, "anonymous")) {
				d->source = BACKING_ANON;
			} else if (t && !strcmp(t, "memfd")) {
				d->source = BACKING_MEMFD;
			} else if (t && !strcmp(t, "file")) {
				return fail(p, c, "<source type='file'>: mirrorvm backs guest RAM with anonymous memory, memfd or hugetlbfs, never a file");
			} else {
				return fail(p, c, "<source type='%s'>: expected anonymous or memfd",
					    t ? t : "");
			}
			d->has_source = true;
		} else if (is(c, "allocation")) {
			const char *m = attr(p, c, "mode");

			if (m && !strcmp(m, "immediate"))
				d->prefault = true;
			else if (m && !strcmp(m, "ondemand"))
				d->prefault = false;
			else if (m)
				return fail(p, c, "<allocation mode='%s'>: expected immediate or ondemand",
					    m);
			d->has_allocation = m != NULL;
			if (attr(p, c, "threads"))
				ignore(p, "memoryBacking/allocation@threads");
		} else if (is(c, "locked")) {
			return fail(p, c, "<memoryBacking><locked/>: mirrorvm does not mlock guest RAM, so it cannot promise it never swaps; drop <locked/> (<allocation mode='immediate'/> prefaults)");
		} else if (is(c, "nosharepages") || is(c, "access") || is(c, "discard")) {
			ignore_el(p, "memoryBacking", c);
		} else {
			return fail(p, c, "<memoryBacking>: unknown <%s>", c->name);
		}
	}
	return 0;
}

/* ---- <devices> ---- */

static int parse_devices(struct pctx *p, xmlNode *devs)
{
	xmlNode *c;

	for_each_element(c, devs) {
		if (is(c, "memory")) {
			const char *model = attr(p, c, "model");

			return fail(p, c, "<devices><memory model='%s'>: mirrorvm has no memory devices (DIMM, NVDIMM, virtio-mem, virtio-pmem); give the RAM to a <cell>, with <mirrorvm:cell hotplug='yes'/> for a Hot Pluggable node",
				    model ? model : "");
		}
		if (is(c, "memballoon")) {
			const char *model = attr(p, c, "model");

			if (model && !strcmp(model, "none"))
				continue;
		}
		ignore_el(p, "devices", c);
	}
	return 0;
}

/* ---- <metadata><mirrorvm:domain> ---- */

static bool ours(xmlNs *ns)
{
	return ns && ns->href && !strcmp((const char *)ns->href, MIRRORVM_XMLNS);
}

/* Looks like ours but is not: prefix mirrorvm or a mirrorvm.dev URI. */
static bool lookalike(xmlNs *ns)
{
	return ns && !ours(ns) &&
	       ((ns->prefix && !strcmp((const char *)ns->prefix, MIRRORVM_XMLNS_PREFIX)) ||
		(ns->href && strstr((const char *)ns->href, "mirrorvm")));
}

static int yesno(struct pctx *p, xmlNode *n, const char *name, bool *has, bool *v)
{
	const char *s = attr(p, n, name);

	if (!s)
		return 0;
	if (!strcmp(s, "yes"))
		*v = true;
	else if (!strcmp(s, "no"))
		*v = false;
	else
		return fail(p, n, "<mirrorvm:cell %s='%s'>: expected yes or no", name, s);
	*has = true;
	return 0;
}

static int parse_meta_cell(struct pctx *p, xmlNode *n)
{
	static const char *const ok[] = { "id", "reliable", "hotplug", "unplug-unit", "unit", NULL };
	const char *sid = attr(p, n, "id"), *uu = attr(p, n, "unplug-unit");
	const char *unit = attr(p, n, "unit");
	struct dom_cell *c;
	u64 id;
	int ret;

	if ((ret = only_attrs(p, n, ok)))
		return ret;
	if (!sid)
		return fail(p, n, "<mirrorvm:cell>: no id=");
	if (parse_dec(sid, &id))
		return fail(p, n, "<mirrorvm:cell id='%s'>: not a cell number", sid);
	if (!cell_exists(p, id))
		return fail(p, n, "<mirrorvm:cell id='%s'>: the domain has no such <cpu><numa><cell>%s",
			    sid, p->d->nr_cells ? "" : " (without cells, only id='0', the whole guest)");
	c = &p->d->cells[id];
	if (c->in_metadata)
		return fail(p, n, "<mirrorvm:cell id='%s'>: given twice", sid);
	c->in_metadata = true;
	if ((ret = yesno(p, n, "reliable", &c->has_reliable, &c->reliable)) ||
	    (ret = yesno(p, n, "hotplug", &c->has_hotplug, &c->hotplug)))
		return ret;
	if (unit && !uu)
		return fail(p, n, "<mirrorvm:cell id='%s' unit='%s'>: unit= is the unit of unplug-unit=, which is not given",
			    sid, unit);
	if (uu) {
		/*
		 * Checked against the guest's memory block size and the
		 * cell's RAM by the layout, as --node unplug-unit= is.
		 */
		if ((ret = scaled(p, n, "<mirrorvm:cell unplug-unit=>", uu, unit, &c->unplug_unit)))
			return ret;
		if (!c->unplug_unit)
			return fail(p, n, "<mirrorvm:cell id='%s' unplug-unit='%s'>: must not be 0", sid, uu);
		c->has_unplug_unit = true;
	}
	return 0;
}

/* start= is a guest-physical byte address: decimal or 0x hex. */
static int parse_addr(const char *s, u64 *out)
{
	u64 v = 0;
	int d;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return parse_dec(s, out);
	if (!s[2])
		return -EINVAL;
	for (s += 2; *s; s++) {
		if (!isxdigit((unsigned char)*s))
			return -EINVAL;
		if (v >> 60)
			return -ERANGE;
		d = isdigit((unsigned char)*s) ? *s - '0' : tolower((unsigned char)*s) - 'a' + 10;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

static int parse_meta_mirror(struct pctx *p, xmlNode *n)
{
	static const char *const ok[] = { "start", "size", "unit", NULL };
	const char *start = attr(p, n, "start"), *size = attr(p, n, "size");
	struct addr_range *m;
	int ret;

	if ((ret = only_attrs(p, n, ok)))
		return ret;
	if (!start || !size)
		return fail(p, n, "<mirrorvm:mirror>: needs start= and size=");
	if (p->d->nr_mirrors == MAX_RELIABLE)
		return fail(p, n, "<mirrorvm:mirror>: more than %d ranges", MAX_RELIABLE);
	m = &p->d->mirrors[p->d->nr_mirrors];
	ret = parse_addr(start, &m->start);
	if (ret == -ERANGE)
		return fail(p, n, "<mirrorvm:mirror start='%s'>: overflows 64 bits", start);
	if (ret)
		return fail(p, n, "<mirrorvm:mirror start='%s'>: expected a byte address, decimal or 0x hex",
			    start);
	if ((ret = scaled(p, n, "<mirrorvm:mirror size=>", size, attr(p, n, "unit"), &m->size)))
		return ret;
	if (!m->size)
		return fail(p, n, "<mirrorvm:mirror size='%s'>: empty range", size);
	if (m->start + m->size < m->start)
		return fail(p, n, "<mirrorvm:mirror start='%s' size='%s'>: the range wraps around 64 bits",
			    start, size);
	p->d->nr_mirrors++;
	return 0;
}

static int parse_meta_host_mirror(struct pctx *p, xmlNode *n)
{
	static const char *const ok[] = { "policy", NULL };
	const char *pol = attr(p, n, "policy");
	int ret;

	if ((ret = only_attrs(p, n, ok)))
		return ret;
	if (p->d->has_host_mirror)
		return fail(p, n, "<mirrorvm:host-mirror>: given twice");
	if (!pol)
		return fail(p, n, "<mirrorvm:host-mirror>: no policy=");
	if (!strcmp(pol, "preferred"))
		p->d->host_mirror = HOST_MIRROR_PREFERRED;
	else if (!strcmp(pol, "required"))
		p->d->host_mirror = HOST_MIRROR_REQUIRED;
	else if (!strcmp(pol, "off"))
		p->d->host_mirror = HOST_MIRROR_OFF;
	else
		return fail(p, n, "<mirrorvm:host-mirror policy='%s'>: expected preferred, required or off",
			    pol);
	p->d->has_host_mirror = true;
	return 0;
}

static int parse_meta_domain(struct pctx *p, xmlNode *dom)
{
	static const char *const none[] = { NULL };
	char buf[128];
	xmlNode *c;
	int ret;

	if ((ret = only_attrs(p, dom, none)))
		return ret;
	for (c = dom->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			const xmlChar *t = c->content;

			while (t && *t && isspace(*t))
				t++;
			if (t && *t)
				return fail(p, c, "<mirrorvm:domain>: unexpected text '%.20s'", t);
			continue;
		}
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!ours(c->ns))
			return fail(p, c, "<mirrorvm:domain>: unknown element <%s>%s", ename(c, buf),
				    c->ns ? " in a foreign namespace" : " without namespace");
		if (c->children && c->children->type == XML_ELEMENT_NODE)
			return fail(p, c, "<%s>: takes no child elements", ename(c, buf));
		if (!strcmp((const char *)c->name, "cell"))
			ret = parse_meta_cell(p, c);
		else if (!strcmp((const char *)c->name, "mirror"))
			ret = parse_meta_mirror(p, c);
		else if (!strcmp((const char *)c->name, "host-mirror"))
			ret = parse_meta_host_mirror(p, c);
		else
			ret = fail(p, c, "unknown element <%s> in namespace %s (known: cell, mirror, host-mirror)",
				   ename(c, buf), MIRRORVM_XMLNS);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_metadata(struct pctx *p, xmlNode *md)
{
	static const char *const names[] = { "domain", "cell", "mirror", "host-mirror" };
	char buf[128];
	xmlNode *c;
	size_t i;
	int ret;

	for_each_element(c, md) {
		if (ours(c->ns)) {
			if (strcmp((const char *)c->name, "domain"))
				return fail(p, c, "<metadata>: <%s> must sit inside <%s:domain xmlns:%s='%s'>",
					    ename(c, buf), MIRRORVM_XMLNS_PREFIX,
					    MIRRORVM_XMLNS_PREFIX, MIRRORVM_XMLNS);
			if (p->d->has_metadata)
				return fail(p, c, "<metadata>: a second <%s> (libvirt keeps one element per namespace)",
					    ename(c, buf));
			p->d->has_metadata = true;
			if ((ret = parse_meta_domain(p, c)))
				return ret;
			continue;
		}
		if (lookalike(c->ns))
			return fail(p, c, "<metadata>: <%s> is in namespace '%s', mirrorvm's is '%s'",
				    ename(c, buf), c->ns->href, MIRRORVM_XMLNS);
		if (!c->ns)
			for (i = 0; i < ARRAY_SIZE(names); i++)
				if (!strcmp((const char *)c->name, names[i]))
					return fail(p, c, "<metadata>: <%s> has no namespace; mirrorvm's elements are <%s:domain xmlns:%s='%s'>",
						    c->name, MIRRORVM_XMLNS_PREFIX,
						    MIRRORVM_XMLNS_PREFIX, MIRRORVM_XMLNS);
		/* Other applications' metadata: not ours to judge. */
	}
	return 0;
}

/*
 * mirrorvm's names anywhere but <metadata>: libvirt would reject the
 * element or silently drop the attribute, so the domain would lose it.
 */
static int check_stray(struct pctx *p, xmlNode *n)
{
	char buf[128];
	xmlAttr *a;
	xmlNode *c;
	int ret;

	if (ours(n->ns) || lookalike(n->ns))
		return fail(p, n, "<%s> outside <metadata>: libvirt keeps mirrorvm's settings only in <metadata><%s:domain>",
			    ename(n, buf), MIRRORVM_XMLNS_PREFIX);
	for (a = n->properties; a; a = a->next)
		if (ours(a->ns) || lookalike(a->ns))
			return fail(p, n, "<%s %s:%s=...>: libvirt drops attributes in foreign namespaces; use <metadata><%s:domain><%s:cell id='N' .../>",
				    ename(n, buf), a->ns->prefix ? (const char *)a->ns->prefix : "",
				    a->name, MIRRORVM_XMLNS_PREFIX, MIRRORVM_XMLNS_PREFIX);
	for_each_element(c, n) {
		if (is(c, "metadata") && n->parent && n->parent->type == XML_DOCUMENT_NODE)
			continue;
		if ((ret = check_stray(p, c)))
			return ret;
	}
	return 0;
}

/* ---- the domain ---- */

static int parse_top(struct pctx *p, xmlNode *c)
{
	struct domain *d = p->d;

	if (is(c, "name") || is(c, "uuid") || is(c, "title") || is(c, "description") ||
	    is(c, "genid") || is(c, "cpu"))
		return 0;
	if (is(c, "metadata"))
		return parse_metadata(p, c);
	if (is(c, "memory")) {
		if (p->memory_el)
			return fail(p, c, "a second <memory>");
		p->memory_el = c;
		d->has_memory = true;
		return parse_memory(p, c, &d->memory, "<memory>");
	}
	if (is(c, "currentMemory")) {
		if (p->current_el)
			return fail(p, c, "a second <currentMemory>");
		p->current_el = c;
		d->has_current = true;
		return parse_memory(p, c, &d->current, "<currentMemory>");
	}
	if (is(c, "maxMemory"))
		return fail(p, c, "<maxMemory>: mirrorvm has no memory hotplug window; boot RAM of a <mirrorvm:cell hotplug='yes'/> cell is what the guest may offline");
	if (is(c, "launchSecurity"))
		return fail(p, c, "<launchSecurity>: mirrorvm cannot encrypt guest memory");
	if (is(c, "vcpu"))
		return parse_vcpu(p, c);
	if (is(c, "vcpus"))
		return parse_vcpus(p, c);
	if (is(c, "os"))
		return parse_os(p, c);
	if (is(c, "numatune"))
		return parse_numatune(p, c);
	if (is(c, "memoryBacking"))
		return parse_backing(p, c);
	if (is(c, "devices"))
		return parse_devices(p, c);
	ignore_el(p, "", c);
	return 0;
}

static int check_domain(struct pctx *p, xmlNode *root)
{
	struct domain *d = p->d;
	unsigned int i;
	u64 total = 0;
	char s[32], t[32];

	if (!d->nr_cells && !d->has_memory)
		return fail(p, root, "<domain>: no <memory> and no <cpu><numa> cells");
	for (i = 0; i < d->nr_cells; i++) {
		if (total + d->cells[i].size < total)
			return fail(p, p->numa_el, "<cpu><numa>: the cells add up to more than 64 bits of bytes");
		total += d->cells[i].size;
	}
	if (!d->nr_cells)
		total = d->memory;
	if (d->nr_cells && d->has_memory && d->memory != total)
		return fail(p, p->memory_el, "<memory> is %s but the <cpu><numa> cells add up to %s",
			    fmt_size(d->memory, s), fmt_size(total, t));
	if (d->has_current && d->current != total)
		return fail(p, p->current_el, "<currentMemory> %s differs from the guest's %s: mirrorvm has no balloon, the guest always gets all its memory",
			    fmt_size(d->current, s), fmt_size(total, t));
	if (!d->nr_cells)
		d->cells[0].size = total;
	return 0;
}

static int too_large(const char *path, struct err *e)
{
	return err_set(e, "%s: larger than %u bytes (1 MiB), the most mirrorvm reads as domain XML; libvirt's own domains are a few KiB",
		       path, DOMAIN_XML_MAX);
}

/* libxml2 2.12 made the error its structured handlers receive const. */
#if LIBXML_VERSION >= 21200
#define XML_ERROR const xmlError
#else
#define XML_ERROR xmlError
#endif

/*
 * libxml2's structured error handler while a domain is read: every error
 * libxml2 raises comes here instead of stderr, including those with no
 * parser context (encoding conversion, the tree functions), which
 * XML_PARSE_NOERROR does not silence.  The first error is what mirrorvm
 * reports; warnings are dropped.
 */
static void on_xml_error(void *data, XML_ERROR *xe)
{
	struct pctx *p = data;
	size_t n;

	if (!xe || xe->level < XML_ERR_ERROR)
		return;
	if (xe->code == XML_ERR_NO_MEMORY)
		p->oom = true;
	if (p->xml_failed)
		return;
	p->xml_failed = true;
	p->xml_line = xe->line;
	if (!p->xml_line && p->ctxt && p->ctxt->input)
		p->xml_line = p->ctxt->input->line;
	snprintf(p->xml_msg, sizeof(p->xml_msg), "%s", xe->message ? xe->message : "unknown error");
	n = strlen(p->xml_msg);
	while (n && isspace((unsigned char)p->xml_msg[n - 1]))
		p->xml_msg[--n] = '\0';
}

/* What libxml2 would print on its own (no structured error): nothing. */
static void __attribute__((format(printf, 2, 3))) on_xml_generic(void *data, const char *fmt, ...)
{
	(void)data;
	(void)fmt;
}

/*
 * SAX: "<!DOCTYPE name" was read.  libvirt domains never have a DTD, and a
 * DTD is where entities come from: a few KB of declarations that expand to
 * gigabytes, or read files and URLs.  The parser stops here, before it
 * reads a single declaration of the internal subset or loads an external
 * one.
 */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext_id,
		       const xmlChar *sys_id)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct pctx *p = ctxt->_private;

	(void)name;
	(void)ext_id;
	(void)sys_id;
	if (p && !p->doctype_line)
		p->doctype_line = ctxt->input && ctxt->input->line > 0 ? ctxt->input->line : 1;
	xmlStopParser(ctxt);
}

/*
 * The whole document, from a regular file or from stdin ("-"), at most
 * DOMAIN_XML_MAX bytes: a larger one is refused before it is parsed (a file
 * by its size, stdin once it has sent one byte more).  Anything else (a
 * FIFO, a device, a directory) is refused before a read could block:
 * O_NONBLOCK keeps the open of a FIFO without a writer from waiting.
 */
static int read_domain(const char *path, char **out, size_t *out_len, struct err *e)
{
	bool is_stdin = !strcmp(path, "-");
	size_t len = 0, cap = 65536;
	struct stat st;
	char *buf = NULL, *nb;
	int fd = 0, ret = 0;

	if (!is_stdin) {
		fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			return err_set(e, "%s: cannot read: %s", path, strerror(errno));
		if (fstat(fd, &st)) {
			ret = err_set(e, "%s: cannot read: %s", path, strerror(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			ret = err_set(e, "%s: not a regular file: mirrorvm reads a domain from a file, or from stdin with -",
				      path);
			goto out;
		}
		if (st.st_size > DOMAIN_XML_MAX) {
			ret = too_large(path, e);
			goto out;
		}
		cap = st.st_size + 1;
	}
	buf = xml__malloc(cap + 1);
	if (!buf) {
		ret = err_set(e, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			if (len > DOMAIN_XML_MAX) {
				ret = too_large(path, e);
				goto out;
			}
			cap = MIN(2 * cap, (size_t)DOMAIN_XML_MAX + 1);
			nb = xml__realloc(buf, cap + 1);
			if (!nb) {
				ret = err_set(e, "%s: out of memory", path);
				goto out;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = err_set(e, "%s: cannot read: %s", path, strerror(errno));
			goto out;
		}
		if (!n)
			break;
		len += n;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	buf = NULL;
out:
	free(buf);
	if (!is_stdin)
		close(fd);
	return ret;
}

/* The domain's elements, from the root down. */
static int parse_domain(struct pctx *p, xmlDoc *doc)
{
	xmlNode *root = xmlDocGetRootElement(doc), *c;
	const char *type;
	int ret;

	if (!root || !is(root, "domain"))
		return fail(p, root, "not a libvirt domain: the root element is <%s>, not <domain>",
			    root ? (const char *)root->name : "");
	type = attr(p, root, "type");
	if (!type || (strcmp(type, "kvm") && strcmp(type, "qemu")))
		return fail(p, root, "<domain type='%s'>: mirrorvm runs kvm or qemu domains",
			    type ? type : "");
	if ((ret = check_stray(p, root)))
		return ret;
	/* Cells first: numatune, hugepages and the metadata refer to them. */
	for_each_element(c, root) {
		if (!is(c, "cpu"))
			continue;
		if (p->have_cpu++)
			return fail(p, c, "a second <cpu>");
		if ((ret = parse_cpu(p, c)))
			return ret;
	}
	for_each_element(c, root)
		if ((ret = parse_top(p, c)))
			return ret;
	return check_domain(p, root);
}

/*
 * Reads @path and hands its tree to @walk, with libxml2's errors caught
 * (on_xml_error) and a <!DOCTYPE> refused (on_doctype).  An allocation
 * that failed anywhere makes "out of memory" the result.
 */
static int read_document(struct pctx *p, const char *path,
			 int (*walk)(struct pctx *p, xmlDoc *doc))
{
	/*
	 * Never XML_PARSE_NOENT, XML_PARSE_DTDLOAD, XML_PARSE_DTDATTR or
	 * XML_PARSE_XINCLUDE: nothing is substituted, loaded or fetched; and
	 * a <!DOCTYPE> stops the parse (on_doctype).
	 */
	int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
	xmlGenericErrorFunc old_generic = xmlGenericError;
	void *old_generic_ctx = xmlGenericErrorContext;
	xmlStructuredErrorFunc old_structured = xmlStructuredError;
	void *old_structured_ctx = xmlStructuredErrorContext;
	struct err *e = p->e;
	xmlDoc *doc = NULL;
	size_t len = 0;
	char *buf = NULL;
	int ret = 0;

	if ((ret = read_domain(path, &buf, &len, e)))
		return ret;
	xmlSetGenericErrorFunc(NULL, on_xml_generic);
	xmlSetStructuredErrorFunc(p, on_xml_error);
	p->ctxt = xmlNewParserCtxt();
	if (p->ctxt) {
		p->ctxt->_private = p;
		p->ctxt->sax->internalSubset = on_doctype;
		doc = xmlCtxtReadMemory(p->ctxt, buf, len, strcmp(path, "-") ? path : "stdin",
					NULL, opts);
	}
	free(buf);
	if (p->doctype_line) {
		ret = err_set(e, "%s:%d: <!DOCTYPE>: libvirt domains have no DTD, and mirrorvm refuses one: its entities can expand a small document to gigabytes or read other files",
			      path, p->doctype_line);
		goto out;
	}
	if (!p->oom && (!doc || p->xml_failed)) {
		if (!p->xml_failed)
			snprintf(p->xml_msg, sizeof(p->xml_msg), "unknown error");
		ret = err_set(e, "%s:%d: malformed XML: %s", path, p->xml_line, p->xml_msg);
		goto out;
	}
	if (!p->oom)
		ret = walk(p, doc);
out:
	if (p->oom || !p->ctxt)
		ret = err_set(e, "%s: out of memory", path);
	while (p->nr_pool)
		xmlFree(p->pool[--p->nr_pool]);
	free(p->pool);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(p->ctxt);
	xmlSetStructuredErrorFunc(old_structured_ctx, old_structured);
	xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
	return ret;
}

int domain__parse_file(const char *path, struct domain *d, struct err *e)
{
	struct pctx p = { .path = path, .d = d, .e = e };
	int ret;

	memset(d, 0, sizeof(*d));
	ret = read_document(&p, path, parse_domain);
	if (ret)
		domain__free(d);
	return ret;
}

/* ---- what the domain asks of the host (xml2args --host-needs) ---- */

static int needs_numatune(struct pctx *p, xmlNode *nt)
{
	struct host_needs *needs = p->needs;
	struct host_nodeset *ns;
	struct err sub;
	xmlNode *c;

	for_each_element(c, nt) {
		const char *nodeset = attr(p, c, "nodeset");

		if (!nodeset)
			continue;
		if (needs->nr_nodesets == needs->cap_nodesets) {
			unsigned int cap = needs->cap_nodesets ? 2 * needs->cap_nodesets : 16;

			ns = xml__realloc(needs->nodesets, cap * sizeof(*ns));
			if (!ns) {
				p->oom = true;
				return -ENOMEM;
			}
			needs->nodesets = ns;
			needs->cap_nodesets = cap;
		}
		ns = &needs->nodesets[needs->nr_nodesets];
		if (parse_nodeset(nodeset, &ns->nodes, &sub))
			return fail(p, c, "<numatune><%s nodeset='%s'>: %s", c->name, nodeset, sub.msg);
		ns->line = xmlGetLineNo(c);
		needs->nr_nodesets++;
	}
	return 0;
}

/*
 * Only what the hook compares with the host: the metadata (read exactly as
 * xml2args reads it, its cell ids against the <cpu><numa> cells) and the
 * <numatune> nodesets.  The rest of the domain is libvirt's to judge: the
 * hook guards domains that QEMU runs, which may hold what xml2args refuses.
 */
static int parse_needs(struct pctx *p, xmlDoc *doc)
{
	xmlNode *root = xmlDocGetRootElement(doc), *c, *numa, *cell;
	struct host_needs *needs = p->needs;
	struct domain *d = p->d;
	unsigned int i, cells = 0;
	int ret;

	if (!root || !is(root, "domain"))
		return fail(p, root, "not a libvirt domain: the root element is <%s>, not <domain>",
			    root ? (const char *)root->name : "");
	for_each_element(c, root)
		if (is(c, "cpu"))
			for_each_element(numa, c)
				if (is(numa, "numa"))
					for_each_element(cell, numa)
						cells += is(cell, "cell");
	d->nr_cells = MIN(cells, (unsigned int)MAX_NODES);
	for_each_element(c, root) {
		if (is(c, "metadata"))
			ret = parse_metadata(p, c);
		else if (is(c, "numatune"))
			ret = needs_numatune(p, c);
		else
			ret = 0;
		if (ret)
			return ret;
	}
	for (i = 0; i < MAX_NODES; i++) {
		needs->reliable |= d->cells[i].has_reliable && d->cells[i].reliable;
		needs->hotplug |= d->cells[i].has_hotplug && d->cells[i].hotplug;
	}
	needs->reliable |= d->nr_mirrors > 0;
	needs->host_mirror = d->has_host_mirror ? d->host_mirror : HOST_MIRROR_PREFERRED;
	return 0;
}

int domain__host_needs(const char *path, struct host_needs *needs, struct err *e)
{
	struct domain *d = xml__calloc(1, sizeof(*d));
	struct pctx p = { .path = path, .d = d, .e = e, .needs = needs };
	int ret;

	memset(needs, 0, sizeof(*needs));
	if (!d)
		return err_set(e, "%s: out of memory", path);
	ret = read_document(&p, path, parse_needs);
	domain__free(d);
	free(d);
	if (ret)
		domain__free_host_needs(needs);
	return ret;
}

void domain__free_host_needs(struct host_needs *needs)
{
	free(needs->nodesets);
	memset(needs, 0, sizeof(*needs));
}

void domain__free(struct domain *d)
{
	free(d->kernel);
	free(d->initrd);
	free(d->cmdline);
	d->kernel = d->initrd = d->cmdline = NULL;
}
