/*
 * chat-bot: joins the chat as "bot" and answers every message. It leaves
 * once it has seen as many "bye" messages as its first argument says.
 */
#include <string.h>

#include "chat.h"

#define POLL_LIMIT	400000

static struct chat_msg msgs[32];

static int
parse_count(const char *s)
{
	int n = 0;

	while (s != NULL && *s >= '0' && *s <= '9' && n < 1000)
		n = n * 10 + (*s++ - '0');
	return n > 0 ? n : 1;
}

int
main(void)
{
	capos_cap_t chat = rt_cap("chat", capos_Chat_INTERFACE_ID);
	int byes_wanted = parse_count(rt_argv(0)), byes = 0, answered = 0;
	uint64_t after = 0, seq;
	char line[capos_Chat_maxText];

	if (chat == CAPOS_CAP_NULL || chat_join(chat, "bot") != 0) {
		rt_printf("[chat-bot] cannot join the chat\n");
		return 1;
	}
	for (int i = 0; i < POLL_LIMIT && byes < byes_wanted; i++) {
		int n = chat_poll(chat, after, msgs, 32);

		if (n < 0)
			return 1;
		for (int k = 0; k < n; k++) {
			after = msgs[k].seq;
			if (strcmp(msgs[k].from, "bot") == 0)
				continue;
			if (strcmp(msgs[k].text, "bye") == 0) {
				byes++;
				continue;
			}
			strcpy(line, "hi ");
			strcat(line, msgs[k].from);
			strcat(line, ", you said: ");
			strncat(line, msgs[k].text, 200);
			if (chat_send(chat, line, &seq) == 0)
				answered++;
		}
	}
	rt_debug("[chat-bot] answered %d messages, saw %d of %d goodbyes\n",
	    answered, byes, byes_wanted);
	chat_leave(chat);
	return byes == byes_wanted ? 0 : 1;
}
