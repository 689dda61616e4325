/*
 * Client stubs for the Chat interface.
 */
#include <string.h>

#include "chat.h"

static uint8_t params[2048] __attribute__((aligned(8)));
static uint8_t result[16384] __attribute__((aligned(8)));

static int
call(capos_cap_t chat, uint16_t method, struct capnp_builder *b,
    struct rt_result *res)
{
	return rt_call(chat, capos_Chat_INTERFACE_ID, method, b, NULL, 0,
	    result, sizeof(result), res);
}

int
chat_join(capos_cap_t chat, const char *name)
{
	struct capos_Chat_join_Params_b p;
	struct capos_Chat_JoinResult_r r;
	struct capnp_builder b;
	struct rt_result res;
	int rc;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_Chat_join_Params_init_root(&b, &p) != 0 ||
	    capos_Chat_join_Params_set_name(&p, name, strlen(name)) != 0)
		return CAPOS_E2BIG;
	if ((rc = call(chat, capos_Chat_join_ORDINAL, &b, &res)) != 0)
		return rc;
	r.s = res.root;
	switch (capos_Chat_JoinResult_which(&r)) {
	case capos_Chat_JoinResult_which_ok:
		return 0;
	case capos_Chat_JoinResult_which_nameTaken:
		return CHAT_NAME_TAKEN;
	case capos_Chat_JoinResult_which_badName:
		return CHAT_BAD_NAME;
	case capos_Chat_JoinResult_which_full:
		return CHAT_FULL;
	default:
		return CHAT_ALREADY_JOINED;
	}
}

int
chat_leave(capos_cap_t chat)
{
	struct rt_result res;

	return call(chat, capos_Chat_leave_ORDINAL, NULL, &res);
}

int
chat_send(capos_cap_t chat, const char *text, uint64_t *seq)
{
	struct capos_Chat_send_Params_b p;
	struct capos_Chat_SendResult_r r;
	struct capnp_builder b;
	struct rt_result res;
	int rc;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_Chat_send_Params_init_root(&b, &p) != 0 ||
	    capos_Chat_send_Params_set_text(&p, text, strlen(text)) != 0)
		return CAPOS_E2BIG;
	if ((rc = call(chat, capos_Chat_send_ORDINAL, &b, &res)) != 0)
		return rc;
	r.s = res.root;
	switch (capos_Chat_SendResult_which(&r)) {
	case capos_Chat_SendResult_which_ok:
		*seq = capos_Chat_SendResult_get_ok(&r);
		return 0;
	case capos_Chat_SendResult_which_notJoined:
		return CHAT_NOT_JOINED;
	default:
		return CHAT_TOO_LONG;
	}
}

static void
copy_text(char *dst, size_t max, const struct capnp_text *t)
{
	size_t n = t->len < max - 1 ? t->len : max - 1;

	memcpy(dst, t->str, n);
	dst[n] = '\0';
}

int
chat_poll(capos_cap_t chat, uint64_t after, struct chat_msg *out, int max)
{
	struct capos_Chat_poll_Params_b p;
	struct capos_Chat_poll_Results_r r;
	struct capos_Chat_Message_r m;
	struct capnp_builder b;
	struct capnp_list list;
	struct capnp_text t;
	struct rt_result res;
	int rc;

	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_Chat_poll_Params_init_root(&b, &p) != 0)
		return CAPOS_E2BIG;
	capos_Chat_poll_Params_set_after(&p, after);
	capos_Chat_poll_Params_set_max(&p, (uint32_t)max);
	if ((rc = call(chat, capos_Chat_poll_ORDINAL, &b, &res)) != 0)
		return rc;
	r.s = res.root;
	if (capos_Chat_poll_Results_get_notJoined(&r))
		return -CHAT_NOT_JOINED;
	if (capos_Chat_poll_Results_get_messages(&r, &list) != 0)
		return CAPOS_EINVAL;
	for (uint32_t i = 0; i < list.n && (int)i < max; i++) {
		if (capos_Chat_Message_at(&list, i, &m) != 0)
			return CAPOS_EINVAL;
		out[i].seq = capos_Chat_Message_get_seq(&m);
		if (capos_Chat_Message_get_from(&m, &t) != 0)
			return CAPOS_EINVAL;
		copy_text(out[i].from, sizeof(out[i].from), &t);
		if (capos_Chat_Message_get_text(&m, &t) != 0)
			return CAPOS_EINVAL;
		copy_text(out[i].text, sizeof(out[i].text), &t);
	}
	return (int)(list.n < (uint32_t)max ? list.n : (uint32_t)max);
}
