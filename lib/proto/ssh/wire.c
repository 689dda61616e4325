/*
 * The SSH wire encodings (RFC 4251 5): bounded reads from a received
 * message and bounded writes into the output buffer.
 */
#include <string.h>

#include "ssh_int.h"

uint32_t
ssh_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

void
ssh_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

uint8_t
ssh_rd_u8(struct ssh_rd *r)
{
	if (r->bad || r->n < 1) {
		r->bad = true;
		return 0;
	}
	r->n--;
	return *r->p++;
}

uint32_t
ssh_rd_u32(struct ssh_rd *r)
{
	uint32_t v;

	if (r->bad || r->n < 4) {
		r->bad = true;
		return 0;
	}
	v = ssh_get_u32(r->p);
	r->p += 4;
	r->n -= 4;
	return v;
}

const uint8_t *
ssh_rd_str(struct ssh_rd *r, size_t *len)
{
	const uint8_t *s;
	uint32_t n = ssh_rd_u32(r);

	if (r->bad || n > r->n) {
		r->bad = true;
		*len = 0;
		return (const uint8_t *)"";
	}
	s = r->p;
	r->p += n;
	r->n -= n;
	*len = n;
	return s;
}

bool
ssh_str_is(const uint8_t *s, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(s, name, len) == 0;
}

bool
ssh_list_has(const uint8_t *list, size_t len, const char *name)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i == len || list[i] == ',') {
			if (ssh_str_is(list + start, i - start, name))
				return true;
			start = i + 1;
		}
	}
	return false;
}

void
ssh_wr_bytes(struct ssh_wr *w, const void *p, size_t n)
{
	if (w->bad || n > w->room - w->len) {
		w->bad = true;
		return;
	}
	memcpy(w->p + w->len, p, n);
	w->len += n;
}

void
ssh_wr_u8(struct ssh_wr *w, uint8_t v)
{
	ssh_wr_bytes(w, &v, 1);
}

void
ssh_wr_u32(struct ssh_wr *w, uint32_t v)
{
	uint8_t b[4];

	ssh_put_u32(b, v);
	ssh_wr_bytes(w, b, 4);
}

void
ssh_wr_str(struct ssh_wr *w, const void *p, size_t n)
{
	if (n > UINT32_MAX) {
		w->bad = true;
		return;
	}
	ssh_wr_u32(w, (uint32_t)n);
	ssh_wr_bytes(w, p, n);
}

void
ssh_wr_cstr(struct ssh_wr *w, const char *s)
{
	ssh_wr_str(w, s, strlen(s));
}

void
ssh_wr_mpint(struct ssh_wr *w, const uint8_t *num, size_t n)
{
	/* Leading zero bytes are dropped; a set top bit needs a zero byte
	 * in front, or the number would read as negative. */
	while (n > 0 && num[0] == 0) {
		num++;
		n--;
	}
	if (n > 0 && (num[0] & 0x80)) {
		ssh_wr_u32(w, (uint32_t)n + 1);
		ssh_wr_u8(w, 0);
	} else {
		ssh_wr_u32(w, (uint32_t)n);
	}
	ssh_wr_bytes(w, num, n);
}
