/*
 * User authentication (RFC 4252): publickey with ssh-ed25519 keys only.
 *
 * A request without a signature is the query form: the authorize
 * callback is asked whether the key may log in, and PK_OK or FAILURE
 * answers. A request with a signature is verified here, over the
 * session id and the request (RFC 4252 7), before the callback is asked;
 * the callback sees the verified bytes so the service can hand them on.
 * The callback may defer the signed form's verdict (SSH_AUTH_LATER):
 * the request then waits, no more input is taken, until ssh_auth_answer.
 * "none" is answered with the list of methods and costs no attempt;
 * every other method, a wrong key type, a bad signature and a denied key
 * are failures, and after SSH_AUTH_TRIES of them the connection ends
 * (SSH_EAUTH). The failure message always lists only "publickey".
 */
#include <string.h>

#include "ssh_int.h"

/* The signed data: string session id, byte 50, string user, string
 * service, string "publickey", bool TRUE, string alg, string key blob. */
#define SIGNED_MAX	(4 + CRYPTO_SHA256_LEN + 1 + 4 + SSH_USER_MAX + \
	4 + 14 + 4 + 9 + 1 + 4 + 11 + 4 + CRYPTO_SSH_ED25519_KEY_BLOB_LEN)

static int
send_failure(struct ssh_conn *c, bool counts)
{
	struct ssh_wr w;

	if (counts && ++c->auth_failures >= SSH_AUTH_TRIES)
		return ssh_fail(c, SSH_EAUTH, DISC_NO_MORE_AUTH_METHODS,
		    "too many authentication failures");
	if (!ssh_pkt_begin(c, &w))
		return ssh_fail(c, SSH_EPROTO, 0, NULL);
	ssh_wr_u8(&w, MSG_USERAUTH_FAILURE);
	ssh_wr_cstr(&w, "publickey");
	ssh_wr_u8(&w, 0);
	return ssh_pkt_end(c, &w);
}

static int
deny(struct ssh_conn *c, struct ssh_event *ev, const char *reason)
{
	ev->type = SSH_EV_DENIED;
	ev->reason = reason;
	return send_failure(c, true);
}

static int
succeed(struct ssh_conn *c, const uint8_t *user, size_t ulen,
    const uint8_t *pub, struct ssh_event *ev)
{
	struct ssh_wr w;

	if (!ssh_pkt_begin(c, &w))
		return ssh_fail(c, SSH_EPROTO, 0, NULL);
	ssh_wr_u8(&w, MSG_USERAUTH_SUCCESS);
	c->state = SSH_ST_OPEN;
	ev->type = SSH_EV_AUTH_OK;
	ev->user = (const char *)user;
	ev->ulen = ulen;
	ev->pub = pub;
	return ssh_pkt_end(c, &w);
}

static int
publickey(struct ssh_conn *c, struct ssh_rd *r, const uint8_t *user,
    size_t ulen, struct ssh_event *ev)
{
	uint8_t pub[CRYPTO_ED25519_PUB_LEN], sig[CRYPTO_ED25519_SIG_LEN];
	uint8_t signed_data[SIGNED_MAX];
	struct ssh_wr w = { signed_data, 0, sizeof(signed_data), false };
	const uint8_t *alg, *blob, *sigblob;
	size_t alen, blen, slen;
	bool has_sig = ssh_rd_u8(r) != 0;

	alg = ssh_rd_str(r, &alen);
	blob = ssh_rd_str(r, &blen);
	sigblob = has_sig ? ssh_rd_str(r, &slen) : NULL;
	if (r->bad)
		return ssh_fail(c, SSH_EPROTO, DISC_PROTOCOL_ERROR,
		    "malformed publickey request");
	if (!ssh_str_is(alg, alen, "ssh-ed25519") ||
	    crypto_ssh_ed25519_parse_key(blob, blen, pub) != 0)
		return deny(c, ev, "ssh-key-type-unsupported");

	if (!has_sig) {
		if (c->cfg.authorize(c->cfg.ctx, (const char *)user, ulen, pub,
		    NULL, 0, NULL) != 0)
			return deny(c, ev, "ssh-key-unknown");
		if (!ssh_pkt_begin(c, &w))
			return ssh_fail(c, SSH_EPROTO, 0, NULL);
		ssh_wr_u8(&w, MSG_USERAUTH_PK_OK);
		ssh_wr_str(&w, alg, alen);
		ssh_wr_str(&w, blob, blen);
		return ssh_pkt_end(c, &w);
	}

	if (crypto_ssh_ed25519_parse_sig(sigblob, slen, sig) != 0)
		return deny(c, ev, "ssh-bad-signature");
	ssh_wr_str(&w, c->session_id, sizeof(c->session_id));
	ssh_wr_u8(&w, MSG_USERAUTH_REQUEST);
	ssh_wr_str(&w, user, ulen);
	ssh_wr_cstr(&w, "ssh-connection");
	ssh_wr_cstr(&w, "publickey");
	ssh_wr_u8(&w, 1);
	ssh_wr_str(&w, alg, alen);
	ssh_wr_str(&w, blob, blen);
	if (w.bad ||
	    crypto_ed25519_verify(pub, signed_data, w.len, sig) != 0)
		return deny(c, ev, "ssh-bad-signature");
	switch (c->cfg.authorize(c->cfg.ctx, (const char *)user, ulen, pub,
	    signed_data, w.len, sig)) {
	case 0:
		return succeed(c, user, ulen, blob + blen -
		    CRYPTO_ED25519_PUB_LEN, ev);
	case SSH_AUTH_LATER:
		/* ulen <= SSH_USER_MAX: ssh_auth_on_request checked it. */
		memcpy(c->auth_user, user, ulen);
		c->auth_ulen = ulen;
		memcpy(c->auth_pub, pub, CRYPTO_ED25519_PUB_LEN);
		c->auth_wait = true;
		return 0;
	default:
		return deny(c, ev, "ssh-key-unknown");
	}
}

int
ssh_auth_answer(struct ssh_conn *c, bool allowed, struct ssh_event *ev)
{
	int rc;

	memset(ev, 0, sizeof(*ev));
	if (c->state == SSH_ST_CLOSED)
		return c->error != 0 ? c->error : SSH_ECLOSED;
	if (!c->auth_wait || c->state != SSH_ST_AUTH)
		return SSH_EPROTO;
	c->auth_wait = false;
	rc = allowed ? succeed(c, c->auth_user, c->auth_ulen, c->auth_pub,
	    ev) : deny(c, ev, "ssh-key-unknown");
	if (rc < 0)
		return rc;
	return c->state == SSH_ST_CLOSED ? c->error : 0;
}

int
ssh_auth_on_request(struct ssh_conn *c, const uint8_t *msg, size_t len,
    struct ssh_event *ev)
{
	struct ssh_rd r = { msg + 1, len - 1, false };
	const uint8_t *user, *service, *method;
	size_t ulen, slen, mlen;

	user = ssh_rd_str(&r, &ulen);
	service = ssh_rd_str(&r, &slen);
	method = ssh_rd_str(&r, &mlen);
	if (r.bad)
		return ssh_fail(c, SSH_EPROTO, DISC_PROTOCOL_ERROR,
		    "malformed authentication request");
	if (!ssh_str_is(service, slen, "ssh-connection"))
		return ssh_fail(c, SSH_EPROTO, DISC_SERVICE_NOT_AVAILABLE,
		    "only ssh-connection is served");
	if (ssh_str_is(method, mlen, "none"))
		return send_failure(c, false);
	if (ulen == 0 || ulen > SSH_USER_MAX || memchr(user, 0, ulen) != NULL)
		return deny(c, ev, "ssh-user-invalid");
	if (ssh_str_is(method, mlen, "publickey"))
		return publickey(c, &r, user, ulen, ev);
	if (ssh_str_is(method, mlen, "password"))
		return deny(c, ev, "ssh-password-denied");
	if (ssh_str_is(method, mlen, "keyboard-interactive"))
		return deny(c, ev, "ssh-keyboard-interactive-denied");
	return deny(c, ev, "ssh-auth-method-denied");
}
