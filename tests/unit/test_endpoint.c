/*
 * Endpoints on the host: kernel/obj/endpoint.c with the real capability
 * tables, transfers, object references and kernel memory accounts, and a
 * fake of the dispatch layer around them (threads, processes, replies).
 * Each test builds the situation a hostile process would and checks the
 * endpoint's answer:
 *   - a queued call is cancelled with its thread: the moved capability is
 *     back in the caller's table and the caller's account is refunded
 *   - a RECV posted on an id the owner no longer has is cancelled, and
 *     the call goes to a RECV on the owner's new id
 *   - badged clients' notices are charged to the minter: minting stops at
 *     its limit, and closing the endpoint refunds everything
 *   - an owner never rides in a call; no client wears a kernel interface
 */
#include <string.h>

#include "cap/call.h"
#include "mm/kmem.h"
#include "obj/objects.h"
#include "test.h"

void test_heap_setup(void);

/* ---- The fake world: two processes with one thread each ---- */

#define SLOTS	64
#define MAX_LOG	64

struct fake {
	struct process proc;
	struct thread thread;
	bool alive;
};

static struct fake world[2];	/* 0: the server, 1: the client */

static struct {
	uint32_t thread;
	int32_t status;
	int exc;		/* -1: none */
} log_[MAX_LOG];
static int nlog;

static void
log_add(const struct reply_to *to, int32_t status, int exc)
{
	if (nlog < MAX_LOG) {
		log_[nlog].thread = to->thread.index;
		log_[nlog].status = status;
		log_[nlog].exc = exc;
		nlog++;
	}
}

struct proc_ref
process_ref(const struct process *p)
{
	struct proc_ref r = { p->index, p->gen };

	return r;
}

struct process *
process_get(struct proc_ref r)
{
	for (int i = 0; i < 2; i++)
		if (world[i].alive && world[i].proc.index == r.index &&
		    world[i].proc.gen == r.gen)
			return &world[i].proc;
	return NULL;
}

struct thread *
thread_get(struct thread_ref r)
{
	for (int i = 0; i < 2; i++)
		if (world[i].alive && world[i].thread.index == r.index &&
		    world[i].thread.gen == r.gen)
			return &world[i].thread;
	return NULL;
}

int
copy_to_user(struct aspace *as, uint64_t uva, const void *src, uint64_t n)
{
	(void)as;
	(void)uva;
	(void)src;
	(void)n;
	return 0;
}

int
caps_deliver(struct process *p, uint64_t uva, uint16_t room,
    struct kobj **objs, const uint64_t *ifaces, uint32_t n)
{
	(void)uva;
	if (n > room || n > captable_room(&p->caps))
		return CAPOS_ETRANSFER;
	for (uint32_t i = 0; i < n; i++)
		captable_insert(&p->caps, objs[i], ifaces[i], 0);
	return (int)n;
}

static uint8_t scratch[1024] __attribute__((aligned(8)));

uint8_t *
reply_scratch(size_t *len)
{
	*len = sizeof(scratch);
	return scratch;
}

void
reply_init(struct reply *r, uint8_t *buf, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->buflen = len;
	r->started = capnp_builder_init(&r->b, buf, len) == CAPNP_OK;
	r->exc_type = -1;
}

static void
drop_caps(struct reply *r)
{
	for (uint32_t i = 0; i < r->ncaps; i++)
		kobj_unref(r->caps[i]);
	r->ncaps = 0;
}

int
reply_send(const struct reply_to *to, struct reply *r)
{
	if (thread_get(to->thread) == NULL) {
		drop_caps(r);
		return CAPOS_ECANCELED;
	}
	log_add(to, 0, r->exc_type);
	drop_caps(r);
	return 0;
}

void
reply_cancel(const struct reply_to *to, enum capos_CapException_Type type,
    const char *reason)
{
	(void)reason;
	if (thread_get(to->thread) != NULL)
		log_add(to, 0, (int)type);
}

void
reply_status(const struct reply_to *to, int32_t status, uint64_t aux)
{
	(void)aux;
	if (thread_get(to->thread) != NULL)
		log_add(to, status, -1);
}

int
reply_add_cap(struct reply *r, struct kobj *obj, uint64_t iface)
{
	if (r->ncaps == CAPOS_MAX_XCAPS)
		return -1;
	r->caps[r->ncaps] = obj;
	r->caps_iface[r->ncaps] = iface;
	return (int)r->ncaps++;
}

int
call_params(struct call *c, struct capnp_msg *m, struct capnp_struct *root)
{
	int err;

	if (c->params_len == 0) {
		memset(root, 0, sizeof(*root));
		return 0;
	}
	if ((err = capnp_msg_init(m, c->params, c->params_len)) != CAPNP_OK)
		return err;
	return capnp_msg_root(m, root);
}

struct capnp_builder *
call_result(struct call *c)
{
	return &c->reply.b;
}

int
call_exception(struct call *c, enum capos_CapException_Type type,
    const char *reason)
{
	c->reply.exc_type = (int)type;
	c->reply.exc_reason = reason;
	return CALL_DONE;
}

/* ---- Helpers ---- */

static struct cap_slot slots[2][SLOTS];
static uint8_t result_buf[1024] __attribute__((aligned(8)));
static uint8_t params_buf[256] __attribute__((aligned(8)));

static void
world_init(uint64_t client_limit)
{
	test_heap_setup();
	memset(world, 0, sizeof(world));
	nlog = 0;
	for (int i = 0; i < 2; i++) {
		struct fake *f = &world[i];

		f->alive = true;
		f->proc.index = (uint32_t)i;
		f->proc.gen = 7;
		f->proc.kmem = kmem_account_new(i == 1 ? client_limit :
		    KMEM_DEFAULT_LIMIT);
		captable_init(&f->proc.caps, slots[i], SLOTS, (uint16_t)(i + 3));
		f->thread.proc = &f->proc;
		f->thread.index = (uint32_t)(10 + i);
		f->thread.gen = 1;
	}
}

static void
world_end(void)
{
	for (int i = 0; i < 2; i++)
		kmem_account_put(world[i].proc.kmem);
}

/* A call from process i's thread, with params and sent capabilities. */
static void
call_init(struct call *c, int i, uint16_t method, const void *params,
    uint32_t len)
{
	memset(c, 0, sizeof(*c));
	c->proc = &world[i].proc;
	c->thread = &world[i].thread;
	c->method = method;
	c->params = params;
	c->params_len = len;
	c->to.thread.index = world[i].thread.index;
	c->to.thread.gen = world[i].thread.gen;
	c->to.ncaps_out = CAPOS_MAX_XCAPS;
	c->to.result_len = 4096;
	reply_init(&c->reply, result_buf, sizeof(result_buf));
}

/* A new endpoint's owner, held by the server in its table. */
static capos_cap_t
new_endpoint(struct kobj **owner)
{
	struct kobj *factory = endpoint_factory_create();
	struct call c;
	capos_cap_t id;

	call_init(&c, 0, capos_EndpointFactory_create_ORDINAL, NULL, 0);
	factory->ops->call(factory, &c);
	kobj_unref(factory);
	if (c.reply.exc_type >= 0 || c.reply.ncaps != 1)
		return CAPOS_CAP_NULL;
	*owner = c.reply.caps[0];
	id = captable_insert(&world[0].proc.caps, *owner,
	    capos_Endpoint_INTERFACE_ID, 0);
	return id;
}

/* Endpoint.client on owner by process i; the client or NULL, and the
 * exception type in *exc. */
static struct kobj *
mint(struct kobj *owner, int i, uint64_t iface, uint64_t badge, int *exc)
{
	struct capos_Endpoint_client_Params_b p;
	struct capnp_builder b;
	struct call c;

	if (capnp_builder_init(&b, params_buf, sizeof(params_buf)) != 0 ||
	    capos_Endpoint_client_Params_init_root(&b, &p) != 0)
		return NULL;
	capos_Endpoint_client_Params_set_interfaceId(&p, iface);
	capos_Endpoint_client_Params_set_badge(&p, badge);
	call_init(&c, i, capos_Endpoint_client_ORDINAL, params_buf,
	    (uint32_t)capnp_builder_finish(&b));
	owner->ops->call(owner, &c);
	*exc = c.reply.exc_type;
	return c.reply.ncaps == 1 ? c.reply.caps[0] : NULL;
}

static int
last_status(void)
{
	return nlog > 0 ? log_[nlog - 1].status : 999;
}

/* ---- Tests ---- */

TEST(endpoint_queued_call_is_cancelled_with_its_thread)
{
	struct kobj *owner, *client;
	struct kobj spare_obj;
	static const struct kobj_ops spare_ops = { "Spare", NULL, NULL };
	capos_cap_t oid, spare;
	uint64_t used;
	struct call c;
	int exc;

	world_init(KMEM_DEFAULT_LIMIT);
	oid = new_endpoint(&owner);
	CHECK(oid != CAPOS_CAP_NULL);
	client = mint(owner, 0, 0, 0, &exc);
	CHECK(client != NULL);
	kobj_init(&spare_obj, &spare_ops);
	spare = captable_insert(&world[1].proc.caps, &spare_obj, 0x55, 0);
	used = world[1].proc.kmem->used;
	/* The client sends spare, moved, with a call nobody receives. */
	call_init(&c, 1, 0, "abcdefgh", 8);
	{
		struct capos_capdesc d = { spare, CAPOS_XFER_MOVE };

		CHECK_EQ(xcaps_take(&world[1].proc.caps, &d, 1, c.caps_in), 0);
		c.ncaps_in = 1;
	}
	CHECK_EQ(client->ops->call(client, &c), CALL_PENDING);
	CHECK(world[1].proc.kmem->used > used);
	CHECK(captable_lookup(&world[1].proc.caps, spare) == NULL);
	/* The calling thread ends: the call goes, the move rolls back. */
	endpoint_thread_gone(&world[1].thread);
	CHECK(world[1].thread.ep_calls == NULL);
	CHECK(captable_lookup(&world[1].proc.caps, spare) != NULL);
	CHECK_EQ_U64(world[1].proc.kmem->used, used);
	CHECK_EQ(spare_obj.refs, 1);
	kobj_unref(client);
	kobj_unref(captable_remove(&world[0].proc.caps, oid));
	CHECK_EQ_U64(world[0].proc.kmem->used, 0);
	world_end();
}

TEST(endpoint_recv_on_a_moved_owner_is_cancelled)
{
	struct kobj *owner, *client;
	capos_cap_t old_id, new_id;
	struct reply_to to = { .result_len = 4096, .ncaps_out = 16 };
	struct call c;
	int exc;

	world_init(KMEM_DEFAULT_LIMIT);
	old_id = new_endpoint(&owner);
	client = mint(owner, 0, 0, 0, &exc);
	to.thread.index = world[0].thread.index;
	to.thread.gen = world[0].thread.gen;
	CHECK_EQ(endpoint_recv(owner, &to, old_id), 0);
	/* The owner moves to another id of the same table. */
	kobj_ref(owner);
	kobj_unref(captable_remove(&world[0].proc.caps, old_id));
	new_id = captable_insert(&world[0].proc.caps, owner,
	    capos_Endpoint_INTERFACE_ID, 0);
	nlog = 0;
	call_init(&c, 1, 0, NULL, 0);
	CHECK_EQ(client->ops->call(client, &c), CALL_PENDING);
	/* The old RECV is cancelled, not served; the call waits. */
	CHECK_EQ(nlog, 1);
	CHECK_EQ(last_status(), CAPOS_ECANCELED);
	CHECK_EQ(endpoint_recv(owner, &to, new_id), 0);
	CHECK_EQ(nlog, 2);
	CHECK(last_status() >= (int)sizeof(struct capos_recv_hdr));
	kobj_unref(client);
	kobj_unref(captable_remove(&world[0].proc.caps, new_id));
	world_end();
}

TEST(endpoint_notices_are_charged_and_refunded)
{
	struct kobj *owner, *client;
	uint64_t base, per = 0;
	capos_cap_t oid;
	int exc = -1, n;

	/* The server mints for a client with a small account: the minter
	 * pays, so give the server the small limit here. */
	world_init(KMEM_DEFAULT_LIMIT);
	world[0].proc.kmem->limit = 64 << 10;
	oid = new_endpoint(&owner);
	base = world[0].proc.kmem->used;
	for (n = 0; n < 100000; n++) {
		if ((client = mint(owner, 0, 0, (uint64_t)n + 1, &exc)) ==
		    NULL)
			break;
		kobj_unref(client);	/* its notice waits in the queue */
		if (n == 0)
			per = world[0].proc.kmem->used - base;
	}
	CHECK(n > 0 && n < 100000);
	CHECK_EQ(exc, capos_CapException_Type_overloaded);
	CHECK(world[0].proc.kmem->used <= world[0].proc.kmem->limit);
	/* The facets are gone; what stays charged is every waiting notice,
	 * and it is the limit, not some other bound, that stopped minting. */
	CHECK(per > 0);
	CHECK_EQ_U64(world[0].proc.kmem->used - base, (uint64_t)n * per);
	CHECK(world[0].proc.kmem->limit - world[0].proc.kmem->used < 2 * per +
	    1024);
	/* Closing the endpoint frees the notices and refunds the minter. */
	kobj_unref(captable_remove(&world[0].proc.caps, oid));
	CHECK_EQ_U64(world[0].proc.kmem->used, 0);
	world_end();
}

TEST(endpoint_refuses_owners_in_calls_and_kernel_labels)
{
	struct kobj *owner, *other, *client;
	capos_cap_t oid, other_id;
	struct call c;
	int exc;

	world_init(KMEM_DEFAULT_LIMIT);
	oid = new_endpoint(&owner);
	other_id = new_endpoint(&other);
	client = mint(owner, 0, 0, 0, &exc);
	call_init(&c, 0, 0, NULL, 0);
	c.caps_in[0].obj = kobj_ref(other);
	c.caps_in[0].mode = CAPOS_XFER_COPY;
	c.ncaps_in = 1;
	CHECK_EQ(client->ops->call(client, &c), CALL_DONE);
	CHECK_EQ(c.reply.exc_type, capos_CapException_Type_failed);
	/* The refused call left its capability with the caller's record. */
	CHECK_EQ(c.ncaps_in, 1);
	kobj_unref(c.caps_in[0].obj);
	CHECK(mint(owner, 0, capos_SharedMemory_INTERFACE_ID, 0, &exc) ==
	    NULL);
	CHECK_EQ(exc, capos_CapException_Type_failed);
	CHECK(mint(owner, 0, capos_Console_INTERFACE_ID, 0, &exc) == NULL);
	CHECK(kernel_interface(capos_Timer_INTERFACE_ID));
	CHECK(!kernel_interface(0x1234));
	kobj_unref(client);
	kobj_unref(captable_remove(&world[0].proc.caps, other_id));
	kobj_unref(captable_remove(&world[0].proc.caps, oid));
	CHECK_EQ_U64(world[0].proc.kmem->used, 0);
	world_end();
}

TEST(endpoint_calls_received_by_a_stopped_process_fail)
{
	struct kobj *owner, *client;
	capos_cap_t oid;
	struct reply_to to = { .result_len = 4096, .ncaps_out = 16 };
	struct call c;
	uint64_t used;
	int exc;

	world_init(KMEM_DEFAULT_LIMIT);
	oid = new_endpoint(&owner);
	client = mint(owner, 0, 0, 0, &exc);
	used = world[1].proc.kmem->used;
	to.thread.index = world[0].thread.index;
	to.thread.gen = world[0].thread.gen;
	CHECK_EQ(endpoint_recv(owner, &to, oid), 0);
	call_init(&c, 1, 0, NULL, 0);
	CHECK_EQ(client->ops->call(client, &c), CALL_PENDING);
	CHECK(world[0].proc.ep_received != NULL);
	/* The server stops without answering; the owner lives on (held
	 * here, as a supervisor would): the caller hears disconnected. */
	nlog = 0;
	endpoint_process_gone(&world[0].proc);
	CHECK(world[0].proc.ep_received == NULL);
	CHECK_EQ(nlog, 1);
	CHECK_EQ(log_[0].thread, world[1].thread.index);
	CHECK_EQ(log_[0].exc, capos_CapException_Type_disconnected);
	CHECK_EQ_U64(world[1].proc.kmem->used, used);
	/* The endpoint still takes calls for the next server. */
	call_init(&c, 1, 0, NULL, 0);
	CHECK_EQ(client->ops->call(client, &c), CALL_PENDING);
	endpoint_thread_gone(&world[1].thread);
	kobj_unref(client);
	kobj_unref(captable_remove(&world[0].proc.caps, oid));
	world_end();
}
