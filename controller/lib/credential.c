/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aeogate/credential.h"
#include "aeogate/wiegand.h"

int credential_uid_to_string(const uint8_t *uid, size_t n, char *out, size_t len)
{
	if (n == 0 || n > AEOGATE_UID_MAX_BYTES)
		return -EINVAL;
	if (len < 2 * n + 5)
		return -ENOSPC;
	memcpy(out, "uid:", 4);
	for (size_t i = 0; i < n; i++)
		snprintf(out + 4 + 2 * i, 3, "%02x", uid[i]);
	return 0;
}

static int hex_digit(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

int credential_normalize(const char *in, char *out, size_t len)
{
	if (!in)
		return -EINVAL;
	if (strncasecmp(in, "fmt:", 4) == 0) {
		size_t n = strlen(in + 4);

		/* Formatted card data (OSDP FMT): letters and digits, kept as read. */
		if (n == 0 || n > AEOGATE_FMT_MAX)
			return -EINVAL;
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)in[4 + i]))
				return -EINVAL;
		if (len < n + 5)
			return -ENOSPC;
		memcpy(out, "fmt:", 4);
		memcpy(out + 4, in + 4, n + 1);
		return 0;
	}
	if (strncasecmp(in, "uid:", 4) == 0) {
		const char *hex = in + 4;
		size_t n = strlen(hex);
		uint8_t uid[AEOGATE_UID_MAX_BYTES];

		/* ISO 14443A UIDs are 4, 7 or 10 bytes. */
		if (n != 8 && n != 14 && n != 20)
			return -EINVAL;
		if (len < n + 5)
			return -ENOSPC;
		for (size_t i = 0; i < n; i++)
			if (!isxdigit((unsigned char)hex[i]))
				return -EINVAL;
		for (size_t i = 0; i < n / 2; i++)
			uid[i] = (uint8_t)(hex_digit(hex[2 * i]) << 4 | hex_digit(hex[2 * i + 1]));
		return credential_uid_to_string(uid, n / 2, out, len);
	} else {
		struct wiegand_card card;
		int r = wiegand_card_from_string(in, &card);

		if (r < 0)
			return r;
		r = wiegand_card_to_string(&card, out, len);
		return r < 0 ? r : 0;
	}
}

enum reason credential_from_read(const struct hal_read *r, unsigned mask,
				 struct credential_candidates *ret)
{
	struct wiegand_card cards[AEOGATE_FORMATS_MAX];
	int n;

	ret->n = 0;
	if (r->kind == HAL_READ_UID) {
		if (credential_uid_to_string(r->uid, r->uid_len, ret->creds[0],
					     sizeof(ret->creds[0])) < 0)
			return REASON_UNKNOWN_FORMAT;
		ret->n = 1;
		return REASON_NONE;
	}

	if (r->kind == HAL_READ_FMT) {
		char in[AEOGATE_FMT_MAX + 5];

		snprintf(in, sizeof(in), "fmt:%.*s", AEOGATE_FMT_MAX, r->text);
		if (credential_normalize(in, ret->creds[0], sizeof(ret->creds[0])) < 0)
			return REASON_UNKNOWN_FORMAT;
		ret->n = 1;
		return REASON_NONE;
	}

	n = wiegand_decode(r->bits, r->nbits, mask, cards, AEOGATE_FORMATS_MAX);
	if (n > 0) {
		for (int i = 0; i < n; i++)
			if (wiegand_card_to_string(&cards[i], ret->creds[ret->n],
						   sizeof(ret->creds[0])) >= 0)
				ret->n++;
		if (ret->n)
			return REASON_NONE;
	}
	/* Keep the frame itself in the event, so nothing read is lost to the auditor. */
	if (wiegand_raw_to_string(r->bits, r->nbits, ret->creds[0], sizeof(ret->creds[0])) >= 0)
		ret->n = 1;
	return n == -EBADMSG ? REASON_BAD_PARITY : REASON_UNKNOWN_FORMAT;
}

int credential_to_read(const char *credential, struct hal_read *ret)
{
	struct hal_read read = {0};
	struct wiegand_card card;
	int r;

	if (!credential)
		return -EINVAL;
	if (strncasecmp(credential, "raw:", 4) == 0)
		return -EOPNOTSUPP;
	if (strncasecmp(credential, "uid:", 4) == 0) {
		char norm[AEOGATE_CREDENTIAL_MAX + 1];
		const char *hex = norm + 4;

		r = credential_normalize(credential, norm, sizeof(norm));
		if (r < 0)
			return r;
		read.kind = HAL_READ_UID;
		read.uid_len = strlen(hex) / 2;
		for (size_t i = 0; i < read.uid_len; i++)
			read.uid[i] =
			    (uint8_t)(hex_digit(hex[2 * i]) << 4 | hex_digit(hex[2 * i + 1]));
	} else {
		r = wiegand_card_from_string(credential, &card);
		if (r < 0)
			return r;
		r = wiegand_encode(&card, read.bits, sizeof(read.bits));
		if (r < 0)
			return r;
		read.kind = HAL_READ_WIEGAND;
		read.nbits = (size_t)r;
	}
	*ret = read;
	return 0;
}
