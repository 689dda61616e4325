/*
 * Client stubs for the Chat interface (schema/chat.capnp).
 */
#ifndef CAPOS_SVC_CHAT_H
#define CAPOS_SVC_CHAT_H

#include "chat.capnp.h"
#include "rt.h"

/* Each returns 0 on success, a CHAT_* outcome, or an rt/transport error. */
#define CHAT_NAME_TAKEN		1
#define CHAT_BAD_NAME		2
#define CHAT_FULL		3
#define CHAT_ALREADY_JOINED	4
#define CHAT_NOT_JOINED		5
#define CHAT_TOO_LONG		6

int chat_join(capos_cap_t chat, const char *name);
int chat_leave(capos_cap_t chat);
/* On success *seq is the message's sequence number. */
int chat_send(capos_cap_t chat, const char *text, uint64_t *seq);

struct chat_msg {
	uint64_t seq;
	char from[32];
	char text[capos_Chat_maxText + 1];
};

/* Fetches up to max messages after `after`; returns how many, or < 0
 * (-CHAT_NOT_JOINED when this session has not joined). */
int chat_poll(capos_cap_t chat, uint64_t after, struct chat_msg *out,
    int max);

#endif
