/*
 * libFuzzer target for lib/proto/termstream: a browser's messages fed one
 * by one to a gateway session, as the web gateway will after each
 * WebSocket message, with the gateway's own writes (welcome, output,
 * grants) between them. The first byte sets the gateway's initial window
 * (byte * 64 + 1); the rest is a sequence of messages, each a 2-byte
 * big-endian length and that many bytes (a length past what is left
 * takes the rest). Every result must be 0 with an event that lies inside
 * the message, or a documented error that closes the session; neither
 * window may ever exceed TS_MAX_WINDOW; data received never exceeds
 * what was granted, and output written never exceeds what was credited.
 *
 *	make fuzz && build/fuzz/termstream_messages -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "termstream.h"

static bool
documented(int rc)
{
	switch (rc) {
	case TS_EMALFORMED: case TS_ESTATE: case TS_EFLOW: case TS_EVERSION:
		return true;
	default:
		return false;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t id[TS_ID_LEN] = { 7 };
	static uint8_t out[TS_MAX_MESSAGE];
	static uint8_t fill[TS_MAX_DATA];
	struct ts_server s;
	struct ts_event ev;
	uint64_t granted, received = 0, credited = 0, sent = 0;
	size_t at = 1, taken;
	bool welcomed = false;

	if (size < 1)
		return 0;
	granted = (uint64_t)data[0] * 64 + 1;
	if (ts_server_init(&s, id, (uint32_t)granted) != 0)
		abort();
	while (at < size) {
		size_t len = size - at >= 2 ? (size_t)(data[at] << 8 |
		    data[at + 1]) : 0;
		const uint8_t *msg;
		int rc;

		at += size - at >= 2 ? 2 : size - at;
		if (len > size - at)
			len = size - at;
		msg = data + at;
		at += len;
		rc = ts_server_receive(&s, msg, len, &ev);
		if (rc != 0) {
			if (s.phase != TS_P_CLOSED)
				abort();
			if (rc == TS_ECLOSED)
				return 0;
			if (!documented(rc) || ts_close_code(rc) < 4000 ||
			    ts_write_close(&s, ts_close_code(rc), "bye", out,
			    sizeof(out)) != 6)
				abort();
			if (ts_server_receive(&s, msg, len, &ev) != TS_ECLOSED)
				abort();
			return 0;
		}
		if (ev.len > 0 && (ev.data < msg || ev.data + ev.len >
		    msg + len))
			abort();
		switch (ev.type) {
		case TS_EV_HELLO:
			credited += s.out_window;
			if (ts_write_welcome(&s, out, sizeof(out)) != 22)
				abort();
			welcomed = true;
			break;
		case TS_EV_INPUT:
		case TS_EV_PASTE:
			received += ev.len;
			if (!welcomed || received > granted)
				abort();
			/* The terminal takes it all: grant it back. */
			if (ev.len > 0) {
				if (ts_write_grant(&s, (uint32_t)ev.len, out,
				    sizeof(out)) != 5)
					abort();
				granted += ev.len;
			}
			break;
		case TS_EV_CREDIT:
			credited += (uint32_t)msg[1] << 24 |
			    (uint32_t)msg[2] << 16 | (uint32_t)msg[3] << 8 |
			    msg[4];
			break;
		case TS_EV_RESIZE:
			if (ev.cols == 0 || ev.cols > TS_MAX_COLS ||
			    ev.rows == 0 || ev.rows > TS_MAX_ROWS)
				abort();
			break;
		case TS_EV_CANCEL:
			break;
		case TS_EV_ENROL:
			if (!welcomed || !s.in_enrol)
				abort();
			break;
		case TS_EV_ENROLLED:
			/* Both parts inside the message, within their bounds;
			 * the gateway answers, which closes the enrolment. */
			if (ev.len == 0 || ev.len > TS_MAX_CLIENT_DATA ||
			    ev.len2 == 0 || ev.len2 > TS_MAX_ATTESTATION ||
			    ev.data2 != ev.data + ev.len ||
			    ev.data2 + ev.len2 != msg + len ||
			    ts_write_enrol_result(&s, 0, out, sizeof(out)) != 3)
				abort();
			break;
		case TS_EV_CLOSE:
			if (ev.len > TS_MAX_REASON || s.phase != TS_P_CLOSED)
				abort();
			return 0;
		}
		if (s.in_window > TS_MAX_WINDOW || s.out_window > TS_MAX_WINDOW)
			abort();
		/* A producer with more than any window: output stops at the
		 * credit, never past it. */
		if (welcomed) {
			int n = ts_write_output(&s, fill, sizeof(fill), out,
			    sizeof(out), &taken);

			if (n < 0 || (n > 0 && (size_t)n != taken + 1))
				abort();
			sent += taken;
			if (sent > credited)
				abort();
		}
	}
	return 0;
}
