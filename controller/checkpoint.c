/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "util.h"

void devkey_id(const unsigned char pk[DEVKEY_PK_BYTES], char ret_id[DEVKEY_ID_HEX])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, pk, DEVKEY_PK_BYTES);
	sodium_bin2hex(ret_id, DEVKEY_ID_HEX, h, (DEVKEY_ID_HEX - 1) / 2);
}

static int hex_exact(const char *hex, unsigned char *out, size_t n)
{
	size_t got = 0;

	if (!hex || strlen(hex) != 2 * n)
		return -EINVAL;
	for (const char *p = hex; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
		      (*p >= 'A' && *p <= 'F')))
			return -EINVAL;
	if (sodium_hex2bin(out, n, hex, 2 * n, NULL, &got, NULL) != 0 || got != n)
		return -EINVAL;
	return 0;
}

int devkey_pk_from_hex(const char *hex, unsigned char ret_pk[DEVKEY_PK_BYTES])
{
	return hex_exact(hex, ret_pk, DEVKEY_PK_BYTES);
}

static void devkey_fill(struct devkey *k)
{
	sodium_bin2hex(k->pk_hex, sizeof(k->pk_hex), k->pk, DEVKEY_PK_BYTES);
	devkey_id(k->pk, k->id);
}

/* Writes all of buf or fails. */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_pub(const char *state_dir, const struct devkey *k)
{
	char path[PATH_MAX], line[DEVKEY_PK_HEX + 1];
	int fd, r;

	if (snprintf(path, sizeof(path), "%s/device.pub", state_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	snprintf(line, sizeof(line), "%s\n", k->pk_hex);
	r = write_all(fd, line, strlen(line));
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

static int create_key(const char *path, struct devkey *k)
{
	int fd, r;

	/* O_EXCL: two controllers racing on one state directory must not both win. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	crypto_sign_keypair(k->pk, k->sk);
	r = write_all(fd, k->sk, DEVKEY_SK_BYTES);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		unlink(path);
	return r;
}

static int load_key(const char *path, struct devkey *k)
{
	struct stat st;
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	/* A signing key others can read signs nothing an auditor should trust. */
	if (st.st_mode & 0077) {
		r = -EPERM;
		goto out;
	}
	if (st.st_size != DEVKEY_SK_BYTES) {
		r = -EBADMSG;
		goto out;
	}
	n = read(fd, k->sk, DEVKEY_SK_BYTES);
	if (n != DEVKEY_SK_BYTES) {
		r = n < 0 ? -errno : -EBADMSG;
		goto out;
	}
	/* The secret key carries its public half; check they belong together. */
	crypto_sign_ed25519_sk_to_pk(k->pk, k->sk);
	{
		unsigned char seed[crypto_sign_SEEDBYTES], pk2[DEVKEY_PK_BYTES],
		    sk2[DEVKEY_SK_BYTES];

		crypto_sign_ed25519_sk_to_seed(seed, k->sk);
		crypto_sign_seed_keypair(pk2, sk2, seed);
		if (memcmp(pk2, k->pk, DEVKEY_PK_BYTES) != 0)
			r = -EBADMSG;
		sodium_memzero(seed, sizeof(seed));
		sodium_memzero(sk2, sizeof(sk2));
	}
out:
	close(fd);
	return r;
}

int devkey_load_or_create(const char *state_dir, struct devkey *ret, bool *ret_created)
{
	char path[PATH_MAX];
	struct devkey k = {0};
	bool created = false;
	int r;

	if (sodium_init() < 0)
		return -EIO;
	if (snprintf(path, sizeof(path), "%s/device.key", state_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	r = load_key(path, &k);
	if (r == -ENOENT) {
		r = create_key(path, &k);
		created = r == 0;
		if (r == -EEXIST)
			r = load_key(path, &k);
	}
	if (r < 0) {
		sodium_memzero(&k, sizeof(k));
		return r;
	}
	devkey_fill(&k);
	/* device.pub is a convenience copy; the key file is the truth, so rewrite it each start. */
	r = write_pub(state_dir, &k);
	if (r < 0) {
		sodium_memzero(&k, sizeof(k));
		return r;
	}
	*ret = k;
	sodium_memzero(&k, sizeof(k));
	if (ret_created)
		*ret_created = created;
	return 0;
}

int devkey_sign(const struct devkey *k, const void *msg, size_t len, char ret_sig[DEVKEY_SIG_HEX])
{
	unsigned char sig[crypto_sign_BYTES];

	if (crypto_sign_detached(sig, NULL, msg, len, k->sk) != 0)
		return -EIO;
	sodium_bin2hex(ret_sig, DEVKEY_SIG_HEX, sig, sizeof(sig));
	return 0;
}

int sig_verify(const unsigned char pk[DEVKEY_PK_BYTES], const void *msg, size_t len,
	       const char *sig_hex)
{
	unsigned char sig[crypto_sign_BYTES];

	if (sodium_init() < 0)
		return -EIO;
	if (hex_exact(sig_hex, sig, sizeof(sig)) < 0)
		return -EINVAL;
	return crypto_sign_verify_detached(sig, msg, len, pk) == 0 ? 0 : -EBADMSG;
}

int checkpoint_message(int64_t seq, const char *hash, int64_t ts_ms, char *buf, size_t len)
{
	char ts[32];
	int n;

	time_format_ms(ts_ms, ts, sizeof(ts));
	n = snprintf(buf, len, "aeogate-checkpoint-v1\n%lld\n%s\n%s", (long long)seq, hash, ts);
	return n < 0 || (size_t)n >= len ? -ENOBUFS : n;
}

int checkpoint_sign(const struct devkey *k, int64_t seq, const char *hash, int64_t ts_ms,
		    struct checkpoint *ret)
{
	struct checkpoint cp = {.seq = seq, .ts_ms = ts_ms};
	char msg[160];
	int n, r;

	if (!hash || strlen(hash) != EVENT_HASH_HEX - 1)
		return -EINVAL;
	n = checkpoint_message(seq, hash, ts_ms, msg, sizeof(msg));
	if (n < 0)
		return n;
	r = devkey_sign(k, msg, (size_t)n, cp.signature);
	if (r < 0)
		return r;
	memcpy(cp.hash, hash, EVENT_HASH_HEX);
	memcpy(cp.key_id, k->id, DEVKEY_ID_HEX);
	*ret = cp;
	return 0;
}

int checkpoint_verify(const unsigned char pk[DEVKEY_PK_BYTES], const struct checkpoint *cp)
{
	char msg[160];
	int n = checkpoint_message(cp->seq, cp->hash, cp->ts_ms, msg, sizeof(msg));

	if (n < 0)
		return n;
	return sig_verify(pk, msg, (size_t)n, cp->signature) == 0 ? 0 : -EBADMSG;
}
