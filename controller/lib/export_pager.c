/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export_pager.h"

enum pager_step {
	STEP_BEGIN,
	STEP_PAGE,
	STEP_SEAL,
	STEP_DONE,
};

/* Created by export_pager_new for one export; freed by its caller. */
struct export_pager {
	bool table;
	enum export_format fmt;
	char *report;	    /* an event report's name, or NULL */
	int64_t max_bytes;  /* 0: unbounded */
	bool sync;	    /* fsync before the seal */
	FILE *f;	    /* the caller's */
	json_t *begin_args; /* until begin is sent */
	json_t *begin;	    /* the begin op's result */
	json_t *state;	    /* the newest page state */
	json_t *seal;	    /* the seal op's result */
	enum pager_step step;
	int64_t rows;
};

int export_pager_new(bool table, enum export_format fmt, json_t *begin_args, const char *report,
		     int64_t max_bytes, bool sync, struct export_pager **ret)
{
	struct export_pager *p = calloc(1, sizeof(*p));

	if (!p || !begin_args || (report && !(p->report = strdup(report)))) {
		free(p);
		json_decref(begin_args);
		return -ENOMEM;
	}
	p->table = table;
	p->fmt = fmt;
	p->begin_args = begin_args;
	p->max_bytes = max_bytes;
	p->sync = sync;
	*ret = p;
	return 0;
}

void export_pager_free(struct export_pager *p)
{
	if (!p)
		return;
	json_decref(p->begin_args);
	json_decref(p->begin);
	json_decref(p->state);
	json_decref(p->seal);
	free(p->report);
	free(p);
}

void export_pager_set_file(struct export_pager *p, FILE *f)
{
	p->f = f;
}

/* Arguments of the page and seal ops: what begin returned, and the state. */
static json_t *page_args(const struct export_pager *p)
{
	if (p->table)
		return json_pack("{s:O,s:O,s:O}", "report", json_object_get(p->begin, "report"),
				 "params", json_object_get(p->begin, "params"), "state", p->state);
	return json_pack("{s:O,s:O,s:O,s:O}", "filter", json_object_get(p->begin, "filter"),
			 "range_first", json_object_get(p->begin, "range_first"), "range_last",
			 json_object_get(p->begin, "range_last"), "state", p->state);
}

static int ask(const char *op, json_t *args, const char **ret_op, json_t **ret_args)
{
	if (!args)
		return -ENOMEM;
	*ret_op = op;
	*ret_args = args;
	return 1;
}

int export_pager_next(struct export_pager *p, const json_t *result, const char **ret_op,
		      json_t **ret_args)
{
	const json_t *row;
	size_t i;
	json_t *args;

	switch (p->step) {
	case STEP_BEGIN:
		if (!result) {
			args = p->table ? json_incref(p->begin_args)
					: json_pack("{s:O}", "filter", p->begin_args);
			return ask(p->table ? "report.begin" : "audit.export_begin", args, ret_op,
				   ret_args);
		}
		if (!json_is_object(json_object_get(result, "state")) ||
		    (p->table && !json_is_array(json_object_get(result, "columns"))))
			return -EPROTO;
		p->begin = json_incref((json_t *)result);
		p->state = json_incref(json_object_get(result, "state"));
		json_decref(p->begin_args);
		p->begin_args = NULL;
		if ((p->table
			 ? report_write_header(p->f, p->fmt, json_object_get(result, "columns"))
			 : export_write_header(p->f, p->fmt)) < 0)
			return -EIO;
		p->step = STEP_PAGE;
		return ask(p->table ? "report.page" : "audit.export_page", page_args(p), ret_op,
			   ret_args);
	case STEP_PAGE:
		if (!json_is_array(json_object_get(result, "rows")) ||
		    !json_is_object(json_object_get(result, "state")))
			return -EPROTO;
		json_array_foreach(json_object_get(result, "rows"), i, row)
		{
			if ((p->table ? report_write_row(p->f, p->fmt,
							 json_object_get(p->begin, "columns"), row)
				      : export_write_row(p->f, p->fmt, row)) < 0)
				return -EIO;
			p->rows++;
		}
		if (p->max_bytes && ftello(p->f) > p->max_bytes)
			return -EFBIG;
		json_decref(p->state);
		p->state = json_incref(json_object_get(result, "state"));
		if (!json_is_true(json_object_get(result, "done")))
			return ask(p->table ? "report.page" : "audit.export_page", page_args(p),
				   ret_op, ret_args);
		/* Every row is in the file before the controller signs for it. */
		if (fflush(p->f) != 0 || (p->sync && fsync(fileno(p->f)) < 0))
			return -EIO;
		p->step = STEP_SEAL;
		args = page_args(p);
		if (args && p->report && !p->table)
			json_object_set_new(args, "report", json_string(p->report));
		return ask(p->table ? "report.seal" : "audit.export_seal", args, ret_op, ret_args);
	case STEP_SEAL:
		if (!json_is_object(json_object_get(result, "statement")) ||
		    !json_is_string(json_object_get(result, "signature")) ||
		    !json_is_string(json_object_get(result, "public_key")))
			return -EPROTO;
		p->seal = json_incref((json_t *)result);
		p->step = STEP_DONE;
		return 0;
	default:
		return -EINVAL;
	}
}

const json_t *export_pager_begin(const struct export_pager *p)
{
	return p->begin;
}

const json_t *export_pager_seal(const struct export_pager *p)
{
	return p->seal;
}

int64_t export_pager_rows(const struct export_pager *p)
{
	return p->rows;
}

json_t *export_manifest_json(const json_t *seal, enum export_format fmt, const char *file)
{
	return json_pack("{s:O,s:O,s:O,s:s,s:s}", "statement", json_object_get(seal, "statement"),
			 "signature", json_object_get(seal, "signature"), "public_key",
			 json_object_get(seal, "public_key"), "format", export_format_name(fmt),
			 "file", file);
}
