/*
 * lib/tls's server side (tls.h): wolfSSL's TLS 1.3 state machine, fed by
 * blocking TcpSocket calls or, with memory I/O, by the caller's own ring
 * calls, with the one private-key operation done by the key vault.
 *
 * The state is the server context (one per process: the certificate and
 * the settings) and one WOLFSSL object per connection. Each connection's
 * heap is its own lib/crypto account (struct tls_conn's acct), bounded by
 * conn_limit: every function here that calls into wolfSSL for a
 * connection makes that account current first (enter) and puts back the
 * one before after (leave), so what wolfSSL allocates meanwhile is
 * charged to that connection and what it frees is refunded to whichever
 * account it was charged to. The context's own blocks are charged to
 * ctx_acct. Connections are served side by side from one thread
 * (wolfSSL is built SINGLE_THREADED); the scratch buffers are globals
 * because no two calls into wolfSSL overlap.
 */
#include <stdbool.h>
#include <string.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>

#include "config.h"
#include "crypto.capnp.h"
#include "crypto.h"
#include "crypto_rt.h"
#include "rt.h"
#include "tcp.h"
#include "tls.h"

static WOLFSSL_CTX *ctx;
static struct crypto_account ctx_acct;
static size_t conn_limit = TLS_CONN_MEM_MAX;
static capos_cap_t tls_key = CAPOS_CAP_NULL;
static struct crypto_rt_source seed_src;
/* One TcpSocket call's message (TCP_SCRATCH bytes): shared by the read
 * and write callbacks, which never run at the same time. */
static uint8_t scratch[TCP_SCRATCH] __attribute__((aligned(8)));
static uint8_t call_buf[1024] __attribute__((aligned(8)));

/* wolfSSL's generator seed (user_settings.h, CUSTOM_RAND_GENERATE_SEED):
 * from Entropy, or a refusal that fails the connection's setup. */
int
capos_tls_seed(unsigned char *out, unsigned int n)
{
	if (seed_src.cap == CAPOS_CAP_NULL ||
	    crypto_rt_entropy(&seed_src, out, n) != 0) {
		crypto_wipe(out, n);
		return -1;
	}
	return 0;
}

/* Memory I/O: the caller's bytes, or a request for more. */
static int
mem_recv(struct tls_conn *c, char *buf, int sz)
{
	size_t n = c->in_len < (size_t)sz ? c->in_len : (size_t)sz;

	if (n == 0)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	memcpy(buf, c->in, n);
	c->in += n;
	c->in_len -= n;
	return (int)n;
}

/* Memory I/O: into `out` as far as it has room (its bound). */
static int
mem_send(struct tls_conn *c, const char *buf, int sz)
{
	size_t room = sizeof(c->out) - c->out_len;
	size_t n = (size_t)sz < room ? (size_t)sz : room;

	if (n == 0)
		return WOLFSSL_CBIO_ERR_WANT_WRITE;
	memcpy(c->out + c->out_len, buf, n);
	c->out_len += n;
	return (int)n;
}

/* TcpSocket recv for wolfSSL: at most sz bytes, so none are left over. */
static int
io_recv(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct tls_conn *c = arg;
	const uint8_t *data;
	uint32_t max = (uint32_t)sz;
	int n;

	(void)ssl;
	if (sz <= 0)
		return WOLFSSL_CBIO_ERR_GENERAL;
	if (c->mem)
		return mem_recv(c, buf, sz);
	if (c->deadline_ns != 0 && rt_now_ns() >= c->deadline_ns) {
		c->timed_out = 1;
		return WOLFSSL_CBIO_ERR_CONN_RST;
	}
	if (max > capos_TcpSocket_maxChunk)
		max = capos_TcpSocket_maxChunk;
	n = tcp_recv_some(c->sock, max, &data, scratch);
	if (n < 0) {
		c->io_err = n;
		return WOLFSSL_CBIO_ERR_CONN_RST;
	}
	if (n == 0)
		return WOLFSSL_CBIO_ERR_CONN_CLOSE;
	memcpy(buf, data, (size_t)n);
	return n;
}

static int
io_send(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct tls_conn *c = arg;
	int rc;

	(void)ssl;
	if (sz < 0)
		return WOLFSSL_CBIO_ERR_GENERAL;
	if (c->mem)
		return mem_send(c, buf, sz);
	if (c->deadline_ns != 0 && rt_now_ns() >= c->deadline_ns) {
		c->timed_out = 1;
		return WOLFSSL_CBIO_ERR_CONN_RST;
	}
	if ((rc = tcp_send_all(c->sock, (const uint8_t *)buf, (uint32_t)sz,
	    scratch)) != 0) {
		c->io_err = rc;
		return WOLFSSL_CBIO_ERR_CONN_RST;
	}
	return sz;
}

/*
 * wolfSSL's ECDSA signing callback for CertificateVerify. wolfSSL hands
 * over SHA-256 of the content to sign; the key vault takes the content
 * itself (so it can refuse anything but a server CertificateVerify), so
 * the content is rebuilt here from the transcript hash, checked against
 * wolfSSL's digest, and sent to TlsServerKey.sign.
 */
static int
ecc_sign(WOLFSSL *ssl, const unsigned char *in, unsigned int in_len,
    unsigned char *out, word32 *out_len, const unsigned char *key_der,
    unsigned int key_len, void *arg)
{
	struct capos_TlsServerKey_sign_Params_b p;
	struct capos_TlsServerKey_sign_Results_r r;
	uint8_t content[TLS_CV_CONTENT_LEN];
	uint8_t params[512] __attribute__((aligned(8)));
	struct capnp_builder b;
	struct capnp_data sig;
	struct rt_result res;
	int rc;

	(void)key_der;
	(void)key_len;
	(void)arg;
	if (tls_cv_content(ssl, in, in_len, content) != 0) {
		rt_printf("[tls] the digest to sign is not of this handshake's "
		    "CertificateVerify content; refusing\n");
		return TLS_ESIGN;
	}
	if (capnp_builder_init(&b, params, sizeof(params)) != 0 ||
	    capos_TlsServerKey_sign_Params_init_root(&b, &p) != 0 ||
	    capos_TlsServerKey_sign_Params_set_content(&p, content,
	    sizeof(content)) != 0)
		return TLS_ESIGN;
	capos_TlsServerKey_sign_Params_set_scheme(&p,
	    capos_TlsServerKey_ecdsaSecp256r1Sha256);
	rc = rt_call(tls_key, capos_TlsServerKey_INTERFACE_ID,
	    capos_TlsServerKey_sign_ORDINAL, &b, NULL, 0, call_buf,
	    sizeof(call_buf), &res);
	if (rc != 0) {
		rt_printf("[tls] TlsServerKey.sign failed: %s\n",
		    rt_strerror(rc));
		return TLS_ESIGN;
	}
	r.s = res.root;
	if (capos_TlsServerKey_sign_Results_get_signature(&r, &sig) != 0 ||
	    sig.len == 0 || sig.len > *out_len) {
		rt_printf("[tls] TlsServerKey.sign answered no signature that "
		    "fits (%u bytes of room)\n", (unsigned)*out_len);
		return TLS_ESIGN;
	}
	memcpy(out, sig.ptr, sig.len);
	*out_len = (word32)sig.len;
	return 0;
}

/* The DER certificate from the TlsServerKey, into der (TLS_CERT_MAX). */
static int
fetch_certificate(uint8_t *der, size_t *len)
{
	struct capos_TlsServerKey_certificate_Results_r r;
	struct capnp_data d;
	struct rt_result res;
	static uint8_t buf[TLS_CERT_MAX + 256] __attribute__((aligned(8)));
	int rc;

	rc = rt_call(tls_key, capos_TlsServerKey_INTERFACE_ID,
	    capos_TlsServerKey_certificate_ORDINAL, NULL, NULL, 0, buf,
	    sizeof(buf), &res);
	if (rc != 0) {
		rt_printf("[tls] TlsServerKey.certificate failed: %s\n",
		    rt_strerror(rc));
		return TLS_ENOKEY;
	}
	r.s = res.root;
	if (capos_TlsServerKey_certificate_Results_get_der(&r, &d) != 0 ||
	    d.len == 0 || d.len > TLS_CERT_MAX) {
		rt_printf("[tls] TlsServerKey.certificate answered no "
		    "certificate of at most %u bytes\n", TLS_CERT_MAX);
		return TLS_ENOKEY;
	}
	memcpy(der, d.ptr, d.len);
	*len = d.len;
	return 0;
}

int
tls_server_init(capos_cap_t key, capos_cap_t entropy, size_t conn_mem)
{
	static uint8_t der[TLS_CERT_MAX];
	struct crypto_account *before;
	size_t len;
	int rc = 0;

	tls_key = key;
	seed_src.cap = entropy;
	seed_src.iface = capos_Entropy_INTERFACE_ID;
	if ((rc = fetch_certificate(der, &len)) != 0)
		return rc;
	before = crypto_mem_charge(&ctx_acct);
	if (wolfSSL_Init() != WOLFSSL_SUCCESS ||
	    (ctx = wolfSSL_CTX_new(wolfTLSv1_3_server_method())) == NULL)
		rc = TLS_EINIT;
	else if (tls_configure(ctx, der, len, ecc_sign) != 0) {
		rt_printf("[tls] wolfSSL refuses the certificate or the "
		    "settings\n");
		rc = TLS_EINIT;
	}
	(void)crypto_mem_charge(before);
	if (rc != 0)
		return rc;
	wolfSSL_CTX_SetIORecv(ctx, io_recv);
	wolfSSL_CTX_SetIOSend(ctx, io_send);
	/* Each connection's account is held to this. */
	conn_limit = conn_mem == 0 || conn_mem > TLS_CONN_MEM_MAX ?
	    TLS_CONN_MEM_MAX : conn_mem;
	return 0;
}

/* Makes c's account the one charged, until leave. */
static struct crypto_account *
enter(struct tls_conn *c)
{
	return crypto_mem_charge(&c->acct);
}

static void
leave(struct tls_conn *c, struct crypto_account *before)
{
	(void)crypto_mem_charge(before);
	c->mem_peak = c->acct.peak;
}

/* Frees c's WOLFSSL object (within enter/leave); all its account's
 * blocks must come back with it, as the account is reused with c. */
static void
free_ssl(struct tls_conn *c)
{
	wolfSSL_free(c->ssl);
	c->ssl = NULL;
	if (c->acct.in_use != 0)
		rt_warn("[tls] %u bytes of a connection's heap outlived it\n",
		    (unsigned)c->acct.in_use);
}

/* A fresh connection in c, its account held to conn_limit: 0 or
 * MEMORY_E (within enter/leave). */
static int
new_ssl(struct tls_conn *c)
{
	if ((c->ssl = wolfSSL_new(ctx)) == NULL)
		return MEMORY_E;
	wolfSSL_SetIOReadCtx(c->ssl, c);
	wolfSSL_SetIOWriteCtx(c->ssl, c);
	return 0;
}

static void
conn_init(struct tls_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->acct.limit = conn_limit;
}

int
tls_accept(struct tls_conn *c, capos_cap_t sock)
{
	struct crypto_account *before;
	int rc;

	conn_init(c);
	c->sock = sock;
	tls_set_deadline(c, TLS_HANDSHAKE_MS);
	before = enter(c);
	if ((rc = new_ssl(c)) == 0) {
		rc = wolfSSL_accept(c->ssl);
		if (rc == WOLFSSL_SUCCESS) {
			rc = 0;
		} else {
			rc = wolfSSL_get_error(c->ssl, rc);
			free_ssl(c);
			rc = c->timed_out ? TLS_EDEADLINE : rc < 0 ? rc :
			    FATAL_ERROR;
		}
	}
	leave(c, before);
	/* What follows is the caller's to bound (tls_set_deadline). */
	c->deadline_ns = 0;
	return rc;
}

void
tls_set_deadline(struct tls_conn *c, uint32_t ms)
{
	uint64_t now = ms != 0 ? rt_now_ns() : 0;

	c->deadline_ns = now != 0 ? now + (uint64_t)ms * 1000000u : 0;
	c->timed_out = 0;
}

int
tls_accept_mem(struct tls_conn *c)
{
	struct crypto_account *before;
	int rc;

	conn_init(c);
	c->sock = CAPOS_CAP_NULL;
	c->mem = 1;
	before = enter(c);
	rc = new_ssl(c);
	leave(c, before);
	return rc;
}

/* wolfSSL's "call again" answers, for memory I/O. */
static bool
again(int err)
{
	return err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE;
}

int
tls_handshake(struct tls_conn *c)
{
	struct crypto_account *before;
	int rc;

	if (c->ssl == NULL)
		return BAD_FUNC_ARG;
	before = enter(c);
	rc = wolfSSL_accept(c->ssl);
	if (rc == WOLFSSL_SUCCESS) {
		rc = 0;
	} else {
		rc = wolfSSL_get_error(c->ssl, rc);
		if (again(rc)) {
			rc = TLS_EAGAIN;
		} else {
			free_ssl(c);
			rc = rc < 0 ? rc : FATAL_ERROR;
		}
	}
	leave(c, before);
	return rc;
}

void
tls_feed(struct tls_conn *c, const uint8_t *p, size_t n)
{
	c->in = p;
	c->in_len = n;
}

void
tls_out_done(struct tls_conn *c, size_t n)
{
	if (n > c->out_len)
		n = c->out_len;
	memmove(c->out, c->out + n, c->out_len - n);
	c->out_len -= n;
}

int
tls_read(struct tls_conn *c, uint8_t *buf, size_t n)
{
	struct crypto_account *before;
	int rc, err;

	if (c->ssl == NULL)
		return BAD_FUNC_ARG;
	if (n > INT32_MAX)
		n = INT32_MAX;
	before = enter(c);
	rc = wolfSSL_read(c->ssl, buf, (int)n);
	err = rc > 0 ? 0 : wolfSSL_get_error(c->ssl, rc);
	leave(c, before);
	if (rc > 0)
		return rc;
	if (c->mem && again(err))
		return TLS_EAGAIN;
	if (c->timed_out)
		return TLS_EDEADLINE;
	if (err == WOLFSSL_ERROR_ZERO_RETURN || err == SOCKET_PEER_CLOSED_E)
		return TLS_ECLOSED;
	return err < 0 ? err : FATAL_ERROR;
}

int
tls_write(struct tls_conn *c, const uint8_t *buf, size_t n)
{
	while (n > 0) {
		struct crypto_account *before;
		int chunk = n > 16384 ? 16384 : (int)n, rc, err;

		if (c->ssl == NULL)
			return BAD_FUNC_ARG;
		before = enter(c);
		rc = wolfSSL_write(c->ssl, buf, chunk);
		err = rc > 0 ? 0 : wolfSSL_get_error(c->ssl, rc);
		leave(c, before);
		if (rc <= 0) {
			if (c->timed_out)
				return TLS_EDEADLINE;
			if (c->mem && again(err))
				return TLS_EAGAIN;
			return err < 0 ? err : FATAL_ERROR;
		}
		buf += rc;
		n -= (size_t)rc;
	}
	return 0;
}

void
tls_close(struct tls_conn *c)
{
	struct crypto_account *before;

	if (c->ssl == NULL)
		return;
	before = enter(c);
	(void)wolfSSL_shutdown(c->ssl);
	free_ssl(c);
	leave(c, before);
}

const char *
tls_version(const struct tls_conn *c)
{
	return c->ssl != NULL ? wolfSSL_get_version(c->ssl) : "";
}

const char *
tls_cipher(const struct tls_conn *c)
{
	return c->ssl != NULL ? wolfSSL_get_cipher_name(c->ssl) : "";
}

const char *
tls_strerror(int err)
{
	switch (err) {
	case TLS_ENOKEY:
		return "the TlsServerKey did not answer as it must";
	case TLS_EINIT:
		return "wolfSSL refused the server's configuration";
	case TLS_ECLOSED:
		return "the peer closed the connection";
	case TLS_ESIGN:
		return "the key vault did not sign CertificateVerify";
	case TLS_EAGAIN:
		return "more input is needed";
	case TLS_EDEADLINE:
		return "the peer did not finish within the connection's "
		    "deadline";
	case VERSION_ERROR:
		return "the client offers no TLS 1.3 (protocol_version)";
	case MATCH_SUITE_ERROR:
	case UNSUPPORTED_SUITE:
		return "no cipher suite, group or signature scheme in common "
		    "(handshake_failure)";
	case PARSE_ERROR:
	case BUFFER_ERROR:
	case DECODE_E:
	case INCOMPLETE_DATA:
	case LENGTH_ERROR:
	case HANDSHAKE_SIZE_ERROR:
	case UNKNOWN_RECORD_TYPE:
		return "malformed TLS records or handshake messages";
	case OUT_OF_ORDER_E:
		return "a handshake message out of order";
	case BAD_KEY_SHARE_DATA:
	case EXT_MISSING:
	case INVALID_PARAMETER:
		return "a ClientHello TLS 1.3 cannot accept (missing or bad "
		    "extension)";
	case VERIFY_MAC_ERROR:
	case DECRYPT_ERROR:
		return "a record failed authentication (bad_record_mac)";
	case FATAL_ERROR:
		return "the peer sent a fatal alert";
	case SOCKET_ERROR_E:
	case SOCKET_PEER_CLOSED_E:
		return "the connection ended during the handshake";
	case MEMORY_E:
		return "the connection's memory bound was reached";
	case NO_PRIVATE_KEY:
		return "no way to sign CertificateVerify";
	default:
		return "TLS error (see wolfSSL's error-ssl.h)";
	}
}
