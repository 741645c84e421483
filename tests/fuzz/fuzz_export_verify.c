/* SPDX-License-Identifier: MIT */
/*
 * The offline export verifier, as an auditor runs it (aeogatectl audit
 * verify FILE) on a file and manifest received from elsewhere. The input is
 *
 *   <export file bytes> "=== manifest ===\n" <manifest bytes>
 *
 * (no separator: all of it is the file and the manifest is empty). Both go
 * to memfds and export_verify opens them by /proc/self/fd/N, through the
 * same stat/fopen/json_load_file path the command uses. Each input is
 * verified twice:
 *
 *  1. as it is, with no pinned key (the manifest's own key is taken);
 *  2. re-signed: the manifest's statement (and its checkpoint, when that
 *     parses) signed with a fixed fuzz key that is then pinned. Without
 *     --pubkey anyone can sign a manifest, so this is what a forger gets;
 *     it lets mutated statements (range, rows, filter, report columns,
 *     format) past the signature into the row checks, CSV and JSONL alike.
 *
 * Then csv_read_record runs directly over the raw input, with the
 * verifier's bounds and with small ones, and every record it accepts is
 * written back with the export writer's CSV cells and read again.
 *
 * Seeds (corpus/fuzz_export_verify/) are real: aeogated ran the audit
 * integration scenario (seed_audit_scenario, tests/integration/audit_lib.sh)
 * and aeogatectl audit export / report -o wrote each file and manifest, CSV
 * and JSONL, unfiltered, filtered and table reports; csv_tampered has one
 * flipped byte in seq 5.
 *
 * Checks: a refusal is -EBADMSG with a message; an acceptance says "ok:"
 * and its seqs lie in the signed range; csv_read_record returns a count
 * within max or -EMSGSIZE/-EBADMSG, its fields lie in buf, and what the
 * writer writes the reader reads back (less the one neutralizing
 * apostrophe); nothing crashes or leaks (ASan).
 */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "audit.h"
#include "checkpoint.h"
#include "export.h"
#include "export_verify.h"
#include "fuzz.h"
#include "util.h"

#define SEP "=== manifest ===\n"

static struct devkey key; /* the forger's key, fixed so runs repeat */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned char seed[crypto_sign_SEEDBYTES];

	CHECK(sodium_init() >= 0);
	memset(seed, 0x5a, sizeof(seed));
	crypto_sign_seed_keypair(key.pk, key.sk, seed);
	sodium_bin2hex(key.pk_hex, sizeof(key.pk_hex), key.pk, sizeof(key.pk));
	devkey_id(key.pk, key.id);
	return 0;
}

/* A memfd holding data; path receives its /proc/self/fd name. */
static int memfile(const char *name, const void *data, size_t size, char *path, size_t len)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	CHECK(fd >= 0);
	CHECK(size == 0 || write(fd, data, size) == (ssize_t)size);
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

static void check_result(int r, const struct export_verify_result *res, bool pinned)
{
	if (r < 0) {
		CHECK(r == -EBADMSG);
		CHECK(res->message[0]);
		return;
	}
	CHECK(r == 0);
	CHECK(strncmp(res->message, "ok: ", 4) == 0);
	CHECK(res->key_pinned == pinned);
	CHECK(res->rows >= 0);
	if (pinned)
		CHECK(strcmp(res->key_id, key.id) == 0);
	else
		CHECK(strstr(res->message, "pass --pubkey"));
	if (res->first_seq) {
		/* An event export: its rows are inside the signed range, in order. */
		CHECK(res->rows > 0);
		CHECK(res->range_first <= res->first_seq && res->first_seq <= res->last_seq &&
		      res->last_seq <= res->range_last);
		CHECK(res->last_seq - res->first_seq + 1 >= res->rows);
	}
}

/*
 * The manifest as a forger re-signs it, or NULL when it is not a JSON
 * object with a statement. The checkpoint is re-signed when its fields
 * parse; otherwise left for the verifier to refuse.
 */
static char *resign(const char *text, size_t len)
{
	json_t *man = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *st = json_object_get(man, "statement"), *cpj;
	const char *type, *hash, *ts;
	char sig[DEVKEY_SIG_HEX], *stext, *out = NULL;
	struct checkpoint cp = {0};

	if (!json_is_object(st))
		goto out;
	cpj = json_object_get(st, "checkpoint");
	hash = json_string_value(json_object_get(cpj, "hash"));
	ts = json_string_value(json_object_get(cpj, "ts"));
	if (json_is_integer(json_object_get(cpj, "seq")) && hash && ts &&
	    strlen(hash) == EVENT_HASH_HEX - 1 && time_parse_ms(ts, &cp.ts_ms) == 0 &&
	    checkpoint_sign(&key, json_integer_value(json_object_get(cpj, "seq")), hash, cp.ts_ms,
			    &cp) == 0)
		json_object_set_new(cpj, "signature", json_string(cp.signature));
	type = json_string_value(json_object_get(st, "type"));
	stext = type && !strcmp(type, REPORT_STATEMENT_TYPE) ? report_statement_text(st)
							     : export_statement_text(st);
	if (!stext)
		goto out;
	CHECK(devkey_sign(&key, stext, strlen(stext), sig) == 0);
	free(stext);
	json_object_set_new(man, "public_key", json_string(key.pk_hex));
	json_object_set_new(man, "signature", json_string(sig));
	out = json_dumps(man, JSON_INDENT(2) | JSON_SORT_KEYS);
out:
	json_decref(man);
	return out;
}

static void verify(const uint8_t *file, size_t file_len, const uint8_t *man, size_t man_len)
{
	struct export_verify_result res;
	char fpath[64], mpath[64], *again;
	int ffd, mfd, r;

	ffd = memfile("fuzz-export", file, file_len, fpath, sizeof(fpath));
	mfd = memfile("fuzz-manifest", man, man_len, mpath, sizeof(mpath));
	r = export_verify(fpath, mpath, NULL, &res);
	check_result(r, &res, false);
	close(mfd);

	again = resign((const char *)man, man_len);
	if (again) {
		mfd = memfile("fuzz-manifest", again, strlen(again), mpath, sizeof(mpath));
		r = export_verify(fpath, mpath, key.pk, &res);
		check_result(r, &res, true);
		close(mfd);
		free(again);
	}
	close(ffd);
}

/* What a reader takes a cell for: one neutralizing apostrophe dropped. */
static const char *unneutralize(const char *cell)
{
	return cell[0] == '\'' ? cell + 1 : cell;
}

/* The writer's CSV cells for fields, read back: the same cells. */
static void roundtrip(char **fields, int n)
{
	json_t *cols = json_array();
	char *text = NULL, *buf, *back[AEOGATE_REPORT_COLS_MAX + 1];
	size_t tlen = 0;
	FILE *f;
	int m;

	CHECK(cols);
	for (int i = 0; i < n; i++) {
		json_t *s = json_string(fields[i]);

		if (!s)
			goto out; /* jansson takes only UTF-8: nothing to compare */
		CHECK(json_array_append_new(cols, s) == 0);
	}
	f = open_memstream(&text, &tlen);
	CHECK(f);
	CHECK(report_write_header(f, EXPORT_CSV, cols) == 0);
	fclose(f);
	f = fmemopen(text, tlen, "r");
	CHECK(f);
	buf = malloc(AEOGATE_EXPORT_ROW_MAX);
	CHECK(buf);
	m = csv_read_record(f, buf, AEOGATE_EXPORT_ROW_MAX, back, AEOGATE_REPORT_COLS_MAX);
	if (m != n)
		fprintf(stderr, "wrote %d cells, read back %d from: %.*s\n", n, m, (int)tlen, text);
	CHECK(m == n);
	for (int i = 0; i < n; i++)
		CHECK(strcmp(unneutralize(back[i]), fields[i]) == 0);
	/* One record was written: the next read is the end of the file. */
	CHECK(csv_read_record(f, buf, AEOGATE_EXPORT_ROW_MAX, back, AEOGATE_REPORT_COLS_MAX) == 0);
	fclose(f);
	free(buf);
out:
	free(text);
	json_decref(cols);
}

/* csv_read_record over data until it stops; buflen and max as the caller says. */
static void read_records(const uint8_t *data, size_t size, size_t buflen, size_t max, bool rt)
{
	char **fields = calloc(max, sizeof(*fields)); /* max: the bound it is given */
	char *buf = malloc(buflen);		      /* exactly buflen: ASan sees one byte over */
	FILE *f;
	int n;

	CHECK(fields && buf);
	if (size == 0) {
		free(fields);
		free(buf);
		return;
	}
	f = fmemopen((void *)data, size, "r");
	CHECK(f);
	for (int rec = 0; rec < 100000; rec++) {
		n = csv_read_record(f, buf, buflen, fields, max);
		if (n <= 0) {
			CHECK(n == 0 || n == -EMSGSIZE || n == -EBADMSG);
			break;
		}
		CHECK((size_t)n <= max);
		for (int i = 0; i < n; i++) {
			CHECK(fields[i] >= buf && fields[i] < buf + buflen);
			CHECK(strlen(fields[i]) < (size_t)(buf + buflen - fields[i]));
			if (i)
				CHECK(fields[i] > fields[i - 1]);
		}
		if (rt && n <= AEOGATE_REPORT_COLS_MAX)
			roundtrip(fields, n);
	}
	fclose(f);
	free(fields);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep;

	if (size > 256 * 1024)
		return 0;
	sep = memmem(data, size, SEP, strlen(SEP));
	if (sep)
		verify(data, (size_t)(sep - data), sep + strlen(SEP),
		       size - (size_t)(sep - data) - strlen(SEP));
	else
		verify(data, size, NULL, 0);

	/* The verifier's own bounds, then small ones that the input can overrun. */
	read_records(data, size, AEOGATE_EXPORT_ROW_MAX, EXPORT_CSV_COLS, true);
	read_records(data, size, 1 + size % 37, 1 + size % 5, false);
	return 0;
}
