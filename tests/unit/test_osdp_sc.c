/* SPDX-License-Identifier: MIT */
/*
 * The OSDP secure channel's cryptography against vectors computed by hand
 * with the openssl command line (aes-128-ecb / aes-128-cbc, -nopad), step
 * by step as OSDP 2.2 Annex D describes them: SCBK-D, RND.A 00..07,
 * RND.B 08..0f; and against the standard's own example (Annex E).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "aeogate/osdp.h"

static void hex(const char *s, uint8_t *out)
{
	for (size_t i = 0; s[2 * i]; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static const uint8_t rnd_a[8] = {0, 1, 2, 3, 4, 5, 6, 7};
static const uint8_t rnd_b[8] = {8, 9, 10, 11, 12, 13, 14, 15};

static void session(struct osdp_sc *sc)
{
	assert_int_equal(osdp_sc_derive(sc, osdp_scbk_default, rnd_a), 0);
}

/* The default key is the published one: bytes 0x30 to 0x3f. */
static void test_scbk_default(void **state)
{
	(void)state;
	for (int i = 0; i < 16; i++)
		assert_int_equal(osdp_scbk_default[i], 0x30 + i);
}

/* S-ENC, S-MAC1, S-MAC2 = AES(SCBK, 01 82|01|02 RND.A[0..5] 00...). */
static void test_session_keys(void **state)
{
	struct osdp_sc sc;
	uint8_t want[16];

	(void)state;
	session(&sc);
	hex("f9b24c31d5983826360a50e39ebd5f16", want);
	assert_memory_equal(sc.s_enc, want, 16);
	hex("f9fb14d51205b9024074befb5a486e44", want);
	assert_memory_equal(sc.s_mac1, want, 16);
	hex("b363df851213de3a4b50d9029a973ad7", want);
	assert_memory_equal(sc.s_mac2, want, 16);
}

/* Client cryptogram AES(S-ENC, RND.A||RND.B), server AES(S-ENC, RND.B||RND.A), initial R-MAC. */
static void test_cryptograms_and_initial_rmac(void **state)
{
	struct osdp_sc sc;
	uint8_t got[16], want[16], server[16];

	(void)state;
	session(&sc);
	assert_int_equal(osdp_sc_cryptogram(&sc, rnd_a, rnd_b, got), 0);
	hex("e59a2bdc2d92b77c47caac2a74b3d0b0", want);
	assert_memory_equal(got, want, 16);
	assert_int_equal(osdp_sc_cryptogram(&sc, rnd_b, rnd_a, server), 0);
	hex("be67621f9b566c4386bc55dc02642014", want);
	assert_memory_equal(server, want, 16);
	assert_int_equal(osdp_sc_rmac_i(&sc, server, got), 0);
	hex("616bb9f81a0ffd628d274539b4d10a86", want);
	assert_memory_equal(got, want, 16);
}

/*
 * A 20-byte message chained from the initial R-MAC: block one under S-MAC1,
 * the short last block padded 0x80 00.. under S-MAC2.
 */
static void test_mac_chains_from_the_last_mac(void **state)
{
	struct osdp_sc sc;
	uint8_t msg[20], icv[16], got[16], want[16], other[16];

	(void)state;
	session(&sc);
	for (int i = 0; i < 20; i++)
		msg[i] = (uint8_t)i;
	hex("616bb9f81a0ffd628d274539b4d10a86", icv);
	assert_int_equal(osdp_sc_mac(&sc, icv, msg, sizeof(msg), got), 0);
	hex("5ddae57e98e236ea9b87ce7d2830f098", want);
	assert_memory_equal(got, want, 16);

	/* The chain matters: another ICV, another MAC; one bit of the message too. */
	icv[0] ^= 1;
	assert_int_equal(osdp_sc_mac(&sc, icv, msg, sizeof(msg), other), 0);
	assert_memory_not_equal(other, want, 16);
	icv[0] ^= 1;
	msg[19] ^= 1;
	assert_int_equal(osdp_sc_mac(&sc, icv, msg, sizeof(msg), other), 0);
	assert_memory_not_equal(other, want, 16);
}

/*
 * The standard's own example (SIA OSDP 2.2, Annex E, secure channel with
 * SCBK-D): RND.A (the CP's random) b0..b7, RND.B (the PD's) a0..a7. The
 * values are the published ones, as the libosdp project transcribed them
 * into its unit tests (data only; none of its code is used here). The
 * CRC and checksum examples of the same annex are in test_osdp_frame.c.
 */
static void test_sia_annex_e_vectors(void **state)
{
	static const uint8_t cp_rnd[8] = {0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7};
	static const uint8_t pd_rnd[8] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7};
	struct osdp_sc sc;
	uint8_t want[16], client[16], server[16], rmac[16];

	(void)state;
	assert_int_equal(osdp_sc_derive(&sc, osdp_scbk_default, cp_rnd), 0);
	hex("bf8dc2a8329acb8c67c6d0cd9a451682", want);
	assert_memory_equal(sc.s_enc, want, 16);
	hex("5e86c676603bdee2d8beafe178637332", want);
	assert_memory_equal(sc.s_mac1, want, 16);
	hex("6fda86e857777e81132035758239172e", want);
	assert_memory_equal(sc.s_mac2, want, 16);

	/* The client (PD) cryptogram in CCRYPT; the server (CP) cryptogram in SCRYPT. */
	assert_int_equal(osdp_sc_cryptogram(&sc, cp_rnd, pd_rnd, client), 0);
	hex("fde5d2f428ec16312471ea3c02bd7796", want);
	assert_memory_equal(client, want, 16);
	assert_int_equal(osdp_sc_cryptogram(&sc, pd_rnd, cp_rnd, server), 0);
	hex("26d3356e07762d262801fc8e6665a891", want);
	assert_memory_equal(server, want, 16);

	/* RMAC_I, the first link of the MAC chain. */
	assert_int_equal(osdp_sc_rmac_i(&sc, server, rmac), 0);
	hex("b2a30057eb98ba2229ec1f875662b524", want);
	assert_memory_equal(rmac, want, 16);
}

/* Data blocks: AES-CBC under S-ENC, IV the complement of the last MAC, 0x80 padding always. */
static void test_encrypt_and_decrypt(void **state)
{
	struct osdp_sc sc;
	const uint8_t data[3] = {1, 2, 3};
	uint8_t last[16], out[64], back[64], want[16], sixteen[16] = {0};
	int n;

	(void)state;
	session(&sc);
	hex("616bb9f81a0ffd628d274539b4d10a86", last);
	n = osdp_sc_encrypt(&sc, last, data, sizeof(data), out, sizeof(out));
	assert_int_equal(n, 16);
	hex("c364935a35a07b196eeb453eb3eadec6", want);
	assert_memory_equal(out, want, 16);
	assert_int_equal(osdp_sc_decrypt(&sc, last, out, 16, back), 3);
	assert_memory_equal(back, data, 3);

	/* A full block still gets a block of padding. */
	assert_int_equal(osdp_sc_encrypt(&sc, last, sixteen, 16, out, sizeof(out)), 32);
	assert_int_equal(osdp_sc_decrypt(&sc, last, out, 32, back), 16);
	assert_int_equal(osdp_sc_encrypt(&sc, last, sixteen, 16, out, 31), -ENOBUFS);

	/* Wrong IV (a broken chain) or a bad length: the padding check fails. */
	last[0] ^= 0x55;
	n = osdp_sc_encrypt(&sc, last, data, sizeof(data), out, sizeof(out));
	last[0] ^= 0x55;
	assert_int_equal(
	    osdp_sc_decrypt(&sc, last, out, 16, back) < 0 || memcmp(back, data, 3) != 0, 1);
	assert_int_equal(osdp_sc_decrypt(&sc, last, out, 15, back), -EBADMSG);
	assert_int_equal(osdp_sc_decrypt(&sc, last, out, 0, back), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scbk_default),
	    cmocka_unit_test(test_session_keys),
	    cmocka_unit_test(test_cryptograms_and_initial_rmac),
	    cmocka_unit_test(test_mac_chains_from_the_last_mac),
	    cmocka_unit_test(test_encrypt_and_decrypt),
	    cmocka_unit_test(test_sia_annex_e_vectors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
