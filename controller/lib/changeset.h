/* SPDX-License-Identifier: MIT */
/*
 * What the security office signs for its controllers (README "Many sites"):
 * change sets and commands, each a JSON body carried in an envelope
 *
 *   {"body":"<the body as a string>","signature":"<128 hex>","key_id":"<16 hex>"}
 *
 * whose signature is Ed25519 (libsodium crypto_sign, detached) over the
 * body's exact bytes, so nothing is canonicalised. The office's key pair
 * lives in two files: the secret key as 128 hex digits (mode 0600) and the
 * public key as 64 hex digits, each on one line.
 *
 * libaeogate-common: aeogated opens envelopes, aeogate-hub makes them. No
 * SQL, no sockets. Errors are negative errno; changeset_strerror names them.
 */
#ifndef AEOGATE_CHANGESET_H
#define AEOGATE_CHANGESET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "signature.h"

#define CHANGESET_SK_BYTES 64 /* libsodium crypto_sign_SECRETKEYBYTES: seed and public key */
#define CHANGESET_ID_HEX   33 /* a command id: 32 hex digits and NUL */

struct changeset_pubkey {
	unsigned char pk[DEVKEY_PK_BYTES];
	char key_id[DEVKEY_ID_HEX];
};

struct changeset_seckey {
	unsigned char sk[CHANGESET_SK_BYTES];
	struct changeset_pubkey pub;
};

/*
 * Loads a public key file: 64 hex digits, optionally followed by one
 * newline, nothing else. -EBADMSG when the content is not that, or the
 * errno of open/read.
 */
int changeset_pubkey_load(const char *path, struct changeset_pubkey *ret);
/* The same from 64 hex digits in memory; -EBADMSG otherwise. */
int changeset_pubkey_from_hex(const char *hex, struct changeset_pubkey *ret);

/*
 * Loads a secret key file: 128 hex digits and an optional newline.
 * -EPERM when group or others may read or write it (a signing key others
 * can read signs nothing a controller should trust), -EBADMSG when the
 * content is not such a key, or the errno of open/read.
 */
int changeset_seckey_load(const char *path, struct changeset_seckey *ret);
/* Wipes the secret key; accepts NULL. */
void changeset_seckey_wipe(struct changeset_seckey *k);

/*
 * Makes a new key pair and writes DIR/office.key (mode 0600, never over an
 * existing file: -EEXIST) and DIR/office.pub (mode 0644). *ret holds the
 * pair on success.
 */
int changeset_keygen(const char *dir, struct changeset_seckey *ret);

/* A key error as text ("not 64 hex digits on one line", ...): for messages. */
const char *changeset_strerror(int r);

/*
 * The envelope of body (len bytes, at most what fits AEOGATE_SIGNED_MAX
 * once enveloped: -E2BIG otherwise; UTF-8 without NUL: -EINVAL otherwise) signed with
 * k: a compact JSON text in *ret (free it).
 */
int changeset_sign(const char *body, size_t len, const struct changeset_seckey *k, char **ret);

/*
 * Opens an envelope (payload, len bytes) and verifies it against k.
 * 0 with the body's bytes in *ret_body (NUL-terminated, free it) and
 * their length in *ret_len. -E2BIG when payload is longer than
 * AEOGATE_SIGNED_MAX; -ENOMSG when it is not an envelope or carries no
 * signature (unsigned); -EBADMSG when the signature does not verify or the
 * key_id is another key's (bad_signature); -ENOMEM.
 */
int changeset_open(const char *payload, size_t len, const struct changeset_pubkey *k,
		   char **ret_body, size_t *ret_len);

/* The sync.rejected reason of changeset_open's error: "unsigned" or "bad_signature". */
const char *changeset_open_reason(int r);

enum changeset_type {
	CHANGESET_TYPE_CHANGESET,
	CHANGESET_TYPE_COMMAND,
};

/*
 * A body's members, checked: the common ones (type, site, issued, signer)
 * and those of its type. Strings point into root, which it owns.
 */
struct changeset_body {
	json_t *root;
	enum changeset_type type;
	const char *site;   /* an identifier */
	const char *issued; /* as given; issued_ms parsed from it */
	int64_t issued_ms;
	const char *signer;	/* "office:NAME", NAME an identifier */
	int64_t version;	/* change set: >= 1 */
	json_t *ops;		/* change set: array of {"op":"...","args":{...}}, at most
				   AEOGATE_CHANGESET_OPS_MAX */
	const char *id;		/* command: 32 lower-case hex digits */
	const char *controller; /* command: an identifier */
	const char *command;	/* command: its name as given (the caller knows which exist) */
	json_t *args;		/* command: an object (empty when absent) */
};

/*
 * Parses and checks a body: 0, or -EINVAL with why in err (len bytes; may be
 * NULL), or -ENOMEM. Release with changeset_body_done.
 */
int changeset_body_parse(const char *body, size_t len, struct changeset_body *ret, char *err,
			 size_t errlen);
void changeset_body_done(struct changeset_body *b); /* accepts a zeroed or done body */

/*
 * The site commands the office may send (README "Signed change sets and
 * commands"): the command's name in a signed body, and the control-socket
 * op that carries it out, whose GROUP.NAME is also aeogatectl's command
 * GROUP NAME (the hub parses a command's arguments with that row). One
 * table for aeogate-hub, which sends them, and aeogated, which applies them.
 */
struct changeset_command {
	const char *command; /* "lockdown" */
	const char *op;	     /* "site.lockdown" */
};

/* The row of COMMAND (its name in a body), or of OP; NULL when there is none. */
const struct changeset_command *changeset_command_named(const char *command);
const struct changeset_command *changeset_command_of_op(const char *op);
/* The row at I, for listing them all; NULL past the last. */
const struct changeset_command *changeset_command_at(size_t i);

#endif
