/*
 * chat: a chat room served on the "chat" export. Members are keyed by the
 * session reference the kernel attaches to each call; the sender's name on
 * a message is the one its session joined with, never anything the caller
 * writes. The server ends when no client capability to it is left.
 */
#include <string.h>

#include "chat.capnp.h"
#include "rt.h"

#define MAX_MEMBERS	16
#define NAME_LEN	24
#define HISTORY		128
#define POLL_MAX	32

struct member {
	bool used;
	uint8_t session[16];
	uint64_t epoch;
	char name[NAME_LEN + 1];
};

struct message {
	uint64_t seq;
	char from[NAME_LEN + 1];
	uint32_t len;
	char text[capos_Chat_maxText];
};

static struct member members[MAX_MEMBERS];
static struct message history[HISTORY];
static uint64_t last_seq;

static struct member *
member_of(const struct rt_request *rq)
{
	for (int i = 0; i < MAX_MEMBERS; i++)
		if (members[i].used &&
		    memcmp(members[i].session, rq->hdr->session, 16) == 0 &&
		    members[i].epoch == rq->hdr->epoch)
			return &members[i];
	return NULL;
}

static bool
good_name(const struct capnp_text *t)
{
	if (t->len == 0 || t->len > NAME_LEN)
		return false;
	for (uint32_t i = 0; i < t->len; i++) {
		char c = t->str[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int
do_join(void *ctx, struct rt_request *rq)
{
	struct capos_Chat_join_Params_r p = { rq->params };
	struct capos_Chat_JoinResult_b r;
	struct member *m = member_of(rq), *free_slot = NULL;
	struct capnp_text name;

	(void)ctx;
	if (capos_Chat_JoinResult_init_root(&rq->reply, &r) != 0)
		return -1;
	if (m != NULL)
		return capos_Chat_JoinResult_set_alreadyJoined(&r, m->name,
		    strlen(m->name));
	if (capos_Chat_join_Params_get_name(&p, &name) != 0 ||
	    !good_name(&name)) {
		capos_Chat_JoinResult_set_badName(&r);
		return 0;
	}
	for (int i = 0; i < MAX_MEMBERS; i++) {
		if (!members[i].used) {
			if (free_slot == NULL)
				free_slot = &members[i];
		} else if (strlen(members[i].name) == name.len &&
		    memcmp(members[i].name, name.str, name.len) == 0) {
			capos_Chat_JoinResult_set_nameTaken(&r);
			return 0;
		}
	}
	if (free_slot == NULL) {
		capos_Chat_JoinResult_set_full(&r);
		return 0;
	}
	free_slot->used = true;
	memcpy(free_slot->session, rq->hdr->session, 16);
	free_slot->epoch = rq->hdr->epoch;
	memcpy(free_slot->name, name.str, name.len);
	free_slot->name[name.len] = '\0';
	rt_info("[chat] %s joined\n", free_slot->name);
	capos_Chat_JoinResult_set_ok(&r);
	return 0;
}

static int
do_leave(void *ctx, struct rt_request *rq)
{
	struct capos_Chat_leave_Results_b r;
	struct member *m = member_of(rq);

	(void)ctx;
	if (capos_Chat_leave_Results_init_root(&rq->reply, &r) != 0)
		return -1;
	capos_Chat_leave_Results_set_wasJoined(&r, m != NULL);
	if (m != NULL) {
		rt_info("[chat] %s left\n", m->name);
		memset(m, 0, sizeof(*m));
	}
	return 0;
}

static int
do_send(void *ctx, struct rt_request *rq)
{
	struct capos_Chat_send_Params_r p = { rq->params };
	struct capos_Chat_SendResult_b r;
	struct member *m = member_of(rq);
	struct capnp_text text;
	struct message *msg;

	(void)ctx;
	if (capos_Chat_SendResult_init_root(&rq->reply, &r) != 0)
		return -1;
	if (m == NULL) {
		capos_Chat_SendResult_set_notJoined(&r);
		return 0;
	}
	if (capos_Chat_send_Params_get_text(&p, &text) != 0)
		return rt_reply_exception(rq, capos_CapException_Type_failed,
		    "malformed text");
	if (text.len > capos_Chat_maxText) {
		capos_Chat_SendResult_set_tooLong(&r);
		return 0;
	}
	msg = &history[++last_seq % HISTORY];
	msg->seq = last_seq;
	strcpy(msg->from, m->name);
	memcpy(msg->text, text.str, text.len);
	msg->len = text.len;
	rt_info("[chat] #%llu %s: %.*s\n", (unsigned long long)msg->seq,
	    msg->from, (int)msg->len, msg->text);
	capos_Chat_SendResult_set_ok(&r, msg->seq);
	return 0;
}

static int
do_who(void *ctx, struct rt_request *rq)
{
	struct capos_Chat_who_Results_b r;
	struct capnp_lb names;
	uint32_t n = 0, k = 0;

	(void)ctx;
	for (int i = 0; i < MAX_MEMBERS; i++)
		n += members[i].used;
	if (capos_Chat_who_Results_init_root(&rq->reply, &r) != 0 ||
	    capos_Chat_who_Results_init_names(&r, n, &names) != 0)
		return -1;
	for (int i = 0; i < MAX_MEMBERS; i++)
		if (members[i].used && capnp_lb_set_text(&names, k++,
		    members[i].name, strlen(members[i].name)) != 0)
			return -1;
	return 0;
}

static int
do_poll(void *ctx, struct rt_request *rq)
{
	struct capos_Chat_poll_Params_r p = { rq->params };
	struct capos_Chat_poll_Results_b r;
	struct capos_Chat_Message_b mb;
	struct capnp_lb list;
	uint64_t after = capos_Chat_poll_Params_get_after(&p), first;
	uint32_t max = capos_Chat_poll_Params_get_max(&p), n;

	(void)ctx;
	if (capos_Chat_poll_Results_init_root(&rq->reply, &r) != 0)
		return -1;
	if (member_of(rq) == NULL) {
		capos_Chat_poll_Results_set_notJoined(&r, true);
		return 0;
	}
	/* Only what the history still holds. */
	first = after + 1;
	if (last_seq >= HISTORY && first <= last_seq - HISTORY)
		first = last_seq - HISTORY + 1;
	n = first > last_seq ? 0 : (uint32_t)(last_seq - first + 1);
	if (max > POLL_MAX)
		max = POLL_MAX;
	if (n > max)
		n = max;
	if (capos_Chat_poll_Results_init_messages(&r, n, &list) != 0)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		const struct message *m = &history[(first + i) % HISTORY];

		if (capos_Chat_Message_b_at(&list, i, &mb) != 0 ||
		    capos_Chat_Message_set_from(&mb, m->from,
		    strlen(m->from)) != 0 ||
		    capos_Chat_Message_set_text(&mb, m->text, m->len) != 0)
			return -1;
		capos_Chat_Message_set_seq(&mb, m->seq);
	}
	return 0;
}

static const struct rt_method chat_methods[] = {
	{ capos_Chat_INTERFACE_ID, capos_Chat_join_ORDINAL, do_join },
	{ capos_Chat_INTERFACE_ID, capos_Chat_leave_ORDINAL, do_leave },
	{ capos_Chat_INTERFACE_ID, capos_Chat_send_ORDINAL, do_send },
	{ capos_Chat_INTERFACE_ID, capos_Chat_who_ORDINAL, do_who },
	{ capos_Chat_INTERFACE_ID, capos_Chat_poll_ORDINAL, do_poll },
};

int
main(void)
{
	capos_cap_t ep = rt_cap("chat", capos_Endpoint_INTERFACE_ID);
	int rc;

	if (ep == CAPOS_CAP_NULL) {
		rt_printf("[chat] no \"chat\" endpoint to serve\n");
		return 1;
	}
	rc = rt_serve(ep, chat_methods, sizeof(chat_methods) /
	    sizeof(chat_methods[0]), NULL);
	if (rc != CAPOS_EPEER) {
		rt_printf("[chat] stopped: %s\n", rt_strerror(rc));
		return 1;
	}
	rt_debug("[chat] no clients left; %llu messages served\n",
	    (unsigned long long)last_seq);
	return 0;
}
