// SPDX-License-Identifier: MIT
/*
 * aeogatectl events: the stored log page by page (events.list), then with
 * --follow the live stream (events.follow from the last seq printed, so
 * nothing is missed or printed twice), until SIGINT/SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "aeogate/limits.h"
#include "ctl.h"
#include "print.h"

struct events_run {
	bool json;
	long long limit; /* events to print at most; 0: no limit */
	long long printed;
	long long last; /* seq of the last event printed (or since) */
};

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	stop_requested = 1;
}

static void print_event(const json_t *ev, bool json)
{
	static const char *const keys[] = {"door",   "reader",	   "zone",
					   "person", "credential", "reason"};
	char seq[32], b[64];

	if (json) {
		print_json_line(stdout, ev);
	} else {
		printf("%s  %s  %s", json_field(ev, "seq", seq, sizeof(seq)),
		       json_field(ev, "ts", b, sizeof(b)), json_field(ev, "kind", b, sizeof(b)));
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			const char *v = json_string_value(json_object_get(ev, keys[i]));

			if (v)
				printf("  %s=%s", keys[i], v);
		}
		fputc('\n', stdout);
	}
	/* Followers are often piped into other tools: each event must leave at once. */
	fflush(stdout);
}

/*
 * Prints one event unless it is one we have already printed. Returns true
 * when it was printed and false for a duplicate or an event without seq.
 * An event that storage could not take yet (seq null, detail.stored
 * false) is printed as it comes; its stored copy follows with a seq.
 */
static bool take_event(struct events_run *run, const json_t *ev)
{
	const json_t *seq = json_object_get(ev, "seq");

	if (json_is_null(seq) &&
	    json_is_false(json_object_get(json_object_get(ev, "detail"), "stored"))) {
		print_event(ev, run->json);
		return false;
	}
	if (!json_is_integer(seq) || json_integer_value(seq) <= run->last)
		return false;
	run->last = json_integer_value(seq);
	print_event(ev, run->json);
	run->printed++;
	return true;
}

static bool limit_reached(const struct events_run *run)
{
	return run->limit && run->printed >= run->limit;
}

/* events.list from run->last until an empty page or the limit. */
static int list_pages(struct ctl_ctx *ctx, struct events_run *run)
{
	while (!limit_reached(run)) {
		long long want = CTL_PAGE_ROWS;
		long long before = run->last;
		json_t *page, *ev;
		size_t i, n;
		int r;

		if (run->limit && run->limit - run->printed < want)
			want = run->limit - run->printed;
		r = ctl_call(
		    ctx, "events.list",
		    json_pack("{sI sI}", "since", (json_int_t)run->last, "limit", (json_int_t)want),
		    &page);
		if (r)
			return r;
		if (!json_is_array(page)) {
			json_decref(page);
			return ctl_fail("events.list: malformed reply from aeogated");
		}
		n = json_array_size(page);
		json_array_foreach(page, i, ev)
		{
			if (limit_reached(run))
				break;
			take_event(run, ev);
		}
		json_decref(page);
		/* An empty page is the end; a page that did not advance would loop forever. */
		if (n == 0 || run->last == before)
			break;
	}
	return CTL_EXIT_OK;
}

/* stream_read's verdict when the controller cut us off and we may resume. */
#define STREAM_CUT (-1)

/*
 * Prints the event lines of one follow connection. Returns an exit code, or
 * STREAM_CUT when the controller dropped us for falling behind: with a
 * too_slow line, or (when its queue could not even take that) by closing.
 * Only a connection that made progress may be resumed, so a controller
 * that keeps cutting us off at once cannot make us loop.
 */
static int stream_read(struct ctl_ctx *ctx, struct events_run *run)
{
	long long got = 0;

	for (;;) {
		const json_t *err;
		json_t *msg;
		int r;

		r = ctl_client_read(ctx->client, -1, &msg);
		if (r == -EINTR)
			return CTL_EXIT_INTERRUPTED;
		if (r == -EPIPE)
			return got ? STREAM_CUT : ctl_fail("aeogated closed the event stream");
		if (r < 0)
			return ctl_fail("events.follow: %s", ctl_client_strerror(r));

		err = json_object_get(msg, "error");
		if (err) {
			const char *code = json_string_value(json_object_get(err, "code"));
			const char *text = json_string_value(json_object_get(err, "message"));

			if (code && !strcmp(code, "too_slow") && got) {
				json_decref(msg);
				return STREAM_CUT;
			}
			r = ctl_fail("%s: %s", code ? code : "error", text ? text : "");
			json_decref(msg);
			return r;
		}
		if (!json_is_object(json_object_get(msg, "event"))) {
			json_decref(msg);
			return ctl_fail("events.follow: malformed event line from aeogated");
		}
		if (take_event(run, json_object_get(msg, "event")))
			got++;
		json_decref(msg);
		if (limit_reached(run))
			return CTL_EXIT_OK;
	}
}

/*
 * events.follow from run->last until interrupted or the stream ends. The
 * controller cuts off a follower that falls behind rather than slow down;
 * we then reconnect and resume after the last event printed. A cut without
 * progress, or a controller that is gone, ends the follow.
 */
static int follow(struct ctl_ctx *ctx, struct events_run *run, const sigset_t *wait_mask)
{
	for (;;) {
		json_t *reply;
		int r;

		r = ctl_call(ctx, "events.follow",
			     json_pack("{sI}", "since", (json_int_t)run->last), &reply);
		if (r)
			return r;
		json_decref(reply);

		r = stream_read(ctx, run);
		if (r != STREAM_CUT)
			return r;

		ctl_client_free(ctx->client);
		ctx->client = NULL;
		if (ctl_client_connect(ctx->socket, &ctx->client) < 0)
			return ctl_fail("aeogated closed the event stream");
		ctl_client_set_wait_mask(ctx->client, wait_mask);
		/* Said on stderr so a watcher knows; stdout stays pure events. */
		fprintf(stderr, "aeogatectl: fell behind the controller; resuming after seq %lld\n",
			run->last);
	}
}

static int bad_since(struct ctl_ctx *ctx, const char *value)
{
	return ctl_usage_error(ctx, "--since needs a sequence number, not '%s'", value);
}

static int bad_limit(struct ctl_ctx *ctx, const char *value)
{
	return ctl_usage_error(ctx, "--limit needs a positive number, not '%s'", value);
}

int cmd_events(struct ctl_ctx *ctx, int argc, char **argv)
{
	enum { SINCE, LIMIT, FOLLOW };
	static const struct ctl_opt opts[] = {
	    [SINCE] = {"since", CTL_OPT_NUMBER, .max = INT64_MAX, .bad = bad_since},
	    [LIMIT] = {"limit", CTL_OPT_NUMBER, .min = 1, .max = INT64_MAX, .bad = bad_limit},
	    [FOLLOW] = {"follow", CTL_OPT_FLAG},
	    CTL_JSON,
	    {0},
	};
	struct ctl_parsed o = {0};
	struct events_run run = {0};
	struct sigaction sa = {.sa_handler = on_stop_signal};
	sigset_t block, wait_mask;
	bool follow_mode;
	int r;

	sigemptyset(&wait_mask);

	r = ctl_parse(ctx, argc, argv, opts, 0, NULL, &o);
	if (r >= 0)
		return r;
	run.json = o.json;
	run.last = o.num[SINCE];
	run.limit = o.num[LIMIT];
	follow_mode = o.set[FOLLOW];

	if (ctl_connect(ctx))
		return CTL_EXIT_FAIL;
	if (follow_mode) {
		/*
		 * SIGINT and SIGTERM end a follow normally (exit 0). They stay
		 * blocked except inside the wait (ppoll), so one cannot slip in
		 * between checking for it and starting to wait.
		 */
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigprocmask(SIG_BLOCK, &block, &wait_mask);
		sigdelset(&wait_mask, SIGINT);
		sigdelset(&wait_mask, SIGTERM);
		ctl_client_set_wait_mask(ctx->client, &wait_mask);
	}

	r = list_pages(ctx, &run);
	if (r == CTL_EXIT_OK && follow_mode && !limit_reached(&run))
		r = follow(ctx, &run, &wait_mask);
	if (r == CTL_EXIT_INTERRUPTED)
		r = stop_requested ? CTL_EXIT_OK : CTL_EXIT_FAIL;
	return r;
}
