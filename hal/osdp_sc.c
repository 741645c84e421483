/* SPDX-License-Identifier: MIT */
/*
 * The OSDP secure channel's cryptography (OSDP 2.2, Annex D), without I/O:
 * session keys from the SCBK and the CP's random number, the two
 * cryptograms of the handshake, the initial R-MAC, the chained CBC-MAC with
 * S-MAC1 for every block but the last and S-MAC2 for the last, and the
 * AES-CBC encryption of data blocks under S-ENC. AES-128 through OpenSSL EVP.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "aeogate/osdp.h"

const uint8_t osdp_scbk_default[16] = {0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
				       0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f};

/* AES-128 over whole blocks: ECB when iv is NULL, else CBC. */
static int aes(const uint8_t key[16], const uint8_t *iv, bool encrypt, const uint8_t *in, size_t n,
	       uint8_t *out)
{
	EVP_CIPHER_CTX *ctx;
	int len = 0, fin = 0, ok;

	if (n % 16)
		return -EINVAL;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	ok = EVP_CipherInit_ex(ctx, iv ? EVP_aes_128_cbc() : EVP_aes_128_ecb(), NULL, key, iv,
			       encrypt) == 1 &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	     EVP_CipherUpdate(ctx, out, &len, in, (int)n) == 1 &&
	     EVP_CipherFinal_ex(ctx, out + len, &fin) == 1 && (size_t)(len + fin) == n;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

int osdp_aes_block(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
	return aes(key, NULL, true, in, 16, out);
}

int osdp_sc_derive(struct osdp_sc *sc, const uint8_t scbk[16], const uint8_t rnd_a[8])
{
	uint8_t b[16];
	int r;

	memcpy(sc->rnd_a, rnd_a, 8);
	memset(b, 0, sizeof(b));
	b[0] = 0x01;
	memcpy(b + 2, rnd_a, 6);
	b[1] = 0x82;
	if ((r = osdp_aes_block(scbk, b, sc->s_enc)) < 0)
		return r;
	b[1] = 0x01;
	if ((r = osdp_aes_block(scbk, b, sc->s_mac1)) < 0)
		return r;
	b[1] = 0x02;
	return osdp_aes_block(scbk, b, sc->s_mac2);
}

int osdp_sc_cryptogram(const struct osdp_sc *sc, const uint8_t first[8], const uint8_t second[8],
		       uint8_t out[16])
{
	uint8_t b[16];

	memcpy(b, first, 8);
	memcpy(b + 8, second, 8);
	return osdp_aes_block(sc->s_enc, b, out);
}

int osdp_sc_rmac_i(const struct osdp_sc *sc, const uint8_t server_cryptogram[16], uint8_t out[16])
{
	uint8_t t[16];
	int r = osdp_aes_block(sc->s_mac1, server_cryptogram, t);

	return r < 0 ? r : osdp_aes_block(sc->s_mac2, t, out);
}

int osdp_sc_mac(const struct osdp_sc *sc, const uint8_t icv[16], const uint8_t *msg, size_t n,
		uint8_t out[16])
{
	uint8_t state[16], block[16];
	size_t blocks = n == 0 ? 1 : (n + 15) / 16;
	int r;

	memcpy(state, icv, 16);
	for (size_t i = 0; i < blocks; i++) {
		size_t at = i * 16, take = n - at < 16 ? n - at : 16;

		memset(block, 0, sizeof(block));
		if (take)
			memcpy(block, msg + at, take);
		/* Padding (0x80, then zeros) only when the message does not fill the block. */
		if (take < 16)
			block[take] = 0x80;
		for (int k = 0; k < 16; k++)
			state[k] ^= block[k];
		r = osdp_aes_block(i + 1 < blocks ? sc->s_mac1 : sc->s_mac2, state, state);
		if (r < 0)
			return r;
	}
	memcpy(out, state, 16);
	return 0;
}

static void complement(const uint8_t in[16], uint8_t out[16])
{
	for (int i = 0; i < 16; i++)
		out[i] = (uint8_t)~in[i];
}

int osdp_sc_encrypt(const struct osdp_sc *sc, const uint8_t last_mac[16], const uint8_t *data,
		    size_t n, uint8_t *out, size_t max)
{
	uint8_t iv[16];
	size_t padded = (n / 16 + 1) * 16; /* 0x80 always, then zeros */
	int r;

	if (padded > max)
		return -ENOBUFS;
	memcpy(out, data, n);
	out[n] = 0x80;
	memset(out + n + 1, 0, padded - n - 1);
	complement(last_mac, iv);
	r = aes(sc->s_enc, iv, true, out, padded, out);
	return r < 0 ? r : (int)padded;
}

int osdp_sc_decrypt(const struct osdp_sc *sc, const uint8_t last_mac[16], const uint8_t *data,
		    size_t n, uint8_t *out)
{
	uint8_t iv[16];
	int r;

	if (n == 0 || n % 16)
		return -EBADMSG;
	complement(last_mac, iv);
	r = aes(sc->s_enc, iv, false, data, n, out);
	if (r < 0)
		return r;
	while (n > 0 && out[n - 1] == 0x00)
		n--;
	if (n == 0 || out[n - 1] != 0x80)
		return -EBADMSG;
	return (int)(n - 1);
}
