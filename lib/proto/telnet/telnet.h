/*
 * The Telnet NVT engine's interface (lib/proto/telnet/telnet.c holds the
 * state machines and their bounds; docs/telnet.md describes both). The
 * engine is pure: bytes in, bytes and events out. It does no I/O and
 * never allocates, so the gateway, the host unit tests and the fuzzer run
 * the same code over the same fixed-size state.
 */
#ifndef CAPOS_PROTO_TELNET_H
#define CAPOS_PROTO_TELNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Commands (RFC 854). */
#define TELNET_SE	240
#define TELNET_NOP	241
#define TELNET_DM	242
#define TELNET_BRK	243
#define TELNET_IP	244
#define TELNET_AO	245
#define TELNET_AYT	246
#define TELNET_EC	247
#define TELNET_EL	248
#define TELNET_GA	249
#define TELNET_SB	250
#define TELNET_WILL	251
#define TELNET_WONT	252
#define TELNET_DO	253
#define TELNET_DONT	254
#define TELNET_IAC	255

/* Options the engine knows (RFC 857, 858, 1073). */
#define TELNET_OPT_ECHO	1
#define TELNET_OPT_SGA	3
#define TELNET_OPT_NAWS	31

/*
 * Bounds. TELNET_SB_MAX is the largest subnegotiation body kept (the
 * option byte not counted, doubled IACs counted once); NAWS needs 4.
 * TELNET_OUT_MAX is the queue of bytes the engine itself has to send
 * (negotiation answers, the AYT answer); input that could add to it is
 * not consumed while fewer than TELNET_REPLY_MAX bytes are free.
 */
#define TELNET_SB_MAX		32
#define TELNET_OUT_MAX		64
#define TELNET_REPLY_MAX	16

/* What telnet_input reports, besides data bytes. */
enum telnet_event_kind {
	TELNET_EV_NONE,
	TELNET_EV_WINDOW_SIZE,	/* first NAWS report: size */
	TELNET_EV_RESIZE,	/* every later NAWS report: size */
	TELNET_EV_INTERRUPT,	/* IAC IP or IAC BRK: cmd */
	TELNET_EV_ERASE,	/* IAC EC or IAC EL: cmd */
	TELNET_EV_ABORT_OUTPUT,	/* IAC AO */
	TELNET_EV_OPTION,	/* an option side turned on or off: option */
	TELNET_EV_SB_DISCARDED,	/* a subnegotiation was dropped: sb */
};

enum telnet_side { TELNET_US, TELNET_HIM };

/* Why a subnegotiation was dropped. */
enum telnet_sb_reason {
	TELNET_SB_OVERLONG,	/* body passed TELNET_SB_MAX; rest skipped */
	TELNET_SB_UNTERMINATED,	/* a command other than SE ended it */
	TELNET_SB_MALFORMED,	/* wrong length for its option */
	TELNET_SB_NOT_ENABLED,	/* its option is not on for the peer */
};

struct telnet_event {
	enum telnet_event_kind kind;
	union {
		struct {
			uint16_t width, height;	/* 0: not sent (RFC 1073) */
		} size;
		uint8_t cmd;
		struct {
			uint8_t code;
			enum telnet_side side;
			bool on;
		} option;
		struct {
			uint8_t code;
			enum telnet_sb_reason reason;
		} sb;
	};
};

/* RFC 1143's per-side option states; the queue bit is separate. */
enum telnet_q {
	TELNET_Q_NO,
	TELNET_Q_YES,
	TELNET_Q_WANTNO,
	TELNET_Q_WANTYES,
};

/* Per option: us and him states, their queue bits, refused-once bits. */
struct telnet_opt {
	uint8_t us : 2, usq : 1, him : 2, himq : 1;
	uint8_t us_refused : 1, him_refused : 1;
};

enum telnet_parse {
	TELNET_P_DATA,		/* plain data */
	TELNET_P_CR,		/* a CR is held until the next byte */
	TELNET_P_IAC,		/* IAC seen */
	TELNET_P_OPT,		/* IAC WILL/WONT/DO/DONT seen: cmd */
	TELNET_P_SB,		/* IAC SB seen: the option byte is next */
	TELNET_P_SB_DATA,	/* inside a subnegotiation body */
	TELNET_P_SB_IAC,	/* IAC seen inside a body */
};

struct telnet {
	enum telnet_parse state;
	uint8_t cmd;			/* TELNET_P_OPT: which verb */
	uint8_t sb_opt;			/* the subnegotiation's option */
	bool sb_skip;			/* overlong: reported, now skipping */
	uint8_t sb_len;			/* 0..TELNET_SB_MAX */
	uint8_t sb[TELNET_SB_MAX];
	bool have_size;			/* a NAWS report was delivered */
	bool out_cr;			/* encoder: last data byte sent was CR */
	uint16_t out_len;		/* 0..TELNET_OUT_MAX */
	uint8_t out[TELNET_OUT_MAX];
	struct telnet_opt opt[256];	/* indexed by the option byte */
};

/* Error codes of telnet_ask. */
#define TELNET_EALREADY		(-1)	/* already in, or heading to, that state */
#define TELNET_EREFUSED		(-2)	/* the engine does not support it */
#define TELNET_ENOSPACE		(-3)	/* the reply queue is full: drain it */

void telnet_init(struct telnet *t);
size_t telnet_input(struct telnet *t, const uint8_t *in, size_t len,
    uint8_t *data, size_t cap, size_t *ndata, struct telnet_event *ev);
size_t telnet_take_output(struct telnet *t, uint8_t *out, size_t cap);
size_t telnet_encode(struct telnet *t, const uint8_t *in, size_t len,
    size_t *consumed, uint8_t *out, size_t cap);
int telnet_ask(struct telnet *t, enum telnet_side side, uint8_t code,
    bool on);
bool telnet_enabled(const struct telnet *t, enum telnet_side side,
    uint8_t code);

#endif
