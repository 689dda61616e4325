/*
 * ProcessSpawner: starts a boot-package binary as a new process holding
 * exactly the capabilities sent with the call, under the names given. The
 * child gets nothing else: no capability is inherited or implied.
 */
#include <string.h>

#include "cap/call.h"
#include "cap/scratch.h"
#include "kernel.h"
#include "obj/objects.h"
#include "mm/aspace.h"
#include "mm/kmem.h"
#include "proc/elf.h"

/* A SpawnResult holding a handle, with its framing, fits in this. */
#define SPAWN_RESULT_MIN	64

struct spawner {
	struct kobj obj;
	struct kobj *pkg;
};

static bool
name_ok(const struct capnp_text *n)
{
	if (n->len == 0 || n->len >= CAPOS_CAPNAME_MAX)
		return false;
	for (uint32_t i = 0; i < n->len; i++) {
		char ch = n->str[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
		    ch == '.'))
			return false;
	}
	return true;
}

/*
 * Fills the start block's CapSet from the grants; returns NULL or the
 * name of the first bad grant (copied into bad, bounded).
 */
static const char *
read_grants(struct call *c, const struct capnp_list *grants,
    struct capos_start *sb, uint32_t *idx, char *bad)
{
	struct capos_ProcessSpawner_NamedCap_r g;
	struct capnp_text n;
	uint32_t cap;

	if (grants->n > CAPOS_CAPSET_MAX)
		return "too many grants";
	for (uint32_t i = 0; i < grants->n; i++) {
		if (capos_ProcessSpawner_NamedCap_at(grants, i, &g) != CAPNP_OK ||
		    capos_ProcessSpawner_NamedCap_get_name(&g, &n) != CAPNP_OK)
			return "unreadable grant";
		memcpy(bad, n.str, n.len < CAPOS_CAPNAME_MAX - 1 ? n.len :
		    CAPOS_CAPNAME_MAX - 1);
		bad[n.len < CAPOS_CAPNAME_MAX - 1 ? n.len :
		    CAPOS_CAPNAME_MAX - 1] = '\0';
		if (!name_ok(&n) ||
		    capos_ProcessSpawner_NamedCap_get_cap(&g, &cap) != CAPNP_OK ||
		    cap >= c->ncaps_in)
			return bad;
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(sb->caps[j].name, bad) == 0)
				return bad;
		memcpy(sb->caps[i].name, bad, n.len + 1);
		sb->caps[i].interface_id = c->caps_in[cap].iface;
		idx[i] = cap;
	}
	sb->ncaps = grants->n;
	return NULL;
}

/*
 * A capability moved with the call goes to the child or stays with the
 * caller; one that no grant names would be destroyed by the move, so the
 * spawn is refused instead.
 */
static const char *
unnamed_move(const struct call *c, const uint32_t *idx, uint32_t ngrants)
{
	for (uint32_t k = 0; k < c->ncaps_in; k++) {
		bool named = false;

		if (c->caps_in[k].mode != CAPOS_XFER_MOVE)
			continue;
		for (uint32_t i = 0; i < ngrants && !named; i++)
			named = idx[i] == k;
		if (!named)
			return "a moved capability is named by no grant";
	}
	return NULL;
}

/* Packs args as NUL-terminated strings; returns the length or -1. */
static int
read_args(const struct capnp_list *args, char *out)
{
	struct capnp_text t;
	size_t used = 0;

	for (uint32_t i = 0; i < args->n; i++) {
		if (capnp_list_text(args, i, &t) != CAPNP_OK ||
		    t.len + 1 > SPAWN_ARGS_MAX - used ||
		    memchr(t.str, '\0', t.len) != NULL)
			return -1;
		memcpy(out + used, t.str, t.len + 1);
		used += t.len + 1;
	}
	return (int)used;
}

static int
spawn(struct spawner *sp, struct call *c)
{
	struct capos_ProcessSpawner_spawn_Params_r p;
	struct capos_ProcessSpawner_SpawnResult_b res;
	struct capnp_list grants, args;
	struct capnp_text bin, name;
	struct capnp_msg m;
	struct capos_start *sb = &this_scratch()->start;
	char *argbuf = this_scratch()->args;
	char bad[CAPOS_CAPNAME_MAX];
	uint32_t idx[CAPOS_CAPSET_MAX];
	const char *why;
	const uint8_t *elf;
	size_t elf_len;
	struct exit_status killed = { .kind = EXIT_KILLED };
	struct process *child;
	struct kobj *h = NULL;
	uint64_t kmem;
	uint32_t procs;
	int nargs, err, hi;

	/*
	 * Spawn is all or nothing with its reply. Everything that could fail
	 * after the child starts is checked first: the caller must have room
	 * for the handle it gets back, and its result and capability buffers
	 * must take the reply (nothing else runs before the reply is written,
	 * so they cannot change in between).
	 */
	if (c->to.ncaps_out < 1 || captable_room(&c->proc->caps) < 1 ||
	    c->to.result_len < SPAWN_RESULT_MIN ||
	    !user_writable(&c->proc->as, c->to.result, c->to.result_len) ||
	    !user_writable(&c->proc->as, c->to.caps,
	    sizeof(struct capos_capdesc)))
		return call_exception(c, capos_CapException_Type_failed,
		    "no room for the process handle in the result");
	if (kernel_stopping())
		return call_exception(c, capos_CapException_Type_disconnected,
		    "the system is shutting down");
	if (call_params(c, &m, &p.s) != 0 ||
	    capos_ProcessSpawner_spawn_Params_get_binary(&p, &bin) != 0 ||
	    capos_ProcessSpawner_spawn_Params_get_grants(&p, &grants) != 0 ||
	    capos_ProcessSpawner_spawn_Params_get_args(&p, &args) != 0 ||
	    capos_ProcessSpawner_spawn_Params_get_name(&p, &name) != 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "malformed spawn params");
	if (name.len == 0)
		name = bin;
	/* The child's limit is carved out of ours (kmem.h): by default
	 * 8 MiB, or half of what the spawner has left when that is less. */
	kmem = capos_ProcessSpawner_spawn_Params_get_kernelMemory(&p);
	if (kmem == 0)
		kmem = kmem_default_limit(c->proc->kmem);
	if (kmem > KMEM_MAX_LIMIT)
		return call_exception(c, capos_CapException_Type_failed,
		    "kernelMemory is more than 256 MiB");
	/* So are its process slots: by default itself and 8 descendants, or
	 * half of what the spawner has left when that is less. */
	procs = capos_ProcessSpawner_spawn_Params_get_processes(&p);
	if (procs == 0)
		procs = kmem_default_procs(c->proc->kmem);
	if (capos_ProcessSpawner_SpawnResult_init_root(call_result(c), &res))
		return call_exception(c, capos_CapException_Type_failed,
		    "result buffer");
	if (bootpkg_find(sp->pkg, bin.str, bin.len, &elf, &elf_len) != 0) {
		capos_ProcessSpawner_SpawnResult_set_notFound(&res);
		return CALL_DONE;
	}
	memset(sb, 0, sizeof(*sb));
	if ((why = read_grants(c, &grants, sb, idx, bad)) != NULL) {
		if (capos_ProcessSpawner_SpawnResult_set_badGrant(&res, why,
		    strlen(why)) != 0)
			return call_exception(c,
			    capos_CapException_Type_failed, "result buffer");
		return CALL_DONE;
	}
	if ((why = unnamed_move(c, idx, sb->ncaps)) != NULL)
		return call_exception(c, capos_CapException_Type_failed, why);
	if ((nargs = read_args(&args, argbuf)) < 0)
		return call_exception(c, capos_CapException_Type_failed,
		    "spawn args too long or malformed");
	sb->magic = CAPOS_START_MAGIC;
	sb->version = 1;
	memcpy(sb->name, name.str, name.len < CAPOS_CAPNAME_MAX - 1 ? name.len :
	    CAPOS_CAPNAME_MAX - 1);

	if ((child = process_create(sb->name, kmem, procs,
	    c->proc->kmem)) == NULL ||
	    (h = process_handle_create(child, c->proc->kmem)) == NULL) {
		if (child != NULL)
			process_kill(child, killed);
		capos_ProcessSpawner_SpawnResult_set_noMemory(&res);
		return CALL_DONE;
	}
	for (uint32_t i = 0; i < sb->ncaps; i++)
		sb->caps[i].cap = captable_insert(&child->caps,
		    kobj_ref(c->caps_in[idx[i]].obj), sb->caps[i].interface_id,
		    0);
	err = process_start(child, elf, elf_len, sb, argbuf, (size_t)nargs);
	if (err != 0) {
		/* The child never ran: its references go with it, and the
		 * sent capabilities stay the caller's. */
		process_kill(child, killed);
		kobj_unref(h);
		if (err == PROC_ENOMEM) {
			capos_ProcessSpawner_SpawnResult_set_noMemory(&res);
			return CALL_DONE;
		}
		kprintf("spawn: %s is not a loadable program: %s\n", sb->name,
		    elf_strerror(err));
		return call_exception(c, capos_CapException_Type_failed,
		    "binary is not a loadable program");
	}
	/* The caller was checked to have room for the handle. */
	hi = reply_add_cap(&c->reply, h, capos_ProcessHandle_INTERFACE_ID);
	c->caps_consumed = true;
	capos_ProcessSpawner_SpawnResult_set_handle(&res, (uint32_t)hi);
	return CALL_DONE;
}

static int
spawner_call(struct kobj *obj, struct call *c)
{
	if (c->method != capos_ProcessSpawner_spawn_ORDINAL)
		return call_exception(c, capos_CapException_Type_unimplemented,
		    "ProcessSpawner has no such method");
	return spawn((struct spawner *)obj, c);
}

static const struct kobj_ops spawner_ops = {
	.name = "ProcessSpawner",
	.call = spawner_call,
	.release = NULL,	/* lives as long as the kernel */
};

struct kobj *
spawner_create(struct kobj *pkg)
{
	static struct spawner sp;

	sp.pkg = pkg;
	kobj_init(&sp.obj, &spawner_ops);
	return kobj_ref(&sp.obj);
}
