/* SPDX-License-Identifier: MIT */
/*
 * Every bound aeogate enforces on outside input or on a resource a user can
 * grow has its home here, with the reason for its value. Tests hit each bound
 * from both sides, so change a value only together with its tests.
 */
#ifndef AEOGATE_LIMITS_H
#define AEOGATE_LIMITS_H

/* ISO 14443A UIDs are 4, 7 or 10 bytes; nothing longer exists. */
#define AEOGATE_UID_MAX_BYTES 10

/*
 * The longest Wiegand format we decode is 48 bits (Corporate 1000 48). Real
 * readers emit at most 64-bit frames; anything longer is noise or an attack.
 */
#define AEOGATE_WIEGAND_MAX_BITS 64

/* The shortest frame that can carry a card: shorter bursts are keypad or noise. */
#define AEOGATE_WIEGAND_MIN_CARD_BITS 26

/* One control-socket request or event line, bytes. */
#define AEOGATE_MSG_MAX 65536

/*
 * One control-socket reply: a page of AEOGATE_ROWS_PER_PAGE records of at
 * most about 1 KiB each must fit.
 */
#define AEOGATE_REPLY_MAX (2 * 1024 * 1024)

/* Nesting depth of a control-socket JSON message; requests are flat. */
#define AEOGATE_JSON_DEPTH_MAX 8

/*
 * Concurrent control-socket connections: every dashboard stream holds one,
 * plus API requests in flight, CLIs and followers. Each costs a 64 KiB
 * input buffer, so the bound also caps that memory at 16 MiB.
 */
#define AEOGATE_CONN_MAX 256

/*
 * Control-socket connections per kind of peer, so that no local user can
 * take them all. A peer that is neither root, the aeogate-admin group nor
 * aeogate-web can only log in (one request), so a few connections per uid
 * are plenty, and all such peers together hold at most
 * AEOGATE_CONN_UNPRIV_MAX. aeogate-web needs one per API request in flight
 * and one per stream, plus a margin for connections it is closing. Root and
 * the admin group have no cap of their own: what the others may hold leaves
 * them at least AEOGATE_CONN_MAX - AEOGATE_CONN_UNPRIV_MAX -
 * AEOGATE_CONN_WEB_MAX (32) slots.
 */
#define AEOGATE_CONN_PER_UID_MAX 8
#define AEOGATE_CONN_UNPRIV_MAX	 48
#define AEOGATE_CONN_WEB_MAX	 (AEOGATE_WEB_INFLIGHT_MAX + AEOGATE_WEB_STREAMS_MAX + 16)

/*
 * Replies queued towards one control-socket connection (written by us, not
 * yet taken by the kernel because the peer does not read) before we read no
 * further requests from it: back-pressure, so one connection's pipelined
 * requests cost bounded memory and bounded loop time, and nothing is dropped.
 * Whichever comes first: this many replies or this many bytes. A connection
 * never holds more than AEOGATE_CTL_OUT_MAX queued bytes (the pause bound plus
 * one reply of at most AEOGATE_REPLY_MAX); it is cut off if it would.
 */
#define AEOGATE_CTL_PENDING_REPLIES_MAX 16
#define AEOGATE_CTL_PENDING_BYTES_MAX	(64 * 1024)
#define AEOGATE_CTL_OUT_MAX		(AEOGATE_CTL_PENDING_BYTES_MAX + AEOGATE_REPLY_MAX + 4096)

/*
 * A control-socket connection that makes no progress for this long is
 * closed: a peer that reads none of the replies queued for it (`too_slow`),
 * or an unprivileged peer that has sent no complete request (`idle_timeout`;
 * it can only log in, which is one line). Ample for a client on a loaded
 * machine, short enough that abandoned connections do not pile up.
 * [controller] socket_timeout sets it within the bounds below (tests use a
 * short one).
 */
#define AEOGATE_CTL_TIMEOUT_MS	   (30 * 1000)
#define AEOGATE_CTL_TIMEOUT_MIN_MS 100
#define AEOGATE_CTL_TIMEOUT_MAX_MS (10 * 60 * 1000)

/*
 * Bytes queued towards one follower before it is cut off: a slow subscriber
 * must never grow our memory or slow a decision.
 */
#define AEOGATE_FOLLOW_BACKLOG_MAX (1024 * 1024)

/* Rows returned by one list request or one events page. */
#define AEOGATE_ROWS_PER_PAGE 1000

/* Person ids, door/reader/zone/level names: short printable identifiers. */
#define AEOGATE_ID_MAX 64

/* Display names and free text (comments, reasons given by operators). */
#define AEOGATE_TEXT_MAX 256
/* A visitor's company, ID document type and vehicle registration: short register fields. */
#define AEOGATE_VISITOR_TEXT_MAX 96
/* Two-person and escort windows: a wait longer than this is no longer one arrival. */
#define AEOGATE_PAIR_WINDOW_MAX_MS (10 * 60 * 1000)

/* Normalized credential string, e.g. "raw:64:ffffffffffffffff" or "uid:" + 20 hex. */
#define AEOGATE_CREDENTIAL_MAX 48
/*
 * Characters of formatted card data (OSDP FMT) kept as a credential
 * ("fmt:" + text): a magstripe track 2 number is at most 40; it fits
 * AEOGATE_CREDENTIAL_MAX with its prefix.
 */
#define AEOGATE_FMT_MAX 40

/* Wired hardware: a gateway board drives a handful of doors. */
#define AEOGATE_DOORS_MAX   64
#define AEOGATE_READERS_MAX 128

/* Access levels a person holds and zones one level opens. */
#define AEOGATE_LEVELS_PER_PERSON_MAX 32
#define AEOGATE_ZONES_PER_LEVEL_MAX   64

/* Formats a reader may decode; there are six we know. */
#define AEOGATE_FORMATS_MAX 8

/*
 * Events held in memory while the database cannot take them (disk full,
 * I/O error). Beyond this they are counted as lost, never silently dropped.
 */
#define AEOGATE_EVENT_QUEUE_MAX 4096

/*
 * Subscribers of the event bus (controller/bus.h): main registers a fixed
 * few (alarms, checkpoints, the control socket's followers, later the
 * fleet uplink); a bound keeps the bus an array, never an allocation.
 */
#define AEOGATE_BUS_SUBSCRIBERS_MAX 8

/*
 * The storage reserve: a preallocated file in the state directory, given
 * back the moment a write fails for lack of space, so that the alarm and
 * the events after it are still committed. On a full disk SQLite cannot
 * checkpoint its WAL into the database file, so every commit grows the
 * WAL by a few pages (about 16 KiB): 64 MiB still holds some 4000 events,
 * hours of a busy site, for someone to make room. A reserve above 4 GiB
 * would only take a gateway board's card from the log itself.
 */
/*
 * Allocations at least this big are their own mapping (mallopt
 * M_MMAP_THRESHOLD), given back to the system when freed: an argon2 check's
 * work memory must not stay in aeogated's RSS (budget 32 MiB).
 */
#define AEOGATE_MMAP_THRESHOLD_BYTES (256 * 1024)

/*
 * WAL pages after which the checkpointer thread copies the WAL into the
 * database file: a quarter of the writer's own limit below, so at least
 * this (about 1 MiB) and at most 4000 pages (16 MiB). Each time the thread
 * has caught up, the next commit starts the WAL over and SQLite syncs the
 * new WAL header on the deciding connection (1-4 ms on this disk): at 250
 * pages that was one decision in about 36 of back-to-back reads, at 4000
 * one in hundreds; a door that reads now and then never waits for it.
 */
#define AEOGATE_WAL_CHECKPOINT_PAGES 250
/*
 * ... and the WAL size at which the writer checkpoints itself: a quarter of
 * the filesystem's free space, at least the first and at most the second
 * (4 and 64 MiB). Only a sustained burst of back-to-back commits outruns
 * the thread, whose checkpoint never catches up while commits keep coming,
 * and the WAL must stay bounded. That copy and its two syncs (20-45 ms at
 * 64 MiB, measured at 2M persons) land on one commit in about 2300 of such
 * a burst; at a fixed 1000 pages they were one in 140 and set issue 12's
 * decision p99.9 (3.6-4.4 ms) by themselves. A small or nearly full disk
 * keeps the lower bound, SQLite's own default: a buffer of events written
 * when the disk has room again must not grow the WAL into that room. The
 * WAL file keeps its largest size once reached.
 */
#define AEOGATE_WAL_CHECKPOINT_INLINE_PAGES_MIN 1000
#define AEOGATE_WAL_CHECKPOINT_INLINE_PAGES	16000

/* A vetting reference is a case number, never the check's content: short. */
#define AEOGATE_VETTING_REFERENCE_MAX 64

/*
 * Schedules and holidays (controller/calendar.c keeps them all in memory,
 * so a decision reads no SQL for them). A week of shifts is a few dozen
 * intervals, and a read scans every interval of a schedule: 32 each. A
 * site has a handful of schedules (shifts, contractors, cleaners), and a
 * few dozen holidays a year: decades of them fit.
 */
#define AEOGATE_SCHEDULE_INTERVALS_MAX 32
#define AEOGATE_SCHEDULES_MAX	       256
#define AEOGATE_HOLIDAYS_MAX	       2048

/*
 * Bulk enrolment (person import, README "Bulk enrolment"). A CSV field
 * longer than AEOGATE_IMPORT_FIELD_MAX is not a person's data (the longest
 * value, a name, is AEOGATE_TEXT_MAX); the file is refused there, so the
 * parser's buffer never grows past it. A row names at most
 * AEOGATE_IMPORT_CREDENTIALS_PER_ROW badges, so that one row always fits
 * one control-socket message. A batch of at most AEOGATE_IMPORT_BATCH_ROWS
 * rows (and AEOGATE_MSG_MAX bytes) is checked in one turn of the loop:
 * a few ms, between two badge reads. The commit applies the checked rows
 * in slices, each one transaction, between which the loop decides badge
 * reads, exit buttons and door timers: a slice ends after
 * AEOGATE_IMPORT_SLICE_MS of work or AEOGATE_IMPORT_SLICE_ROWS rows, so it
 * holds the loop about that long plus its commit, however large the file.
 * An import holds at most AEOGATE_IMPORT_ROWS_MAX rows: its staging file
 * and the time it takes stay those of a shift's HR export.
 */
#define AEOGATE_IMPORT_FIELD_MAX	   4096
#define AEOGATE_IMPORT_CREDENTIALS_PER_ROW 16
#define AEOGATE_IMPORT_BATCH_ROWS	   500
#define AEOGATE_IMPORT_ROWS_MAX		   100000
#define AEOGATE_IMPORT_SLICE_MS		   10
#define AEOGATE_IMPORT_SLICE_ROWS	   500

/*
 * [policy] expiry_warning_days: warnings a year ahead already cover every
 * renewal of the year. A warning run handles AEOGATE_EXPIRY_STEP_ITEMS
 * items in one transaction, then lets the loop serve the doors (a few ms),
 * however many fall due on one day.
 */
#define AEOGATE_EXPIRY_WARNING_DAYS_MAX 365
#define AEOGATE_EXPIRY_STEP_ITEMS	200

/*
 * How long aeogatectl backup waits for aeogated's copy of the database
 * before the stream starts (backup.stream answers once the copy is
 * complete). The copy is paced so the doors keep the disk: 18-30 s for
 * 2.7 GB here, minutes on a board's card; an hour is a copy gone wrong.
 */
#define AEOGATE_BACKUP_COPY_WAIT_MS (60 * 60 * 1000)

#define AEOGATE_STORAGE_RESERVE_DEFAULT (64ull << 20)
#define AEOGATE_STORAGE_RESERVE_MAX	(4ull << 30)

/*
 * Card + PIN. A badge waits at most this long for its PIN ([policy]
 * pin_timeout): longer, and the person has walked away while the reader
 * still holds their badge for whoever types next.
 */
#define AEOGATE_PIN_TIMEOUT_MIN_MS 1000
#define AEOGATE_PIN_TIMEOUT_MAX_MS (5 * 60 * 1000)

/*
 * Interlock: an exit button pressed while another door of the group is
 * open or released waits this long for it to close and lock, then is
 * dropped (door.rex_dropped). Long enough for a person to pass the other
 * door and let it shut; short enough that a door left open does not open
 * this one, unasked, minutes after the button was let go.
 */
#define AEOGATE_INTERLOCK_REX_WAIT_MS 30000
/* Wrong PINs in a row before a PIN locks ([policy] pin_attempts): 1 to this. */
#define AEOGATE_PIN_ATTEMPTS_MAX 100
/*
 * The stored form of a PIN: libsodium's argon2id string (algorithm, costs,
 * salt and hash in one line), at most this long; today's are ~97 bytes.
 */
#define AEOGATE_PIN_HASH_MAX 128
/* Keys one sim.keys request types: a PIN with its # and a few *, with room to spare. */
#define AEOGATE_SIM_KEYS_MAX 32

/* Door timers: longest strike and held time an installer may configure, ms. */
#define AEOGATE_STRIKE_TIME_MAX_MS (10 * 60 * 1000)
#define AEOGATE_HELD_TIME_MAX_MS   (60 * 60 * 1000)

/*
 * Dashboard sessions held in the controller's memory at once. A site has a
 * handful of guards and managers; beyond this a login is refused rather than
 * growing memory. Each user may hold a few (browser plus tablet); the oldest
 * of a user's sessions is ended when the user logs in once more.
 */
#define AEOGATE_SESSIONS_MAX	      256
#define AEOGATE_SESSIONS_PER_USER_MAX 8

/* Session lifetime: idle expiry and absolute expiry (OWASP session guidance). */
#define AEOGATE_SESSION_IDLE_MS	    (30 * 60 * 1000)
#define AEOGATE_SESSION_ABSOLUTE_MS (12 * 60 * 60 * 1000)

/*
 * Login throttling (docs/web.md, "Sign-in throttling"). After
 * AEOGATE_LOGIN_FAILURES_MAX failures in a row for one account, its logins
 * are refused for AEOGATE_LOGIN_DELAY_MIN_MS, a delay doubled by each
 * further failure up to AEOGATE_LOGIN_DELAY_MAX_MS: guessing slows to one
 * try a minute per account, yet no one can use it to lock an administrator
 * out for long. One source (a client address, or a local uid) is shared by
 * many people, so its count across accounts is higher, and its delay only
 * ever refuses its failing attempts, never a correct password. A streak is
 * forgotten AEOGATE_LOGIN_FORGET_MS after its last failure. The table of
 * streaks (kept in the database across restarts) is bounded; when it is
 * full, the entry with the fewest failures makes room, so a flood of made-up
 * names cannot push a real account's streak out.
 */
#define AEOGATE_LOGIN_FAILURES_MAX	  5
#define AEOGATE_LOGIN_SOURCE_FAILURES_MAX 10
#define AEOGATE_LOGIN_DELAY_MIN_MS	  1000
#define AEOGATE_LOGIN_DELAY_MAX_MS	  (60 * 1000)
#define AEOGATE_LOGIN_FORGET_MS		  (15 * 60 * 1000)
#define AEOGATE_LOGIN_THROTTLE_ENTRIES	  1024

/*
 * Passwords: at least 12 characters (NIST SP 800-63B allows 8; we ask more
 * because there is no second factor); at most 1024 bytes so that hashing
 * cost is bounded by argon2 parameters, not by the input.
 */
#define AEOGATE_PASSWORD_MIN_CHARS 12
#define AEOGATE_PASSWORD_MAX_BYTES 1024

/* The login source (client address) the web process passes along. */
#define AEOGATE_LOGIN_SOURCE_MAX 64

/*
 * aeogate-web. A request body is a small JSON object (a person, a badge):
 * 16 KiB is generous and keeps a hostile client from growing our memory.
 */
#define AEOGATE_WEB_BODY_MAX (16 * 1024)

/*
 * API requests in flight and live streams at once. Each holds one
 * control-socket connection, so together they stay below AEOGATE_CONN_MAX
 * and leave room for aeogatectl.
 */
#define AEOGATE_WEB_INFLIGHT_MAX 32
/* A /metrics bearer token ([web] metrics_token_file): a generated secret fits with room. */
#define AEOGATE_WEB_METRICS_TOKEN_MAX 256
#define AEOGATE_WEB_STREAMS_MAX	 128

/* File descriptors aeogate-web may hold: bounds connections, idle ones included. */
#define AEOGATE_WEB_FDS_MAX 512

/*
 * Bytes queued towards one browser's stream before it is cut off: a slow or
 * stalled browser must never delay the others nor grow our memory. It
 * reconnects and resumes from the last seq it saw.
 */
#define AEOGATE_WEB_STREAM_QUEUE_MAX (512 * 1024)

/*
 * The kernel send buffer of one browser's stream socket (Linux doubles it).
 * Left to autotuning it grows to megabytes for a client that reads nothing,
 * memory that is ours and delays the cut-off above; an event stream needs
 * little throughput, and 64 KiB carries it at hundreds of events a second
 * even at 100 ms round trips.
 */
#define AEOGATE_WEB_STREAM_SNDBUF (64 * 1024)

/* Sessions whose CSRF token aeogate-web remembers (one per live login). */
#define AEOGATE_WEB_CSRF_MAX 512

/*
 * Host names aeogate-web answers to besides its listen address
 * (--allowed-hosts): the few names a site gives its dashboard. A name is at
 * most what DNS allows (RFC 1035: 253 characters).
 */
#define AEOGATE_WEB_ALLOWED_HOSTS_MAX 16
#define AEOGATE_WEB_HOST_NAME_MAX     253

/* Seconds an API request may wait for the controller before 504. */
#define AEOGATE_WEB_REQUEST_TIMEOUT_S 15

/* Static files served from ui/: the dashboard is a handful of small files. */
#define AEOGATE_WEB_STATIC_FILE_MAX (4 * 1024 * 1024)

/*
 * Exports aeogate-web holds for download (POST /api/exports), each an
 * anonymous temporary file kept for AEOGATE_WEB_EXPORT_TTL_S: enough for a
 * few auditors at once, while disk use stays bounded by the product of the
 * count and the size (2 GiB). A session's newest exports push out its
 * oldest. Larger exports belong to aeogatectl, which writes where it is told.
 */
#define AEOGATE_WEB_EXPORTS_MAX		    8
#define AEOGATE_WEB_EXPORTS_PER_SESSION_MAX 2
#define AEOGATE_WEB_EXPORT_FILE_MAX	    (256LL * 1024 * 1024)
#define AEOGATE_WEB_EXPORT_TTL_S	    900

/*
 * People imports through the dashboard (POST /api/persons/import, README
 * "Bulk enrolment"). The CSV is spooled to an anonymous temporary file as
 * it arrives, never held in memory, then run through one import session
 * like aeogatectl person import. AEOGATE_WEB_IMPORT_MAX bytes hold the
 * largest import (AEOGATE_IMPORT_ROWS_MAX rows of an HR export, ~150 bytes
 * each) twice over; a larger file is refused before a byte of it is read
 * (413), and belongs to aeogatectl. At most AEOGATE_WEB_IMPORTS_MAX run at
 * once (disk: their product, 64 MiB); a reply lists the first
 * AEOGATE_WEB_IMPORT_ERRORS_MAX bad rows and counts them all.
 */
#define AEOGATE_WEB_IMPORT_MAX	      (32 * 1024 * 1024)
#define AEOGATE_WEB_IMPORTS_MAX	      2
#define AEOGATE_WEB_IMPORT_ERRORS_MAX 200

/*
 * Password checks waiting for the worker thread. Logins beyond this are
 * refused as busy rather than queued: each costs ~50 ms of CPU, and a
 * long queue would only feed a brute-force attempt.
 */
#define AEOGATE_WORKER_QUEUE_MAX 16

/* BEGIN audit limits */
/*
 * Kind patterns one export may filter on ("access.granted", "door.*"): a
 * handful per report; more is a mistake, not a need.
 */
#define AEOGATE_EXPORT_KINDS_MAX 32

/*
 * One row of an export file (CSV record or JSONL line), bytes: a row is one
 * event, and an event travels in one control-socket message.
 */
#define AEOGATE_EXPORT_ROW_MAX AEOGATE_MSG_MAX

/*
 * Bytes of rows in one audit.export_page reply. aeogatectl reads replies of
 * at most AEOGATE_MSG_MAX; this leaves room for the envelope and a row
 * that crosses the line.
 */
#define AEOGATE_EXPORT_PAGE_BYTES (40 * 1024)

/*
 * Events one export page or one audit.verify call looks at: a sparse filter
 * or a long chain must not hold the event loop (and the doors) for long.
 */
#define AEOGATE_EXPORT_SCAN_MAX 20000

/*
 * Streamed exports (audit.export_stream): the rows travel as frames of at
 * most this many bytes (a frame ends at a row boundary, so it may exceed
 * AEOGATE_EXPORT_CHUNK by one row; AEOGATE_EXPORT_FRAME_MAX bounds it
 * whatever the row). 256 KiB writes keep the system calls per row near
 * zero while the memory of each side stays a few hundred KiB, whatever the
 * export's size: a client that reads slowly stalls the export's thread,
 * not the buffer.
 */
#define AEOGATE_EXPORT_CHUNK	 (256 * 1024)
#define AEOGATE_EXPORT_FRAME_MAX (4 * 1024 * 1024)
/*
 * Exports streaming at once, each on a thread of its own with its own
 * read-only database connection: two cores serve the doors first, and an
 * auditor's export waits its turn ("unavailable") rather than taking them.
 */
#define AEOGATE_EXPORT_STREAMS_MAX 2

/*
 * The signed head record (state_dir/head.sig) is six short lines, about
 * 330 bytes; a larger file is not ours and is not read past this.
 */
#define AEOGATE_HEAD_RECORD_MAX 512

/* A manifest is a small JSON object; anything larger is not ours. */
#define AEOGATE_MANIFEST_MAX (64 * 1024)

/* Checkpoint intervals an installer may configure: at least every 100000 events, every day. */
#define AEOGATE_CHECKPOINT_EVENTS_MAX  100000
#define AEOGATE_CHECKPOINT_MINUTES_MAX (24 * 60)
/*
 * Columns of a table report (alarms, entitlements, ...): each report has a
 * dozen at most; a manifest naming more is not ours.
 */
#define AEOGATE_REPORT_COLS_MAX 32

/*
 * Badge-attempt seqs a leavers row lists; the row also counts them all, so
 * an auditor looks the rest up in the access report.
 */
#define AEOGATE_REPORT_ATTEMPTS_LISTED 20

/* The validity report's --within: ten years ahead is already every badge. */
#define AEOGATE_REPORT_WITHIN_DAYS_MAX 3660
/*
 * Retention ([audit] retention = KIND:DAYSd, ...). The floors are what an
 * auditor may still ask for: AEO/TAPA reviews look back at least a month,
 * and alarm records (door.forced, door.held, alarm.*) two, so nothing is
 * configured shorter. The ceiling keeps day arithmetic far from overflow.
 */
#define AEOGATE_RETENTION_FLOOR_DAYS	   30
#define AEOGATE_RETENTION_ALARM_FLOOR_DAYS 60
#define AEOGATE_RETENTION_DAYS_MAX	   36600
/* Rules in one retention list: a handful of kind families; more is a mistake. */
#define AEOGATE_RETENTION_RULES_MAX 32

/*
 * Rows one pruning step looks at or deletes before the loop serves the
 * doors again, and the pause between steps. Deleting 5000 rows takes
 * 10-20 ms; checking them (each row's hash is recomputed before anything
 * is signed over it) 50-200 ms, so a checking step also stops after
 * AEOGATE_PRUNE_STEP_MS: a badge read waits at most about that long.
 */
#define AEOGATE_PRUNE_STEP_ROWS	  5000
#define AEOGATE_PRUNE_STEP_MS	  10
#define AEOGATE_PRUNE_STEP_GAP_MS 20
/* Distinct kinds a pruning report counts one by one; the rest add up under "other". */
#define AEOGATE_PRUNE_KINDS_REPORTED 32
/* END audit limits */

/*
 * zone set ZONE --max-occupancy N: the largest N. A zone's count is of
 * people; a number beyond any site's headcount is a typing mistake.
 */
#define AEOGATE_OCCUPANCY_MAX 100000

/*
 * The site plan (README "Site plan"): one floor-plan image, PNG or JPEG,
 * stored by the controller and served back through a reply, so it must fit
 * AEOGATE_REPLY_MAX once base64-encoded (4/3) with room for the envelope:
 * 1 MiB holds a clear plan of a large warehouse. Each side is at most 8192
 * pixels (a decoder must not be asked for gigapixels). It travels to the
 * controller in pieces of AEOGATE_BLOB_CHUNK bytes, each one request well
 * under AEOGATE_MSG_MAX once base64-encoded; at most AEOGATE_BLOBS_MAX
 * uploads are staged at once, so staged memory stays bounded.
 */
#define AEOGATE_SITE_PLAN_MAX  (1024 * 1024)
#define AEOGATE_IMAGE_SIDE_MAX 8192
#define AEOGATE_BLOB_CHUNK     (32 * 1024)
#define AEOGATE_BLOBS_MAX      4
_Static_assert(AEOGATE_SITE_PLAN_MAX / 3 * 4 + 4096 < AEOGATE_REPLY_MAX,
	       "a site plan's reply must fit AEOGATE_REPLY_MAX");
_Static_assert(AEOGATE_BLOB_CHUNK / 3 * 4 + 4096 < AEOGATE_MSG_MAX,
	       "an upload piece must fit AEOGATE_MSG_MAX");

/*
 * A person's photo (README "Person photos"): PNG or JPEG, stored by the
 * controller beside the person, never in the event chain. A face a guard
 * compares at the door needs a few hundred pixels; 512 KiB holds a good
 * JPEG of that many times over and keeps a page of thumbnails light. It
 * travels like the site plan (blob.begin, blob.data) and its sides obey
 * AEOGATE_IMAGE_SIDE_MAX.
 */
#define AEOGATE_PHOTO_MAX (512 * 1024)
_Static_assert(AEOGATE_PHOTO_MAX <= AEOGATE_SITE_PLAN_MAX,
	       "a photo is staged with blob.begin, bounded by AEOGATE_SITE_PLAN_MAX");

/* BEGIN osdp limits */
/*
 * One OSDP frame, bytes. Our commands are short (TEXT carries at most 32
 * characters); a PD's largest reply we read is a RAW card (64 bits) or a
 * PDCAP list. The standard lets a PD announce up to 1440; anything longer
 * than this on our bus is noise.
 */
#define AEOGATE_OSDP_FRAME_MAX 512
/* OSDP readers on one port: the address space (0-126) bounds it anyway. */
#define AEOGATE_OSDP_BUS_PDS 16
/* END osdp limits */

/* BEGIN sync uplink limits (aeogate-sync, README "Many sites") */
/*
 * Events published to the broker and not yet acknowledged (also
 * libmosquitto's max_inflight_messages, so none waits inside the library):
 * a broker that stops acknowledging stops the uplink at this many.
 */
#define AEOGATE_SYNC_WINDOW 256
/*
 * Events read ahead from events.follow and not yet published. While it is
 * full the stream is not read: aeogated stops paging its backlog (or, live,
 * cuts the follower off as too slow and it follows again from the last seq
 * it holds), so aeogate-sync's memory is bounded whatever the backlog.
 */
#define AEOGATE_SYNC_QUEUE_MAX 2048
/*
 * The drain rate, events a second, in bursts of a tenth of it: a day's
 * backlog after an outage drains in minutes, and the controller's share
 * (two pages of rows read a second on its loop) never slows a decision.
 * A constant, not a setting: it bounds the load on the controller, which
 * an installer should not have to reason about.
 */
#define AEOGATE_SYNC_DRAIN_PER_S 2000
/*
 * A downlink message (a signed change set or command) passed to aeogated:
 * it travels as a JSON string inside one control-socket request, escaped,
 * so it must stay at half of AEOGATE_MSG_MAX (a quote becomes two bytes); a
 * larger one is dropped and logged by aeogate-sync, one that grows past the
 * request bound when escaped likewise.
 */
#define AEOGATE_SYNC_PAYLOAD_MAX (32 * 1024)
/* Downlink messages waiting for aeogated (while it restarts); more are dropped and counted. */
#define AEOGATE_SYNC_INBOX_MAX 1024
/*
 * sync.rejected events recorded in a burst, then one a second: a flood of
 * bad messages from the broker must not grow the log without bound. Those
 * not recorded are counted into the next one's detail ("suppressed").
 */
#define AEOGATE_SYNC_REJECT_BURST 20
/* END sync uplink limits */

/*
 * The History search (events.search): a page shows at most
 * AEOGATE_SEARCH_PAGE_MAX events (a screenful or two; the next page is
 * one click). A search led by no indexed filter reads at most
 * AEOGATE_SEARCH_WINDOW seqs per page (about 0.1 s on the reference board),
 * then answers with where it stopped, so a rare match never holds the loop
 * for the whole log. A name matches at most AEOGATE_SEARCH_NAMES_MAX
 * people before the search asks for an id.
 */
#define AEOGATE_SEARCH_PAGE_MAX	 200
#define AEOGATE_SEARCH_WINDOW	 50000
#define AEOGATE_SEARCH_NAMES_MAX 8

/* BEGIN fleet limits */
/*
 * One signed message from the office (README "Many sites"): the envelope of
 * a change set or a command as aeogate-sync receives it and hands it on in
 * sync.apply / sync.command. Inside that request the envelope is a JSON
 * string, so its bytes are at most doubled by escaping; with the request's
 * own members it must fit one control-socket message (AEOGATE_MSG_MAX).
 * 31 KiB carries a change set of a hundred badges and more; the office
 * splits larger changes into more versions.
 */
#define AEOGATE_SIGNED_MAX (31 * 1024)
_Static_assert(2 * AEOGATE_SIGNED_MAX + 1024 <= AEOGATE_MSG_MAX,
	       "an escaped envelope and its request must fit one control-socket message");
/*
 * Ops in one change set: all are applied in one transaction on the loop,
 * each a few hundred microseconds, so a set holds the doors for at most
 * some tens of milliseconds.
 */
#define AEOGATE_CHANGESET_OPS_MAX 256
/*
 * A command's issued time may be this far from the controller's clock, in
 * either direction: older, it may be a replay of a captured message (the
 * controller remembers ids only so long); newer, a clock is wrong.
 */
#define AEOGATE_COMMAND_SKEW_MAX_MS (10 * 60 * 1000)
/*
 * Command ids the controller remembers (schema 025): at most this many,
 * and none older than AEOGATE_COMMAND_IDS_KEEP_MS. An id older than that
 * is refused anyway by its issued time, so forgetting it reopens nothing.
 */
#define AEOGATE_COMMAND_IDS_MAX	    10000
#define AEOGATE_COMMAND_IDS_KEEP_MS (30LL * 24 * 60 * 60 * 1000)
/* END fleet limits */

#endif
