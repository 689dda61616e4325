/*
 * chat-client: joins the chat under the name in its first argument and
 * talks to the bot. With "impostor" as second argument it instead tries to
 * get a message attributed to another member, and checks that the server
 * names every message after the session that really sent it.
 */
#include <string.h>

#include "chat.h"

#define POLL_LIMIT	200000

static struct chat_msg msgs[32];
static const char *me;

/* Polls until a message matching want() arrives; returns it or NULL. */
static const struct chat_msg *
wait_for(capos_cap_t chat, bool (*want)(const struct chat_msg *))
{
	uint64_t after = 0;

	for (int i = 0; i < POLL_LIMIT; i++) {
		int n = chat_poll(chat, after, msgs, 32);

		if (n < 0) {
			rt_printf("[%s] poll failed (%d)\n", me, n);
			return NULL;
		}
		for (int k = 0; k < n; k++) {
			after = msgs[k].seq;
			if (want(&msgs[k]))
				return &msgs[k];
		}
	}
	rt_printf("[%s] gave up waiting\n", me);
	return NULL;
}

/* The bot's answer to our own greeting. Only the whole text will do: the
 * bot also answers other members, and their words may name us (mallory's
 * "I am alice"), in whatever order the server took them. */
static bool
is_reply_to_me(const struct chat_msg *m)
{
	/* Two names of at most sizeof(m->from) - 1 bytes (main checks). */
	char want[2 * sizeof(m->from) + 32];

	strcpy(want, "hi ");
	strcat(want, me);
	strcat(want, ", you said: hello from ");
	strcat(want, me);
	return strcmp(m->from, "bot") == 0 && strcmp(m->text, want) == 0;
}

static bool
is_forgery(const struct chat_msg *m)
{
	return strstr(m->text, "I am alice") != NULL;
}

static int
talk(capos_cap_t chat)
{
	const struct chat_msg *m;
	uint64_t seq;
	char line[64];

	strcpy(line, "hello from ");
	strcat(line, me);
	if (chat_send(chat, line, &seq) != 0)
		return 1;
	if ((m = wait_for(chat, is_reply_to_me)) == NULL)
		return 1;
	rt_debug("[proof] chat-flow ok %s got \"%s\"\n", me, m->text);
	return 0;
}

static int
impostor(capos_cap_t chat)
{
	const struct chat_msg *m;
	uint64_t seq;
	int rc;

	/* One session, one name: joining again under another is refused. */
	if ((rc = chat_join(chat, "alice")) != CHAT_ALREADY_JOINED) {
		rt_printf("[%s] second join gave %d\n", me, rc);
		return 1;
	}
	if (chat_send(chat, "I am alice", &seq) != 0 ||
	    (m = wait_for(chat, is_forgery)) == NULL)
		return 1;
	if (strcmp(m->from, me) != 0) {
		rt_printf("[%s] forged message attributed to %s\n",
		    me, m->from);
		return 1;
	}
	rt_debug("[proof] chat-identity ok forged text attributed to %s\n",
	    m->from);
	return 0;
}

int
main(void)
{
	capos_cap_t chat = rt_cap("chat", capos_Chat_INTERFACE_ID);
	const char *role = rt_argv(1);
	uint64_t seq;
	int rc;

	me = rt_argv(0);
	/* A member's name fits a message's `from` (struct chat_msg). */
	if (chat == CAPOS_CAP_NULL || me == NULL ||
	    strlen(me) >= sizeof(msgs[0].from)) {
		rt_printf("[chat-client] usage: chat-client NAME [impostor], "
		    "with a \"chat\" capability\n");
		return 2;
	}
	if ((rc = chat_join(chat, me)) != 0) {
		rt_printf("[%s] join failed (%d)\n", me, rc);
		return 1;
	}
	rc = role != NULL && strcmp(role, "impostor") == 0 ? impostor(chat) :
	    talk(chat);
	if (chat_send(chat, "bye", &seq) != 0 || chat_leave(chat) != 0)
		rc = 1;
	return rc;
}
