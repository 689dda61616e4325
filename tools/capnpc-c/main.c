/*
 * capnpc-c: a `capnp compile` plugin that writes one C header per
 * requested schema file. capnp runs it in the output directory with the
 * CodeGeneratorRequest on stdin:
 *
 *	capnp compile --src-prefix=schema -o capnpc-c:build/gen schema/x.capnp
 *
 * writes build/gen/x.capnp.h. The request is read with lib/capnp itself,
 * through the hand-written accessors of schema.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gen.h"
#include "schema.h"

void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("capnpc-c: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void
must(int err, const char *what)
{
	if (err != 0)
		die("bad request: %s: %s", what, capnp_strerror(err));
}

struct capnp_text
text_of(const struct capnp_struct *s, uint16_t idx)
{
	struct capnp_text t;

	must(capnp_get_text(s, idx, NULL, &t), "text");
	return t;
}

static int
cmp_node(const void *a, const void *b)
{
	const struct node *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

const struct capnp_struct *
find_node(const struct gen *g, uint64_t id)
{
	struct node key = { .id = id }, *n;

	n = bsearch(&key, g->nodes, g->nnodes, sizeof(key), cmp_node);
	if (n == NULL)
		die("node %#llx missing from request", (unsigned long long)id);
	return &n->r;
}

/*
 * The C name of a node: the namespace, then the node's scoped name with
 * '.' and '$' turned into '_' (Console.write$Params gives
 * capos_Console_write_Params).
 */
void
c_name(const struct gen *g, const struct capnp_struct *node, char *buf,
    size_t len)
{
	struct capnp_text t = text_of(node, NODE_P_NAME);
	const char *p = strchr(t.str, ':');
	size_t n;

	p = p != NULL ? p + 1 : t.str;
	if ((size_t)snprintf(buf, len, "%s_%s", g->prefix, p) >= len)
		die("name too long: %s", t.str);
	for (n = strlen(g->prefix) + 1; buf[n] != '\0'; n++)
		if (buf[n] == '.' || buf[n] == '$')
			buf[n] = '_';
}

static char *
read_all(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0, got;
	char *buf = malloc(cap);

	while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	if (buf == NULL)
		die("out of memory");
	*len = n;
	return buf;
}

/* The file's C namespace: its $C.namespace annotation or its base name. */
static char *
file_prefix(const struct capnp_struct *file)
{
	struct capnp_list l;
	struct capnp_struct a, v;
	struct capnp_text t;
	const char *base, *dot;

	must(capnp_get_list(file, NODE_P_ANNOTATIONS, CAPNP_ELEM_COMPOSITE,
	    &l), "annotations");
	for (uint32_t i = 0; i < l.n; i++) {
		must(capnp_list_struct(&l, i, &a), "annotation");
		if (ANNOT_ID(&a) != C_NAMESPACE_ID)
			continue;
		must(capnp_get_struct(&a, ANNOT_P_VALUE, &v), "value");
		return strdup(text_of(&v, VALUE_P_PTR).str);
	}
	t = text_of(file, NODE_P_NAME);
	base = strrchr(t.str, '/');
	base = base != NULL ? base + 1 : t.str;
	dot = strchr(base, '.');
	return strndup(base, dot != NULL ? (size_t)(dot - base) : strlen(base));
}

static FILE *
open_output(const char *name)
{
	char path[4096];
	FILE *f;

	if ((size_t)snprintf(path, sizeof(path), "%s.h", name) >= sizeof(path))
		die("path too long: %s", name);
	for (char *p = strchr(path, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (path[0] != '\0' && mkdir(path, 0777) != 0 && errno != EEXIST)
			die("mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
	if ((f = fopen(path, "w")) == NULL)
		die("%s: %s", path, strerror(errno));
	return f;
}

/* qsort has no context argument; the node table is set just before. */
static const struct node *sort_nodes;

static int
cmp_name(const void *a, const void *b)
{
	const struct node *x = &sort_nodes[*(const size_t *)a];
	const struct node *y = &sort_nodes[*(const size_t *)b];

	return strcmp(text_of(&x->r, NODE_P_NAME).str,
	    text_of(&y->r, NODE_P_NAME).str);
}

static void
load_nodes(struct gen *g, struct capnp_struct *req)
{
	struct capnp_list l;

	must(capnp_get_list(req, REQ_P_NODES, CAPNP_ELEM_COMPOSITE, &l),
	    "nodes");
	g->nnodes = l.n;
	if ((g->nodes = calloc(l.n + 1, sizeof(*g->nodes))) == NULL)
		die("out of memory");
	for (uint32_t i = 0; i < l.n; i++) {
		must(capnp_list_struct(&l, i, &g->nodes[i].r), "node");
		g->nodes[i].id = NODE_ID(&g->nodes[i].r);
	}
	qsort(g->nodes, g->nnodes, sizeof(*g->nodes), cmp_node);
	/* Emit in name order, so a type's nested types follow it. */
	if ((g->order = calloc(l.n + 1, sizeof(*g->order))) == NULL)
		die("out of memory");
	for (size_t i = 0; i < g->nnodes; i++)
		g->order[i] = i;
	sort_nodes = g->nodes;
	qsort(g->order, g->nnodes, sizeof(*g->order), cmp_name);
}

int
main(void)
{
	struct capnp_struct req, rf;
	struct capnp_list files, imports;
	struct capnp_msg msg;
	struct gen g = { 0 };
	size_t len;
	char *buf;

	buf = read_all(stdin, &len);
	must(capnp_msg_init(&msg, buf, len), "framing");
	must(capnp_msg_root(&msg, &req), "root");
	load_nodes(&g, &req);
	must(capnp_get_list(&req, REQ_P_FILES, CAPNP_ELEM_COMPOSITE, &files),
	    "requestedFiles");
	for (uint32_t i = 0; i < files.n; i++) {
		must(capnp_list_struct(&files, i, &rf), "requestedFile");
		must(capnp_get_list(&rf, RFILE_P_IMPORTS, CAPNP_ELEM_COMPOSITE,
		    &imports), "imports");
		const struct capnp_struct *file = find_node(&g, RFILE_ID(&rf));
		g.file = text_of(file, NODE_P_NAME).str;
		g.prefix = file_prefix(file);
		g.out = open_output(text_of(&rf, RFILE_P_NAME).str);
		emit_file(&g, &imports);
		if (fclose(g.out) != 0)
			die("writing %s.h failed", g.file);
		free(g.prefix);
	}
	return 0;
}
