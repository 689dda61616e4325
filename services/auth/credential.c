/*
 * Password records and the failure policy (credential.h).
 */
#include <string.h>

#include "crypto.h"
#include "credential.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Reads a decimal field ended by '$'; advances *pos past the '$'. */
static int
read_num(const char *s, size_t len, size_t *pos, uint32_t *out)
{
	uint64_t v = 0;
	size_t i = *pos;

	if (i >= len || s[i] < '0' || s[i] > '9')
		return -1;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	if (i >= len || s[i] != '$')
		return -1;
	*out = (uint32_t)v;
	*pos = i + 1;
	return 0;
}

static int
read_hex(const char *s, size_t len, size_t *pos, uint8_t *out, size_t n)
{
	size_t i = *pos;

	if (len - i < 2 * n)
		return -1;
	for (size_t k = 0; k < n; k++) {
		int hi = hexval(s[i + 2 * k]), lo = hexval(s[i + 2 * k + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[k] = (uint8_t)(hi << 4 | lo);
	}
	*pos = i + 2 * n;
	return 0;
}

static bool
params_ok(uint32_t n, uint32_t r, uint32_t p)
{
	return n >= PW_N_MIN && n <= PW_N_MAX && (n & (n - 1)) == 0 &&
	    r >= 1 && r <= PW_R_MAX && p >= 1 && p <= PW_P_MAX;
}

int
pw_parse(const char *s, size_t len, struct pw_record *out)
{
	size_t pos = 7;

	memset(out, 0, sizeof(*out));
	if (len < pos || memcmp(s, "scrypt$", 7) != 0 ||
	    read_num(s, len, &pos, &out->n) != 0 ||
	    read_num(s, len, &pos, &out->r) != 0 ||
	    read_num(s, len, &pos, &out->p) != 0 ||
	    !params_ok(out->n, out->r, out->p) ||
	    read_hex(s, len, &pos, out->salt, PW_SALT_LEN) != 0 ||
	    pos >= len || s[pos++] != '$' ||
	    read_hex(s, len, &pos, out->hash, PW_HASH_LEN) != 0 || pos != len) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

static size_t
put_num(char *p, uint32_t v)
{
	char tmp[11];
	size_t n = 0, k = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0)
		p[k++] = tmp[--n];
	return k;
}

static size_t
put_hex(char *p, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		p[2 * i] = digits[b[i] >> 4];
		p[2 * i + 1] = digits[b[i] & 15];
	}
	return 2 * n;
}

int
pw_format(const struct pw_record *rec, char *out, size_t room)
{
	size_t k = 0;

	if (room < PW_RECORD_MAX + 1)
		return -1;
	memcpy(out, "scrypt$", 7);
	k = 7;
	k += put_num(out + k, rec->n);
	out[k++] = '$';
	k += put_num(out + k, rec->r);
	out[k++] = '$';
	k += put_num(out + k, rec->p);
	out[k++] = '$';
	k += put_hex(out + k, rec->salt, PW_SALT_LEN);
	out[k++] = '$';
	k += put_hex(out + k, rec->hash, PW_HASH_LEN);
	out[k] = '\0';
	return 0;
}

int
pw_make(const void *pw, size_t len, const uint8_t salt[PW_SALT_LEN],
    uint32_t n, uint32_t r, uint32_t p, struct pw_record *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (!params_ok(n, r, p))
		return -1;
	out->n = n;
	out->r = r;
	out->p = p;
	memcpy(out->salt, salt, PW_SALT_LEN);
	rc = crypto_scrypt(pw, len, salt, PW_SALT_LEN, n, r, p, out->hash,
	    PW_HASH_LEN);
	return rc == 0 ? 0 : -1;
}

int
pw_verify(const struct pw_record *rec, const void *pw, size_t len)
{
	uint8_t key[PW_HASH_LEN];
	int rc;

	rc = crypto_scrypt(pw, len, rec->salt, PW_SALT_LEN, rec->n, rec->r,
	    rec->p, key, sizeof(key));
	if (rc != 0) {
		crypto_wipe(key, sizeof(key));
		return rc;
	}
	rc = crypto_memcmp(key, rec->hash, PW_HASH_LEN) == 0 ? 0 : 1;
	crypto_wipe(key, sizeof(key));
	return rc;
}

bool
fail_locked(const struct fail_state *st, uint64_t now_ns)
{
	return st->locked_until_ns != 0 && now_ns < st->locked_until_ns;
}

void
fail_count(struct fail_state *st, uint64_t now_ns)
{
	/* A lock that has run out starts a fresh run of failures. */
	if (st->locked_until_ns != 0 && now_ns >= st->locked_until_ns) {
		st->failures = 0;
		st->locked_until_ns = 0;
	}
	if (st->failures < UINT32_MAX)
		st->failures++;
	st->last_ns = now_ns;
	if (st->failures >= FAIL_LOCK_AFTER && st->locked_until_ns == 0)
		st->locked_until_ns = now_ns + FAIL_LOCK_NS;
}

uint64_t
fail_delay(const struct fail_state *st)
{
	uint64_t d = FAIL_DELAY_NS;

	if (st->failures == 0)
		return 0;
	for (uint32_t i = 1; i < st->failures && d < FAIL_DELAY_MAX_NS; i++)
		d <<= 1;
	return d < FAIL_DELAY_MAX_NS ? d : FAIL_DELAY_MAX_NS;
}

struct fail_state *
fail_source(struct fail_source *tab, const char *name, size_t len,
    uint64_t now_ns)
{
	struct fail_source *victim = NULL;

	/* An empty name still needs a non-empty key; a long one is cut to
	 * the table's width, so sources differing only past it share one. */
	if (len == 0) {
		name = "-";
		len = 1;
	}
	if (len > FAIL_SOURCE_MAX)
		len = FAIL_SOURCE_MAX;
	for (int i = 0; i < FAIL_SOURCES; i++)
		if (tab[i].name[0] != '\0' && strlen(tab[i].name) == len &&
		    memcmp(tab[i].name, name, len) == 0)
			return &tab[i].st;
	for (int i = 0; i < FAIL_SOURCES; i++) {
		if (tab[i].name[0] == '\0') {
			victim = &tab[i];
			break;
		}
		if (fail_locked(&tab[i].st, now_ns))
			continue;
		if (victim == NULL || tab[i].st.last_ns < victim->st.last_ns)
			victim = &tab[i];
	}
	if (victim == NULL)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->name, name, len);
	return &victim->st;
}
