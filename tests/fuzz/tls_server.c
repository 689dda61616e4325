/*
 * libFuzzer target for the TLS 1.3 server exactly as lib/tls configures
 * wolfSSL (lib/tls/user_settings.h, lib/tls/config.c): the input is a
 * client's bytes, handed to wolfSSL_accept through memory I/O callbacks in
 * pieces of (first byte % 64 + 1) bytes; the server's answers are
 * discarded. Whatever the bytes, the handshake must end in an error (the
 * input runs out before any client could finish), never crash, read out
 * of bounds or leak; when it gets as far as CertificateVerify, the
 * content lib/tls rebuilds from the transcript must hash to the digest
 * wolfSSL asks to sign; the connection's heap never passes lib/tls's
 * bound, and all of it comes back when the connection is freed.
 *
 * The certificate is the build's development one (TLS_FUZZ_CERT, made by
 * services/keyvault/mkdevtls.sh); the signature is a fixed DER blob of
 * the right shape, as no client here can check it.
 *
 *	make fuzz && build/fuzz/tls_server -max_total_time=60
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>

#include "config.h"
#include "crypto.h"
#include "tls.h"

struct feed {
	const uint8_t *p;
	size_t left, chunk;
};

/* Seed bytes for wolfSSL's generators: fixed, so a replay repeats, and
 * never a repeated block, which wolfCrypt's seed test refuses. */
int
capos_tls_seed(unsigned char *out, unsigned int n)
{
	static uint64_t x = 0x9e3779b97f4a7c15u;

	for (unsigned int i = 0; i < n; i++) {
		x = x * 6364136223846793005u + 1442695040888963407u;
		out[i] = (unsigned char)(x >> 56);
	}
	return 0;
}

static int
io_recv(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct feed *f = arg;
	size_t n = f->left < f->chunk ? f->left : f->chunk;

	(void)ssl;
	if (n == 0)
		return WOLFSSL_CBIO_ERR_CONN_CLOSE;
	if (n > (size_t)sz)
		n = (size_t)sz;
	memcpy(buf, f->p, n);
	f->p += n;
	f->left -= n;
	return (int)n;
}

static int
io_send(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	(void)ssl;
	(void)buf;
	(void)arg;
	return sz;
}

static int
sign(WOLFSSL *ssl, const unsigned char *in, unsigned int in_len,
    unsigned char *out, word32 *out_len, const unsigned char *key_der,
    unsigned int key_len, void *arg)
{
	uint8_t content[TLS_CV_CONTENT_LEN];

	(void)key_der;
	(void)key_len;
	(void)arg;
	if (tls_cv_content(ssl, in, in_len, content) != 0)
		abort();
	if (*out_len < 72)
		abort();
	/* SEQUENCE { INTEGER r, INTEGER s }, 32 bytes each. */
	memset(out, 0x11, 72);
	out[0] = 0x30;
	out[1] = 0x44;
	out[2] = 0x02;
	out[3] = 0x20;
	out[36] = 0x02;
	out[37] = 0x20;
	*out_len = 70;
	return 0;
}

static WOLFSSL_CTX *
server(size_t *base)
{
	static WOLFSSL_CTX *ctx;
	static size_t in_use;
	static uint8_t der[TLS_CERT_MAX];
	struct crypto_mem_stats st;
	FILE *f;
	size_t len;

	if (ctx != NULL) {
		*base = in_use;
		return ctx;
	}
	if ((f = fopen(TLS_FUZZ_CERT, "rb")) == NULL) {
		fprintf(stderr, "tls_server: no %s\n", TLS_FUZZ_CERT);
		abort();
	}
	len = fread(der, 1, sizeof(der), f);
	fclose(f);
	if (wolfSSL_Init() != WOLFSSL_SUCCESS ||
	    (ctx = wolfSSL_CTX_new(wolfTLSv1_3_server_method())) == NULL ||
	    tls_configure(ctx, der, len, sign) != 0)
		abort();
	wolfSSL_CTX_SetIORecv(ctx, io_recv);
	wolfSSL_CTX_SetIOSend(ctx, io_send);
	crypto_mem_stats(&st);
	in_use = st.in_use;
	crypto_mem_limit(in_use + TLS_CONN_MEM_MAX);
	*base = in_use;
	return ctx;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crypto_mem_stats st;
	struct feed f;
	WOLFSSL_CTX *ctx;
	WOLFSSL *ssl;
	size_t base;

	if (size < 1)
		return 0;
	ctx = server(&base);
	f.chunk = (size_t)data[0] % 64 + 1;
	f.p = data + 1;
	f.left = size - 1;
	if ((ssl = wolfSSL_new(ctx)) == NULL)
		abort();
	wolfSSL_SetIOReadCtx(ssl, &f);
	wolfSSL_SetIOWriteCtx(ssl, &f);
	if (wolfSSL_accept(ssl) == WOLFSSL_SUCCESS)
		abort();
	wolfSSL_free(ssl);
	crypto_mem_stats(&st);
	if (st.in_use != base || st.peak > base + TLS_CONN_MEM_MAX)
		abort();
	return 0;
}
