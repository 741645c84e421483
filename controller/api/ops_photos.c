/* SPDX-License-Identifier: MIT */
/*
 * Control-socket ops for person photos (README "Person photos"): one PNG
 * or JPEG per person, so a guard can compare the face at the door.
 *
 * The image comes as the site plan's does, staged on the connection by
 * blob.begin and blob.data (ops_siteplan.c), and person.photo_set takes
 * it whole once image_probe accepted it within AEOGATE_PHOTO_MAX. The
 * event person.photo records the hash and who, never the bytes. Managers
 * and admins change a photo; every signed-in role may see one, as it may
 * see the person (person.show): a guard must see the face on the feed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "store.h"
#include "util.h"

static json_t *photo_json(const char *person, const struct person_photo *p)
{
	return json_pack("{s:s,s:s,s:I,s:I,s:I,s:s,s:o,s:s}", "person", person, "type", p->type,
			 "width", (json_int_t)p->width, "height", (json_int_t)p->height, "bytes",
			 (json_int_t)p->bytes, "sha256", p->sha256, "updated",
			 time_to_json(p->updated_ms), "updated_by", p->updated_by);
}

json_t *ops_person_photo_json(struct core *c, const char *person)
{
	struct person_photo p;

	if (store_person_photo_get(core_store(c), person, &p) < 0)
		return json_null();
	return photo_json(person, &p);
}

/* person.photo_set {id}: the upload staged on this connection becomes the person's photo. */
static int op_person_photo_set(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct person_photo p = {0};
	const unsigned char *img;
	struct image_info info;
	struct person who;
	json_t *out = NULL;
	size_t len;
	int r;

	/* A photo of nobody is refused before its bytes are looked at. */
	if (ops_find_person(req, "id", &who) < 0)
		goto out;
	if (ops_blob_image(req, AEOGATE_PHOTO_MAX, &img, &len, &info, p.sha256) < 0)
		return -1;
	snprintf(p.type, sizeof(p.type), "%s", info.type);
	p.width = info.width;
	p.height = info.height;
	p.bytes = (int64_t)len;
	p.updated_ms = now_wall_ms();
	snprintf(p.updated_by, sizeof(p.updated_by), "%s", req->operator_id);

	if (ops_begin(req, c) < 0)
		goto out;
	r = store_person_photo_put(core_store(c), who.id, &p, img, len);
	if (r < 0) {
		ops_abort(c);
		ops_store_error(req, r, "person");
		goto out;
	}
	struct event e = {.kind = "person.photo", .person = who.id};
	json_t *detail = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I}", "action", "set", "sha256", p.sha256,
				   "type", p.type, "width", (json_int_t)p.width, "height",
				   (json_int_t)p.height, "bytes", (json_int_t)p.bytes);
	if (ops_commit(req, c, &e, detail) < 0)
		goto out;
	out = photo_json(who.id, &p);
out:
	ops_blob_drop(req);
	if (!out)
		return -1;
	*ret = out;
	return 0;
}

/* person.photo_remove {id}: the person has no photo any more. */
static int op_person_photo_remove(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct person_photo before;
	struct person who;
	int r;

	if (ops_find_person(req, "id", &who) < 0)
		return -1;
	if (ops_begin(req, c) < 0)
		return -1;
	r = store_person_photo_get(core_store(c), who.id, &before);
	if (r == 0)
		r = store_person_photo_clear(core_store(c), who.id);
	if (r < 0) {
		ops_abort(c);
		if (r == -ENOENT)
			return ctl_fail(req, "not_found", "%s has no photo", who.id);
		return ops_store_error(req, r, "photo");
	}
	struct event e = {.kind = "person.photo", .person = who.id};
	json_t *detail = json_pack("{s:s,s:s}", "action", "removed", "sha256", before.sha256);
	if (ops_commit(req, c, &e, detail) < 0)
		return -1;
	*ret = json_pack("{s:s}", "person", who.id);
	return 0;
}

/* person.photo_show {id}: the photo's description, or null when there is none. */
static int op_person_photo_show(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct person_photo p;
	struct person who;
	int r;

	if (ops_find_person(req, "id", &who) < 0)
		return -1;
	r = store_person_photo_get(core_store(c), who.id, &p);
	if (r < 0 && r != -ENOENT)
		return ops_store_error(req, r, "photo");
	*ret = json_pack("{s:s,s:o}", "person", who.id, "photo",
			 r == 0 ? photo_json(who.id, &p) : json_null());
	return 0;
}

/* person.photo_image {id}: the image, base64, with its type and hash. */
static int op_person_photo_image(struct ctl_request *req, json_t **ret)
{
	struct core *c = req->userdata;
	struct person_photo p;
	struct person who;
	void *img = NULL;
	size_t len = 0;
	int r;

	if (ops_find_person(req, "id", &who) < 0)
		return -1;
	r = store_person_photo_get(core_store(c), who.id, &p);
	if (r == 0)
		r = store_person_photo_image(core_store(c), who.id, &img, &len);
	if (r == -ENOENT)
		return ctl_fail(req, "not_found", "%s has no photo", who.id);
	if (r < 0)
		return ops_store_error(req, r, "photo");
	return ops_image_reply(req, p.type, p.sha256, img, len, ret);
}

const struct ctl_op ops_photos[] = {
    {"person.photo_set", ROLES_MANAGE, op_person_photo_set},
    {"person.photo_remove", ROLES_MANAGE, op_person_photo_remove},
    {"person.photo_show", ROLES_SIGNED_IN, op_person_photo_show},
    {"person.photo_image", ROLES_SIGNED_IN, op_person_photo_image},
    {NULL, 0, NULL},
};
