/* SPDX-License-Identifier: MIT */
/*
 * Control-socket ops for the site plan (README "Site plan"): an admin's
 * floor-plan image and the door markers on it.
 *
 * An image is larger than one request (AEOGATE_MSG_MAX), so it comes in
 * pieces on one connection: blob.begin {bytes} stages an upload on the
 * connection, blob.data {data} appends base64 pieces of at most
 * AEOGATE_BLOB_CHUNK bytes, and the op that uses it (site.plan_set) takes
 * it whole. A staged upload is released with its connection, and at most
 * AEOGATE_BLOBS_MAX are staged at once. The image is checked from its bytes
 * (image.h) before anything is stored; the event site.plan records its
 * hash, never its bytes.
 */
#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "ops.h"
#include "store.h"
#include "util.h"

#define ROLES_PLAN_ADMIN (ROLE_ADMIN | ROLE_LOCAL)

/* One upload staged on a connection: created by blob.begin, freed with it. */
struct blob {
	unsigned char *buf;
	size_t len, want;
};

/* Uploads staged now, across connections (their memory is bounded by this). */
static unsigned blobs_staged;

static void blob_free(void *data)
{
	struct blob *b = data;

	if (!b)
		return;
	free(b->buf);
	free(b);
	blobs_staged--;
}

/* blob.begin {bytes}: stages an upload of that many bytes on this connection. */
static int op_blob_begin(struct ctl_request *req, json_t **ret)
{
	struct blob *b;
	int64_t bytes;

	if (ctl_arg_int(req, "bytes", true, 1, AEOGATE_SITE_PLAN_MAX, &bytes) < 0)
		return -1;
	if (!req->conn)
		return ctl_fail(req, "failed_precondition",
				"an upload needs a connection of its own");
	if (ctl_conn_attached(req->conn, blob_free))
		return ctl_fail(req, "failed_precondition",
				"an upload is staged on this connection");
	if (blobs_staged >= AEOGATE_BLOBS_MAX)
		return ctl_fail(req, "unavailable", "too many uploads at once; try again");
	b = calloc(1, sizeof(*b));
	if (b)
		b->buf = malloc((size_t)bytes);
	if (!b || !b->buf) {
		free(b);
		return ctl_fail(req, "internal", "out of memory");
	}
	b->want = (size_t)bytes;
	blobs_staged++;
	if (ctl_conn_attach(req->conn, b, blob_free) < 0) {
		blob_free(b);
		return ctl_fail(req, "failed_precondition", "the connection holds other state");
	}
	*ret = json_pack("{s:I}", "bytes", (json_int_t)bytes);
	return 0;
}

/* blob.data {data}: the next base64 piece of the staged upload. */
static int op_blob_data(struct ctl_request *req, json_t **ret)
{
	struct blob *b = req->conn ? ctl_conn_attached(req->conn, blob_free) : NULL;
	const char *data;
	size_t n = 0;

	if (ctl_arg_string(req, "data", true, AEOGATE_BLOB_CHUNK / 3 * 4 + 4, &data) < 0)
		return -1;
	if (!b)
		return ctl_fail(req, "failed_precondition",
				"no upload staged on this connection (blob.begin first)");
	if (sodium_base642bin(b->buf + b->len, b->want - b->len, data, strlen(data), NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return ctl_fail(req, "invalid_argument",
				"'data' must be base64 and stay within the bytes announced");
	b->len += n;
	*ret = json_pack("{s:I,s:I}", "received", (json_int_t)b->len, "bytes", (json_int_t)b->want);
	return 0;
}

static json_t *plan_json(const struct site_plan *p)
{
	return json_pack("{s:s,s:I,s:I,s:I,s:s,s:o,s:s}", "type", p->type, "width",
			 (json_int_t)p->width, "height", (json_int_t)p->height, "bytes",
			 (json_int_t)p->bytes, "sha256", p->sha256, "updated",
			 time_to_json(p->updated_ms), "updated_by", p->updated_by);
}

int ops_blob_image(struct ctl_request *req, size_t max, const unsigned char **ret, size_t *ret_len,
		   struct image_info *ret_info, char ret_sha256[65])
{
	struct blob *b = req->conn ? ctl_conn_attached(req->conn, blob_free) : NULL;
	unsigned char hash[crypto_hash_sha256_BYTES];
	int r;

	if (!b)
		return ctl_fail(req, "failed_precondition",
				"no upload staged on this connection (blob.begin first)");
	if (b->len != b->want) {
		ctl_conn_detach(req->conn, blob_free);
		return ctl_fail(req, "invalid_argument", "the upload is incomplete");
	}
	r = image_probe(b->buf, b->len, max, AEOGATE_IMAGE_SIDE_MAX, ret_info);
	if (r < 0) {
		ctl_conn_detach(req->conn, blob_free);
		if (r == -EMSGSIZE)
			return ctl_fail(req, "invalid_argument", "the image is larger than %zu KiB",
					max / 1024);
		return ctl_fail(req, "invalid_argument", "%s", image_probe_error(r));
	}
	crypto_hash_sha256(hash, b->buf, b->len);
	sodium_bin2hex(ret_sha256, 65, hash, sizeof(hash));
	*ret = b->buf;
	*ret_len = b->len;
	return 0;
}

void ops_blob_drop(struct ctl_request *req)
{
	if (req->conn)
		ctl_conn_detach(req->conn, blob_free);
}

/* site.plan_set {}: the upload staged on this connection becomes the site plan. */
static int op_site_plan_set(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct site_plan p = {0}, before = {0};
	struct image_info info;
	const unsigned char *img;
	json_t *out = NULL;
	size_t len;
	bool had;
	int r;

	if (ops_blob_image(req, AEOGATE_SITE_PLAN_MAX, &img, &len, &info, p.sha256) < 0)
		return -1;
	snprintf(p.type, sizeof(p.type), "%s", info.type);
	p.width = info.width;
	p.height = info.height;
	p.bytes = (int64_t)len;
	p.updated_ms = now_wall_ms();
	snprintf(p.updated_by, sizeof(p.updated_by), "%s", req->operator_id);

	if (ops_begin(req, c) < 0)
		goto out;
	had = store_site_plan_get(core_store(c), &before) == 0;
	r = store_site_plan_put(core_store(c), &p, img, len);
	if (r < 0) {
		ops_abort(c);
		ops_store_error(req, r, "site plan");
		goto out;
	}
	struct event e = {.kind = "site.plan"};
	json_t *detail = json_pack("{s:s,s:o,s:o}", "action", "uploaded", "before",
				   had ? plan_json(&before) : json_null(), "after", plan_json(&p));
	if (ops_commit(req, c, &e, detail) < 0)
		goto out;
	out = plan_json(&p);
out:
	ops_blob_drop(req);
	if (!out)
		return -1;
	*ret = out;
	return 0;
}

/* site.plan_remove {}: no plan; the markers stay for the next one. */
static int op_site_plan_remove(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct site_plan before;
	int r;

	if (ops_begin(req, c) < 0)
		return -1;
	r = store_site_plan_get(core_store(c), &before);
	if (r == 0)
		r = store_site_plan_clear(core_store(c));
	if (r < 0) {
		ops_abort(c);
		return ops_store_error(req, r, "site plan");
	}
	struct event e = {.kind = "site.plan"};
	json_t *detail =
	    json_pack("{s:s,s:o,s:n}", "action", "removed", "before", plan_json(&before), "after");
	if (ops_commit(req, c, &e, detail) < 0)
		return -1;
	*ret = json_object();
	return 0;
}

static int marker_cb(const struct door_marker *m, void *userdata)
{
	return json_array_append_new(
	    userdata, json_pack("{s:s,s:f,s:f}", "door", m->door, "x", m->x, "y", m->y));
}

/* site.plan_show {}: the plan's description (null: none) and every door marker. */
static int op_site_plan_show(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct site_plan p;
	json_t *markers = json_array();
	int r = store_site_plan_get(core_store(c), &p);

	if (r < 0 && r != -ENOENT) {
		json_decref(markers);
		return ops_store_error(req, r, "site plan");
	}
	*ret = json_pack("{s:o}", "plan", r == 0 ? plan_json(&p) : json_null());
	r = store_door_markers(core_store(c), marker_cb, markers);
	if (r < 0) {
		json_decref(markers);
		json_decref(*ret);
		*ret = NULL;
		return ops_store_error(req, r, "door markers");
	}
	json_object_set_new(*ret, "markers", markers);
	return 0;
}

int ops_image_reply(struct ctl_request *req, const char *type, const char *sha256, void *img,
		    size_t len, json_t **ret)
{
	size_t cap = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(cap);

	if (!b64) {
		free(img);
		return ctl_fail(req, "internal", "out of memory");
	}
	sodium_bin2base64(b64, cap, img, len, sodium_base64_VARIANT_ORIGINAL);
	free(img);
	*ret = json_pack("{s:s,s:s,s:s}", "type", type, "sha256", sha256, "data", b64);
	free(b64);
	return *ret ? 0 : ctl_fail(req, "internal", "out of memory");
}

/* site.plan_image {}: the image, base64, with its type and hash. */
static int op_site_plan_image(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct site_plan p;
	void *img = NULL;
	size_t len = 0;
	int r = store_site_plan_get(core_store(c), &p);

	if (r == 0)
		r = store_site_plan_image(core_store(c), &img, &len);
	if (r < 0)
		return ops_store_error(req, r, "site plan");
	return ops_image_reply(req, p.type, p.sha256, img, len, ret);
}

/* The door named by 'door': one of the config's. */
static int arg_door(struct ctl_request *req, const char **ret)
{
	const struct config *cfg = core_config(req->userdata);

	if (ctl_arg_id(req, "door", true, ret) < 0)
		return -1;
	for (unsigned i = 0; i < cfg->n_doors; i++)
		if (!strcmp(cfg->doors[i].name, *ret))
			return 0;
	return ctl_fail(req, "not_found", "no door '%s' (doors come from the config)", *ret);
}

/* A coordinate: a JSON number from 0 to 1. */
static int arg_unit(struct ctl_request *req, const char *name, double *ret)
{
	const json_t *v = json_object_get(req->args, name);

	if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0 ||
	    json_number_value(v) > 1)
		return ctl_fail(req, "invalid_argument",
				"'%s' must be a number from 0 to 1 (a fraction of the plan's %s)",
				name, !strcmp(name, "x") ? "width" : "height");
	*ret = json_number_value(v);
	return 0;
}

static json_t *marker_json(const struct door_marker *m)
{
	return json_pack("{s:f,s:f}", "x", m->x, "y", m->y);
}

/* site.marker_set {door, x, y} and site.marker_remove {door}. */
static int marker_change(struct ctl_request *req, json_t **ret, bool set)
{
	struct core *c = req->userdata;
	struct door_marker m = {0}, before;
	const char *door;
	bool had;
	int r;

	if (arg_door(req, &door) < 0)
		return -1;
	if (set && (arg_unit(req, "x", &m.x) < 0 || arg_unit(req, "y", &m.y) < 0))
		return -1;
	snprintf(m.door, sizeof(m.door), "%s", door);
	if (ops_begin(req, c) < 0)
		return -1;
	r = store_door_marker_get(core_store(c), door, &before);
	had = r == 0;
	if (r == -ENOENT)
		r = 0;
	if (r == 0)
		r = set ? store_door_marker_put(core_store(c), &m)
			: store_door_marker_clear(core_store(c), door);
	if (r < 0) {
		ops_abort(c);
		return ops_store_error(req, r, "door marker");
	}
	struct event e = {.kind = "site.marker", .door = door};
	json_t *detail = json_pack("{s:s,s:o,s:o}", "door", door, "before",
				   had ? marker_json(&before) : json_null(), "after",
				   set ? marker_json(&m) : json_null());
	if (ops_commit(req, c, &e, detail) < 0)
		return -1;
	*ret = set ? json_pack("{s:s,s:f,s:f}", "door", door, "x", m.x, "y", m.y)
		   : json_pack("{s:s}", "door", door);
	return 0;
}

static int op_site_marker_set(struct ctl_request *req, json_t **ret)
{
	return marker_change(req, ret, true);
}

static int op_site_marker_remove(struct ctl_request *req, json_t **ret)
{
	return marker_change(req, ret, false);
}

const struct ctl_op ops_siteplan[] = {
    {"blob.begin", ROLES_MANAGE, op_blob_begin},
    {"blob.data", ROLES_MANAGE, op_blob_data},
    {"site.plan_set", ROLES_PLAN_ADMIN, op_site_plan_set},
    {"site.plan_remove", ROLES_PLAN_ADMIN, op_site_plan_remove},
    {"site.plan_show", ROLES_SIGNED_IN, op_site_plan_show},
    {"site.plan_image", ROLES_SIGNED_IN, op_site_plan_image},
    {"site.marker_set", ROLES_PLAN_ADMIN, op_site_marker_set},
    {"site.marker_remove", ROLES_PLAN_ADMIN, op_site_marker_remove},
    {NULL, 0, NULL},
};
