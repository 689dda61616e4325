/*
 * Threads, parking, locks and time for capOS programs.
 */
#include <string.h>

#include "rt.h"

/* Result buffers here hold 256 bytes: room for an exception and its
 * reason, so a refusal reads as RT_EXCEPTION, not as ERESULT. */

struct rt_thread rt_main_thread;
bool rt_threaded;

void rt_thread_entry(void);
void rt_thread_start(struct rt_thread *t, uint64_t ring)
    __attribute__((noreturn));

/* Points FS at the main thread's state, once, before a second thread. */
static int
enter_threaded(void)
{
	capos_cap_t ctl = rt_cap("threadControl",
	    capos_ThreadControl_INTERFACE_ID);
	struct capos_ThreadControl_setTls_Params_b p;
	uint8_t params[64] __attribute__((aligned(8)));
	uint8_t out[64] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct rt_result res;
	int rc;

	if (rt_threaded)
		return 0;
	if (ctl == CAPOS_CAP_NULL)
		return RT_NOCAP;
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_ThreadControl_setTls_Params_init_root(&b, &p) != 0)
		return CAPOS_E2BIG;
	capos_ThreadControl_setTls_Params_set_base(&p,
	    (uint64_t)(uintptr_t)&rt_main_thread);
	rc = rt_call(ctl, capos_ThreadControl_INTERFACE_ID,
	    capos_ThreadControl_setTls_ORDINAL, &b, NULL, 0, out, sizeof(out),
	    &res);
	if (rc != 0)
		return rc;
	rt_threaded = true;
	return 0;
}

void
rt_thread_start(struct rt_thread *t, uint64_t ring)
{
	rt_thread_ring_init(t, ring);
	t->fn(t->arg);
	rt_thread_exit(0);
}

int
rt_thread_spawn(void (*fn)(void *), void *arg, size_t stack_size,
    struct rt_thread **out)
{
	capos_cap_t sp = rt_cap("threadSpawner",
	    capos_ThreadSpawner_INTERFACE_ID);
	struct capos_ThreadSpawner_spawn_Params_b p;
	struct capos_ThreadSpawnResult_r r;
	uint8_t params[128] __attribute__((aligned(8)));
	uint8_t buf[128] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct rt_result res;
	struct rt_thread *t;
	uint32_t idx;
	int rc;

	if (sp == CAPOS_CAP_NULL)
		return RT_NOCAP;
	if ((rc = enter_threaded()) != 0)
		return rc;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->stack = malloc(stack_size)) == NULL) {
		free(t);
		return RT_VM_NOMEM;
	}
	t->self = t;
	t->fn = fn;
	t->arg = arg;
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_ThreadSpawner_spawn_Params_init_root(&b, &p) != 0) {
		rc = CAPOS_E2BIG;
		goto fail;
	}
	capos_ThreadSpawner_spawn_Params_set_entry(&p,
	    (uint64_t)(uintptr_t)rt_thread_entry);
	/* The entry aligns the stack itself before its first call. */
	capos_ThreadSpawner_spawn_Params_set_stack(&p,
	    ((uint64_t)(uintptr_t)t->stack + stack_size) & ~15ull);
	capos_ThreadSpawner_spawn_Params_set_arg(&p, (uint64_t)(uintptr_t)t);
	capos_ThreadSpawner_spawn_Params_set_tls(&p, (uint64_t)(uintptr_t)t);
	rc = rt_call(sp, capos_ThreadSpawner_INTERFACE_ID,
	    capos_ThreadSpawner_spawn_ORDINAL, &b, NULL, 0, buf, sizeof(buf),
	    &res);
	if (rc != 0)
		goto fail;
	r.s = res.root;
	if (capos_ThreadSpawnResult_which(&r) !=
	    capos_ThreadSpawnResult_which_handle ||
	    capos_ThreadSpawnResult_get_handle(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps) {
		rc = RT_VM_NOMEM;
		goto fail;
	}
	t->handle = res.caps[idx].cap;
	*out = t;
	return 0;
fail:
	free(t->stack);
	free(t);
	return rc;
}

int
rt_thread_set_cpu(uint32_t cpu)
{
	capos_cap_t ctl = rt_cap("threadControl",
	    capos_ThreadControl_INTERFACE_ID);
	struct capos_ThreadControl_setCpu_Params_b p;
	uint8_t params[64] __attribute__((aligned(8)));
	uint8_t out[256] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct rt_result res;

	if (ctl == CAPOS_CAP_NULL)
		return RT_NOCAP;
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_ThreadControl_setCpu_Params_init_root(&b, &p) != 0)
		return CAPOS_E2BIG;
	capos_ThreadControl_setCpu_Params_set_cpu(&p, cpu);
	return rt_call(ctl, capos_ThreadControl_INTERFACE_ID,
	    capos_ThreadControl_setCpu_ORDINAL, &b, NULL, 0, out, sizeof(out),
	    &res);
}

int
rt_thread_join(struct rt_thread *t, uint64_t *value)
{
	struct capos_ThreadHandle_join_Results_r r;
	uint8_t buf[128] __attribute__((aligned(8)));
	struct rt_result res;
	int rc;

	rc = rt_call(t->handle, capos_ThreadHandle_INTERFACE_ID,
	    capos_ThreadHandle_join_ORDINAL, NULL, NULL, 0, buf, sizeof(buf),
	    &res);
	if (rc != 0)
		return rc;
	r.s = res.root;
	if (value != NULL)
		*value = capos_ThreadHandle_join_Results_get_value(&r);
	rt_release(t->handle);
	free(t->stack);
	free(t);
	return 0;
}

void
rt_thread_exit(uint64_t value)
{
	capos_cap_t ctl = rt_cap("threadControl",
	    capos_ThreadControl_INTERFACE_ID);
	struct capos_ThreadControl_exit_Params_b p;
	uint8_t params[64] __attribute__((aligned(8)));
	uint8_t buf[256] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct rt_result res;

	rt_flush();
	if (ctl != CAPOS_CAP_NULL &&
	    capnp_builder_init(&b, params, sizeof(params)) == 0 &&
	    capos_ThreadControl_exit_Params_init_root(&b, &p) == 0) {
		capos_ThreadControl_exit_Params_set_value(&p, value);
		(void)rt_call(ctl, capos_ThreadControl_INTERFACE_ID,
		    capos_ThreadControl_exit_ORDINAL, &b, NULL, 0, buf,
		    sizeof(buf), &res);
	}
	/* Without the capability the only way out is the whole process. */
	sys_exit((int32_t)value);
}

int
rt_park_wait(uint32_t *addr, uint32_t expected, uint64_t timeout_ns)
{
	capos_cap_t ps = rt_cap("parkSpace", capos_ParkSpace_INTERFACE_ID);
	struct capos_ParkSpace_wait_Params_b p;
	struct capos_ParkResult_r r;
	uint8_t params[64] __attribute__((aligned(8)));
	uint8_t buf[256] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct rt_result res;
	int rc;

	if (ps == CAPOS_CAP_NULL)
		return RT_NOCAP;
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_ParkSpace_wait_Params_init_root(&b, &p) != 0)
		return CAPOS_E2BIG;
	capos_ParkSpace_wait_Params_set_addr(&p, (uint64_t)(uintptr_t)addr);
	capos_ParkSpace_wait_Params_set_expected(&p, expected);
	capos_ParkSpace_wait_Params_set_timeoutNs(&p, timeout_ns);
	rc = rt_call(ps, capos_ParkSpace_INTERFACE_ID,
	    capos_ParkSpace_wait_ORDINAL, &b, NULL, 0, buf, sizeof(buf), &res);
	if (rc != 0)
		return rc;
	r.s = res.root;
	switch (capos_ParkResult_which(&r)) {
	case capos_ParkResult_which_woken:
		return RT_PARK_WOKEN;
	case capos_ParkResult_which_mismatch:
		return RT_PARK_MISMATCH;
	case capos_ParkResult_which_timedOut:
		return RT_PARK_TIMEDOUT;
	default:
		return CAPOS_EINVAL;
	}
}

int
rt_park_wake(uint32_t *addr, uint32_t count)
{
	capos_cap_t ps = rt_cap("parkSpace", capos_ParkSpace_INTERFACE_ID);
	struct capos_ParkSpace_wake_Params_b p;
	struct capos_ParkSpace_wake_Results_r r;
	uint8_t params[64] __attribute__((aligned(8)));
	uint8_t buf[256] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct rt_result res;
	int rc;

	if (ps == CAPOS_CAP_NULL)
		return RT_NOCAP;
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_ParkSpace_wake_Params_init_root(&b, &p) != 0)
		return CAPOS_E2BIG;
	capos_ParkSpace_wake_Params_set_addr(&p, (uint64_t)(uintptr_t)addr);
	capos_ParkSpace_wake_Params_set_count(&p, count);
	rc = rt_call(ps, capos_ParkSpace_INTERFACE_ID,
	    capos_ParkSpace_wake_ORDINAL, &b, NULL, 0, buf, sizeof(buf), &res);
	if (rc != 0)
		return rc;
	r.s = res.root;
	return (int)capos_ParkSpace_wake_Results_get_woken(&r);
}

/* Three states: 0 free, 1 locked, 2 locked and someone may be parked. */
void
rt_mutex_lock(struct rt_mutex *m)
{
	uint32_t c = 0;

	if (__atomic_compare_exchange_n(&m->state, &c, 1, false,
	    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	if (c != 2)
		c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		(void)rt_park_wait(&m->state, 2, 0);
		c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
	}
}

bool
rt_mutex_trylock(struct rt_mutex *m)
{
	uint32_t c = 0;

	return __atomic_compare_exchange_n(&m->state, &c, 1, false,
	    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

void
rt_mutex_unlock(struct rt_mutex *m)
{
	if (__atomic_fetch_sub(&m->state, 1, __ATOMIC_RELEASE) != 1) {
		__atomic_store_n(&m->state, 0, __ATOMIC_RELEASE);
		(void)rt_park_wake(&m->state, 1);
	}
}

void
rt_cond_wait(struct rt_cond *c, struct rt_mutex *m)
{
	uint32_t seq = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);

	rt_mutex_unlock(m);
	(void)rt_park_wait(&c->seq, seq, 0);
	rt_mutex_lock(m);
}

void
rt_cond_signal(struct rt_cond *c)
{
	__atomic_fetch_add(&c->seq, 1, __ATOMIC_RELEASE);
	(void)rt_park_wake(&c->seq, 1);
}

void
rt_cond_broadcast(struct rt_cond *c)
{
	__atomic_fetch_add(&c->seq, 1, __ATOMIC_RELEASE);
	(void)rt_park_wake(&c->seq, UINT32_MAX);
}

/* States: 0 never run, 1 running, 2 done. */
void
rt_once(struct rt_once *o, void (*fn)(void))
{
	uint32_t c = 0;

	if (__atomic_load_n(&o->state, __ATOMIC_ACQUIRE) == 2)
		return;
	if (__atomic_compare_exchange_n(&o->state, &c, 1, false,
	    __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
		fn();
		__atomic_store_n(&o->state, 2, __ATOMIC_RELEASE);
		(void)rt_park_wake(&o->state, UINT32_MAX);
		return;
	}
	while (__atomic_load_n(&o->state, __ATOMIC_ACQUIRE) != 2)
		(void)rt_park_wait(&o->state, 1, 0);
}

uint64_t
rt_now_ns(void)
{
	capos_cap_t tm = rt_cap("timer", capos_Timer_INTERFACE_ID);
	struct capos_Timer_now_Results_r r;
	uint8_t buf[256] __attribute__((aligned(8)));
	struct rt_result res;

	if (tm == CAPOS_CAP_NULL || rt_call(tm, capos_Timer_INTERFACE_ID,
	    capos_Timer_now_ORDINAL, NULL, NULL, 0, buf, sizeof(buf),
	    &res) != 0)
		return 0;
	r.s = res.root;
	return capos_Timer_now_Results_get_ns(&r);
}

int
rt_sleep_ns(uint64_t ns)
{
	capos_cap_t tm = rt_cap("timer", capos_Timer_INTERFACE_ID);
	struct capos_Timer_sleep_Params_b p;
	uint8_t params[64] __attribute__((aligned(8)));
	uint8_t buf[256] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct rt_result res;

	if (tm == CAPOS_CAP_NULL)
		return RT_NOCAP;
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_Timer_sleep_Params_init_root(&b, &p) != 0)
		return CAPOS_E2BIG;
	capos_Timer_sleep_Params_set_ns(&p, ns);
	return rt_call(tm, capos_Timer_INTERFACE_ID, capos_Timer_sleep_ORDINAL,
	    &b, NULL, 0, buf, sizeof(buf), &res);
}

int
rt_timer_notify(uint64_t delay_ns, uint64_t period_ns, capos_cap_t *out)
{
	capos_cap_t tm = rt_cap("timer", capos_Timer_INTERFACE_ID);
	struct capos_Timer_notify_Params_b p;
	struct capos_Timer_notify_Results_r r;
	uint8_t params[64] __attribute__((aligned(8)));
	uint8_t buf[256] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct rt_result res;
	uint32_t idx;
	int rc;

	if (tm == CAPOS_CAP_NULL)
		return RT_NOCAP;
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_Timer_notify_Params_init_root(&b, &p) != 0)
		return CAPOS_E2BIG;
	capos_Timer_notify_Params_set_delayNs(&p, delay_ns);
	capos_Timer_notify_Params_set_periodNs(&p, period_ns);
	rc = rt_call(tm, capos_Timer_INTERFACE_ID, capos_Timer_notify_ORDINAL,
	    &b, NULL, 0, buf, sizeof(buf), &res);
	if (rc == RT_EXCEPTION &&
	    res.cqe.aux == capos_CapException_Type_overloaded)
		return RT_OVERLOADED;
	if (rc != 0)
		return rc;
	r.s = res.root;
	if (capos_Timer_notify_Results_get_notification(&r, &idx) != 0 ||
	    idx >= res.cqe.ncaps)
		return CAPOS_EINVAL;
	*out = res.caps[idx].cap;
	return 0;
}
