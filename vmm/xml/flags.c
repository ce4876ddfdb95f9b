// SPDX-License-Identifier: GPL-2.0
/*
 * struct domain -> "mirrorvm run" flags: "mirrorvm xml2args" and
 * "mirrorvm run --domain-xml".  Flags are "--flag=value" words, printed one
 * per line (or shell-quoted on one line); the flags are re-read by
 * config__parse_run() and laid out by layout__build() before anything is
 * printed, so an inconsistent domain fails here and not at boot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "domain-xml.h"
#include "layout.h"

int flags__add(struct flag_list *f, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (f->argc + 2 > f->cap) {
		int cap = f->cap ? 2 * f->cap : 16;
		char **nv = realloc(f->argv, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		f->argv = nv;
		f->cap = cap;
	}
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	f->argv[f->argc++] = s;
	f->argv[f->argc] = NULL;
	return 0;
}

void flags__free(struct flag_list *f)
{
	int i;

	for (i = 0; i < f->argc; i++)
		free(f->argv[i]);
	free(f->argv);
	memset(f, 0, sizeof(*f));
}

/* The backing of guest cell @id: <hugepages> first, then <source>. */
static bool cell_backing(const struct domain *d, unsigned int id, enum mem_backing *b)
{
	const struct dom_page *pg = NULL;
	unsigned int i;

	for (i = 0; i < d->nr_pages; i++)
		if (d->pages[i].has_nodeset && idset_has(&d->pages[i].nodeset, id))
			pg = &d->pages[i];
	for (i = 0; !pg && i < d->nr_pages; i++)
		if (!d->pages[i].has_nodeset)
			pg = &d->pages[i];
	if (d->hugepages && !d->nr_pages) {
		*b = BACKING_HUGETLB2M;	/* <hugepages/>: x86's default huge page */
		return true;
	}
	if (pg && pg->size == SZ_2M) {
		*b = BACKING_HUGETLB2M;
		return true;
	}
	if (pg && pg->size == SZ_1G) {
		*b = BACKING_HUGETLB1G;
		return true;
	}
	/* A 4 KiB page, or no page: ordinary memory of the <source> type. */
	if (d->has_source) {
		*b = d->source;
		return true;
	}
	return false;
}

static int add_word(struct flag_list *f, const char *flag, const char *what,
		    const char *v, struct err *e)
{
	if (strchr(v, '\n'))
		return err_set(e, "%s contains a newline, which the one-flag-per-line output cannot carry",
			       what);
	if (flags__add(f, "--%s=%s", flag, v))
		return err_set(e, "out of memory");
	return 0;
}

int domain__to_flags(const struct domain *d, struct flag_list *f, struct err *e)
{
	unsigned int i, count = d->nr_cells ? d->nr_cells : 1;
	char node[1024], list[512], s[32];
	enum mem_backing b;
	size_t n;
	int ret;

	if (!f->argc && flags__add(f, "mirrorvm"))
		return err_set(e, "out of memory");
	if (d->kernel && (ret = add_word(f, "kernel", "<os><kernel>", d->kernel, e)))
		return ret;
	if (d->initrd && (ret = add_word(f, "initrd", "<os><initrd>", d->initrd, e)))
		return ret;
	if (d->cmdline && *d->cmdline &&
	    (ret = add_word(f, "cmdline", "<os><cmdline>", d->cmdline, e)))
		return ret;
	if (d->has_vcpu && flags__add(f, "--cpus=%u", d->vcpus))
		return err_set(e, "out of memory");

	for (i = 0; i < count; i++) {
		const struct dom_cell *c = &d->cells[i];
		const struct idset *hn = NULL;
		enum mem_policy pol = POLICY_BIND;

		n = snprintf(node, sizeof(node), "--node=id=%u,size=%s", i, fmt_size(c->size, s));
#define ADD(...) (n += snprintf(node + MIN(n, sizeof(node)), sizeof(node) - MIN(n, sizeof(node)), __VA_ARGS__))
		if (c->has_cpus) {
			idset_format(&c->cpus, list, sizeof(list));
			ADD(",cpus=%s", list);
		}
		if (c->has_reliable)
			ADD(",mirror=%s", c->reliable ? "on" : "off");
		if (c->has_hotplug)
			ADD(",hotplug=%s", c->hotplug ? "on" : "off");
		if (c->has_memnode) {
			hn = &c->memnode_nodes;
			pol = c->memnode_policy;
		} else if (d->has_numa_memory) {
			hn = &d->numa_nodes;
			pol = d->numa_policy;
		}
		if (hn) {
			idset_format(hn, list, sizeof(list));
			ADD(",host-nodes=%s,policy=%s", list, policy_name(pol));
		}
		if (cell_backing(d, i, &b))
			ADD(",backing=%s", backing_name(b));
		if (d->has_allocation)
			ADD(",prefault=%s", d->prefault ? "on" : "off");
#undef ADD
		if (n >= sizeof(node))
			return err_set(e, "<cell id='%u'>: too many settings", i);
		/* A domain without cells and without node settings: --memory. */
		if (!d->nr_cells && !strchr(node + strlen("--node=id=0,size="), ',')) {
			if (flags__add(f, "--memory=%s", fmt_size(c->size, s)))
				return err_set(e, "out of memory");
			continue;
		}
		if (flags__add(f, "%s", node))
			return err_set(e, "out of memory");
	}
	for (i = 0; i < d->nr_mirrors; i++)
		if (flags__add(f, "--mirror=%s@0x%llx", fmt_size(d->mirrors[i].size, s),
			       (unsigned long long)d->mirrors[i].start))
			return err_set(e, "out of memory");
	if (d->has_host_mirror &&
	    flags__add(f, "--host-mirror=%s", host_mirror_name(d->host_mirror)))
		return err_set(e, "out of memory");
	return 0;
}

static int check_flags(const char *path, bool whole, struct flag_list *f, struct err *e)
{
	struct vm_config *cfg = calloc(1, sizeof(*cfg));
	struct layout *lay = calloc(1, sizeof(*lay));
	struct err sub = { "" };
	int ret = 0;

	if (!cfg || !lay) {
		ret = err_set(e, "out of memory");
		goto out;
	}
	config__init(cfg);
	if (config__parse_run(cfg, f->argc, f->argv, &sub))
		ret = err_set(e, "%s: mirrorvm rejects the flags the domain converts to: %s", path,
			      sub.msg);
	else if (whole && layout__build(cfg, lay, &sub))
		ret = err_set(e, "%s: the domain does not fit mirrorvm: %s", path, sub.msg);
out:
	free(cfg);
	free(lay);
	return ret;
}

int domain_xml__flags(const char *path, bool whole, struct flag_list *f, struct err *e)
{
	struct domain *d = calloc(1, sizeof(*d));
	struct err sub;
	int ret;

	if (!d)
		return err_set(e, "out of memory");
	ret = domain__parse_file(path, d, e);
	if (ret)
		goto out;
	ret = domain__to_flags(d, f, &sub);
	if (ret) {
		err_set(e, "%s: %s", path, sub.msg);
		goto out;
	}
	ret = check_flags(path, whole, f, e);
	if (!ret && d->ignored[0])
		warn("%s: ignored, as they do not change the guest's memory: %s", path,
		     d->ignored);
out:
	domain__free(d);
	free(d);
	if (ret)
		flags__free(f);
	return ret;
}

static void put_quoted(const char *s, FILE *out)
{
	const char *q;

	for (q = s; *q; q++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789_-+=,.:/@%", *q))
			break;
	if (*s && !*q) {
		fputs(s, out);
		return;
	}
	fputc('\'', out);
	for (q = s; *q; q++) {
		if (*q == '\'')
			fputs("'\\''", out);
		else
			fputc(*q, out);
	}
	fputc('\'', out);
}

static void xml2args_usage(FILE *out)
{
	fputs("usage: mirrorvm xml2args [--shell] DOMAIN.xml\n"
	      "\n"
	      "Prints the \"mirrorvm run\" flags for a libvirt domain, one --flag=value\n"
	      "per line (with --shell: one shell-quoted line).  DOMAIN.xml may be - for\n"
	      "stdin.  Parts of the domain that do not change the guest's memory are\n"
	      "listed in one warning on stderr; see mirrorvm-xml(1).\n", out);
}

int cmd_xml2args(int argc, char **argv)
{
	struct flag_list f = { 0 };
	const char *path = NULL;
	struct err e = { "" };
	bool shell = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--shell") || !strcmp(argv[i], "-s")) {
			shell = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			xml2args_usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "mirrorvm: xml2args: unknown flag %s\n", argv[i]);
			xml2args_usage(stderr);
			return 1;
		} else if (path) {
			fprintf(stderr, "mirrorvm: xml2args: one domain at a time\n");
			return 1;
		} else {
			path = argv[i];
		}
	}
	if (!path) {
		xml2args_usage(stderr);
		return 1;
	}
	if (domain_xml__flags(path, true, &f, &e)) {
		fprintf(stderr, "mirrorvm: %s\n", e.msg);
		return 1;
	}
	for (i = 1; i < f.argc; i++) {
		if (!shell) {
			puts(f.argv[i]);
			continue;
		}
		if (i > 1)
			putchar(' ');
		put_quoted(f.argv[i], stdout);
	}
	if (shell && f.argc > 1)
		putchar('\n');
	flags__free(&f);
	if (fflush(stdout)) {
		perror("mirrorvm: xml2args: stdout");
		return 1;
	}
	return 0;
}

int run_apply_domain_xml(struct vm_config *cfg, int argc, char **argv, struct err *e)
{
	/* cfg's strings point into these words for the rest of the run. */
	static struct flag_list words;
	const char *path = cfg->domain_xml;
	struct err sub = { "" };
	int ret;

	flags__free(&words);
	if ((ret = domain_xml__flags(path, false, &words, e)))
		return ret;
	config__init(cfg);
	if (config__parse_run(cfg, words.argc, words.argv, &sub))
		return err_set(e, "%s: %s", path, sub.msg);
	cfg->override_pass = true;
	ret = config__parse_run(cfg, argc, argv, e);
	cfg->domain_xml = path;
	return ret;
}
