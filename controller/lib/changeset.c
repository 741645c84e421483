/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aeogate/limits.h"

#include "changeset.h"
#include "util.h"

/* A key file holds one line; anything longer than this is not a key file. */
#define KEY_FILE_MAX 256

/*
 * Reads a small file whole into buf (NUL-terminated) and drops one final
 * newline. With secret set, refuses a file group or others may access.
 */
static int key_file_read(const char *path, bool secret, char *buf, size_t len, size_t *ret_n)
{
	struct stat st;
	size_t n = 0;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EBADMSG;
		goto out;
	}
	if (secret && (st.st_mode & 0077)) {
		r = -EPERM;
		goto out;
	}
	for (;;) {
		ssize_t k;

		if (n == len - 1) {
			r = -EBADMSG; /* too long to be a key */
			goto out;
		}
		k = read(fd, buf + n, len - 1 - n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	*ret_n = n;
out:
	close(fd);
	return r;
}

int changeset_pubkey_from_hex(const char *hex, struct changeset_pubkey *ret)
{
	struct changeset_pubkey k;

	if (devkey_pk_from_hex(hex, k.pk) < 0)
		return -EBADMSG;
	devkey_id(k.pk, k.key_id);
	*ret = k;
	return 0;
}

int changeset_pubkey_load(const char *path, struct changeset_pubkey *ret)
{
	char buf[KEY_FILE_MAX];
	size_t n;
	int r = key_file_read(path, false, buf, sizeof(buf), &n);

	if (r < 0)
		return r;
	return changeset_pubkey_from_hex(buf, ret);
}

int changeset_seckey_load(const char *path, struct changeset_seckey *ret)
{
	struct changeset_seckey k;
	unsigned char seed[crypto_sign_SEEDBYTES], pk2[DEVKEY_PK_BYTES], sk2[CHANGESET_SK_BYTES];
	char buf[KEY_FILE_MAX];
	size_t n;
	int r;

	if (sodium_init() < 0)
		return -EIO;
	r = key_file_read(path, true, buf, sizeof(buf), &n);
	if (r < 0)
		goto out;
	if (hex_decode_exact(buf, k.sk, sizeof(k.sk)) < 0) {
		r = -EBADMSG;
		goto out;
	}
	/* The secret key carries its public half: check that they belong together. */
	crypto_sign_ed25519_sk_to_pk(k.pub.pk, k.sk);
	crypto_sign_ed25519_sk_to_seed(seed, k.sk);
	crypto_sign_seed_keypair(pk2, sk2, seed);
	if (memcmp(pk2, k.pub.pk, DEVKEY_PK_BYTES) != 0) {
		r = -EBADMSG;
		goto out;
	}
	devkey_id(k.pub.pk, k.pub.key_id);
	*ret = k;
out:
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk2, sizeof(sk2));
	sodium_memzero(&k, sizeof(k));
	return r;
}

void changeset_seckey_wipe(struct changeset_seckey *k)
{
	if (k)
		sodium_memzero(k, sizeof(*k));
}

static int write_file(const char *path, const char *text, mode_t mode, bool exclusive)
{
	size_t len = strlen(text), off = 0;
	int fd, r = 0;

	fd =
	    open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (exclusive ? O_EXCL : O_TRUNC),
		 mode);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t k = write(fd, text + off, len - off);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		off += (size_t)k;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		unlink(path);
	return r;
}

int changeset_keygen(const char *dir, struct changeset_seckey *ret)
{
	struct changeset_seckey k;
	char path[PATH_MAX], skhex[2 * CHANGESET_SK_BYTES + 2], pkhex[DEVKEY_PK_HEX + 1];
	int r;

	if (sodium_init() < 0)
		return -EIO;
	crypto_sign_keypair(k.pub.pk, k.sk);
	devkey_id(k.pub.pk, k.pub.key_id);
	sodium_bin2hex(skhex, sizeof(skhex) - 1, k.sk, sizeof(k.sk));
	strcat(skhex, "\n");
	sodium_bin2hex(pkhex, sizeof(pkhex) - 1, k.pub.pk, sizeof(k.pub.pk));
	strcat(pkhex, "\n");

	r = snprintf(path, sizeof(path), "%s/office.key", dir);
	if (r < 0 || (size_t)r >= sizeof(path)) {
		r = -ENAMETOOLONG;
		goto out;
	}
	r = write_file(path, skhex, 0600, true);
	if (r < 0)
		goto out;
	r = snprintf(path, sizeof(path), "%s/office.pub", dir);
	if (r < 0 || (size_t)r >= sizeof(path)) {
		r = -ENAMETOOLONG;
		goto out;
	}
	r = write_file(path, pkhex, 0644, false);
	if (r < 0) {
		/* Half a key pair is none: take the secret half back. */
		if (snprintf(path, sizeof(path), "%s/office.key", dir) < (int)sizeof(path))
			unlink(path);
		goto out;
	}
	*ret = k;
	r = 0;
out:
	sodium_memzero(skhex, sizeof(skhex));
	sodium_memzero(&k, sizeof(k));
	return r;
}

const char *changeset_strerror(int r)
{
	switch (r) {
	case -EBADMSG:
		return "not a key: a public key file holds 64 hex digits on one line, a secret key "
		       "file 128";
	case -EPERM:
		return "group or others may access the secret key file (chmod 600)";
	case -E2BIG:
		return "larger than a signed message may be";
	case -ENOMSG:
		return "not a signed envelope";
	default:
		return strerror(r < 0 ? -r : r);
	}
}

/* The envelope's bytes beside its body: members, quotes, signature and key id. */
#define ENVELOPE_OVERHEAD 256

int changeset_sign(const char *body, size_t len, const struct changeset_seckey *k, char **ret)
{
	unsigned char sig[crypto_sign_BYTES];
	char sighex[DEVKEY_SIG_HEX];
	json_t *env, *b;
	char *text;

	if (sodium_init() < 0)
		return -EIO;
	if (len + ENVELOPE_OVERHEAD > AEOGATE_SIGNED_MAX)
		return -E2BIG;
	/*
	 * A JSON string holds UTF-8 only (json_stringn refuses anything else),
	 * and a receiver's parser refuses a NUL in it: a JSON body has none.
	 */
	if (memchr(body, '\0', len))
		return -EINVAL;
	b = json_stringn(body, len);
	if (!b)
		return -EINVAL;
	crypto_sign_detached(sig, NULL, (const unsigned char *)body, len, k->sk);
	sodium_bin2hex(sighex, sizeof(sighex), sig, sizeof(sig));
	env = json_pack("{s:o,s:s,s:s}", "body", b, "signature", sighex, "key_id", k->pub.key_id);
	if (!env)
		return -ENOMEM;
	text = json_dumps(env, JSON_COMPACT);
	json_decref(env);
	if (!text)
		return -ENOMEM;
	/* Escaping may have grown it past the bound the receiver enforces. */
	if (strlen(text) > AEOGATE_SIGNED_MAX) {
		free(text);
		return -E2BIG;
	}
	*ret = text;
	return 0;
}

int changeset_open(const char *payload, size_t len, const struct changeset_pubkey *k,
		   char **ret_body, size_t *ret_len)
{
	json_t *env, *body, *sig, *kid;
	const char *sighex;
	size_t blen;
	char *copy;
	int r;

	if (len > AEOGATE_SIGNED_MAX)
		return -E2BIG;
	env = json_loadb(payload, len, JSON_REJECT_DUPLICATES, NULL);
	if (!env)
		return -ENOMSG;
	body = json_object_get(env, "body");
	sig = json_object_get(env, "signature");
	kid = json_object_get(env, "key_id");
	if (!json_is_object(env) || !json_is_string(body) || !json_is_string(sig) ||
	    !*json_string_value(sig)) {
		r = -ENOMSG;
		goto out;
	}
	sighex = json_string_value(sig);
	/* Another office's key, or a forged id: either way not ours. */
	if (kid && (!json_is_string(kid) || strcmp(json_string_value(kid), k->key_id) != 0)) {
		r = -EBADMSG;
		goto out;
	}
	blen = json_string_length(body);
	if (sig_verify(k->pk, json_string_value(body), blen, sighex) != 0) {
		r = -EBADMSG;
		goto out;
	}
	copy = malloc(blen + 1);
	if (!copy) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(copy, json_string_value(body), blen);
	copy[blen] = '\0';
	*ret_body = copy;
	*ret_len = blen;
	r = 0;
out:
	json_decref(env);
	return r;
}

const char *changeset_open_reason(int r)
{
	return r == -EBADMSG ? "bad_signature" : "unsigned";
}

/* Sets err and returns -EINVAL. */
static int body_fail(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int body_fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_lower_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static const char *member_string(json_t *root, const char *name)
{
	json_t *v = json_object_get(root, name);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int parse_changeset(struct changeset_body *b, char *err, size_t len)
{
	json_t *v = json_object_get(b->root, "version");
	size_t i;
	json_t *op;

	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return body_fail(err, len, "version must be an integer from 1");
	b->version = json_integer_value(v);
	b->ops = json_object_get(b->root, "ops");
	if (!json_is_array(b->ops))
		return body_fail(err, len, "ops must be an array");
	if (json_array_size(b->ops) > AEOGATE_CHANGESET_OPS_MAX)
		return body_fail(err, len, "a change set holds at most %d ops",
				 AEOGATE_CHANGESET_OPS_MAX);
	json_array_foreach(b->ops, i, op)
	{
		json_t *name = json_object_get(op, "op"), *args = json_object_get(op, "args");

		if (!json_is_object(op) || !json_is_string(name) || (args && !json_is_object(args)))
			return body_fail(err, len,
					 "op %zu must be {\"op\":\"name\",\"args\":{...}}", i + 1);
	}
	return 0;
}

static int parse_command(struct changeset_body *b, char *err, size_t len)
{
	b->id = member_string(b->root, "id");
	if (!b->id || !is_lower_hex(b->id, CHANGESET_ID_HEX - 1))
		return body_fail(err, len, "id must be 32 lower-case hex digits");
	b->controller = member_string(b->root, "controller");
	if (!b->controller || !id_is_valid(b->controller))
		return body_fail(err, len, "controller must be an identifier");
	b->command = member_string(b->root, "command");
	if (!b->command || !id_is_valid(b->command))
		return body_fail(err, len, "command must be a name");
	b->args = json_object_get(b->root, "args");
	if (b->args && !json_is_object(b->args))
		return body_fail(err, len, "args must be an object");
	if (!b->args) {
		b->args = json_object();
		if (!b->args)
			return -ENOMEM;
		if (json_object_set_new(b->root, "args", b->args) < 0)
			return -ENOMEM;
	}
	return 0;
}

int changeset_body_parse(const char *body, size_t len, struct changeset_body *ret, char *err,
			 size_t errlen)
{
	struct changeset_body b = {0};
	const char *type;
	int r;

	b.root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!b.root || !json_is_object(b.root)) {
		r = body_fail(err, errlen, "the body is not a JSON object");
		goto fail;
	}
	if (util_json_depth(b.root) > AEOGATE_JSON_DEPTH_MAX) {
		r = body_fail(err, errlen, "the body nests deeper than %d", AEOGATE_JSON_DEPTH_MAX);
		goto fail;
	}
	type = member_string(b.root, "type");
	if (type && strcmp(type, "changeset") == 0)
		b.type = CHANGESET_TYPE_CHANGESET;
	else if (type && strcmp(type, "command") == 0)
		b.type = CHANGESET_TYPE_COMMAND;
	else {
		r = body_fail(err, errlen, "type must be \"changeset\" or \"command\"");
		goto fail;
	}
	b.site = member_string(b.root, "site");
	if (!b.site || !id_is_valid(b.site)) {
		r = body_fail(err, errlen, "site must be an identifier");
		goto fail;
	}
	b.issued = member_string(b.root, "issued");
	if (!b.issued || time_parse_ms(b.issued, &b.issued_ms) < 0) {
		r = body_fail(err, errlen, "issued must be a UTC time (2026-12-07T08:00:00.000Z)");
		goto fail;
	}
	b.signer = member_string(b.root, "signer");
	if (!b.signer || strncmp(b.signer, "office:", 7) != 0 || !id_is_valid(b.signer + 7)) {
		r = body_fail(err, errlen, "signer must be office:NAME");
		goto fail;
	}
	r = b.type == CHANGESET_TYPE_CHANGESET ? parse_changeset(&b, err, errlen)
					       : parse_command(&b, err, errlen);
	if (r < 0)
		goto fail;
	*ret = b;
	return 0;
fail:
	json_decref(b.root);
	return r;
}

void changeset_body_done(struct changeset_body *b)
{
	if (!b)
		return;
	json_decref(b->root);
	memset(b, 0, sizeof(*b));
}

static const struct changeset_command commands[] = {
    {"lockdown", "site.lockdown"},
    {"release", "site.release"},
    {"unlock", "door.unlock"},
};

const struct changeset_command *changeset_command_at(size_t i)
{
	return i < sizeof(commands) / sizeof(commands[0]) ? &commands[i] : NULL;
}

const struct changeset_command *changeset_command_named(const char *command)
{
	const struct changeset_command *c;

	for (size_t i = 0; command && (c = changeset_command_at(i)); i++)
		if (!strcmp(c->command, command))
			return c;
	return NULL;
}

const struct changeset_command *changeset_command_of_op(const char *op)
{
	const struct changeset_command *c;

	for (size_t i = 0; op && (c = changeset_command_at(i)); i++)
		if (!strcmp(c->op, op))
			return c;
	return NULL;
}
