/*
 * stockd adapter plugin ABI, version 1.
 *
 * An adapter connects one sales channel (a marketplace, the webshop, a store system, an
 * ERP import folder) to stockd. It is a shared object loaded by name from the daemon's
 * `plugin_dir` (file `libstockd_adapter_<name>.so`) with dlopen(RTLD_NOW | RTLD_LOCAL).
 * The daemon looks up ONE symbol, `stockd_adapter_entry`, and calls it with the ABI
 * version it speaks; the plugin returns a table of functions built against this header.
 * The daemon refuses a plugin whose `abi_version` differs from its own, naming both.
 *
 * Pure C (C99), no C++ types across the boundary. Every pointer carries an OWNERSHIP
 * note. Entries marked OPTIONAL may be NULL; the daemon tests them before calling.
 * Structs that may grow carry `struct_size`; the reader uses only fields that fit.
 *
 * Threading: the daemon calls one instance from one thread at a time (the channel's
 * push worker), never concurrently. Host callbacks may be called from any plugin thread.
 *
 * Growth within version 1 (the Redis-module way): new fields are only ever appended to
 * the structs that carry `struct_size`, and are OPTIONAL. A plugin built against this
 * header still loads in a daemon that predates a field (it checks `struct_size`/NULL),
 * and an older plugin simply never reads the new fields; likewise the daemon reads a
 * field a plugin's table adds only when the table's `struct_size` covers it and it is
 * not NULL, so a plugin built before the field still loads. Added so far:
 *   stockd_host.cancelled               the daemon asks the call in progress to give up
 *   stockd_adapter_api.validate_config  `stockd --check-config` checks adapter configs
 *   stockd_adapter_api.poll_order_revisions, stockd_order_revision(_line)
 *                                       orders with their lifecycle (docs/orders.md)
 */
#ifndef STOCKD_ADAPTER_H_
#define STOCKD_ADAPTER_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STOCKD_ADAPTER_ABI_VERSION 1u

/* Log levels for stockd_host.log. */
#define STOCKD_LOG_DEBUG 0
#define STOCKD_LOG_INFO 1
#define STOCKD_LOG_WARN 2
#define STOCKD_LOG_ERROR 3

/* What the daemon offers the plugin. OWNERSHIP: owned by the daemon, valid from create
 * until destroy returns; the plugin keeps the pointer, never frees it. */
typedef struct stockd_host {
  uint32_t struct_size; /* sizeof(stockd_host) as the daemon built it */
  void* host_data;      /* opaque; pass back to every callback */
  /* `msg`: OWNERSHIP borrowed for the call (the daemon copies it). */
  void (*log)(void* host_data, int level, const char* msg);
  /* Adds `delta` to the counter `name` (a short [a-z0-9_] name; the daemon prefixes it
   * with stockd_adapter_ and labels it with the channel). `name` borrowed. */
  void (*count)(void* host_data, const char* name, double delta);
  /* Unix epoch milliseconds from the daemon's clock (tests control it). */
  int64_t (*now_ms)(void* host_data);

  /* ---- Added after the first release of ABI version 1 (the version did not change).
   * A plugin reads these fields only when `struct_size` covers them AND they are not
   * NULL: an older daemon passes a smaller struct. Use STOCKD_HOST_HAS(host, field). */

  /* OPTIONAL. Returns non-zero once the call in progress should give up because the
   * daemon is stopping (SIGTERM drain); 0 otherwise. Cheap (an atomic load) and callable
   * from any plugin thread while an instance exists, so a plugin may poll it often, e.g.
   * from its HTTP client's progress callback every ~100 ms; on non-zero it abandons the
   * remote call and returns promptly (push: RETRY results; fetch/poll_orders: non-zero
   * with a message). Once non-zero it stays non-zero for the instance.
   * OWNERSHIP: a daemon function reading daemon-owned state; valid, like `host`, from
   * create until destroy returns. Takes and returns no pointers. */
  int (*cancelled)(void* host_data);
} stockd_host;

/* Non-zero when `host` (a const stockd_host*) was built with `field` and sets it. */
#define STOCKD_HOST_HAS(host, field)                                                   \
  ((host) != NULL &&                                                                   \
   (host)->struct_size >= offsetof(stockd_host, field) + sizeof((host)->field) &&      \
   (host)->field != NULL)

/* One quantity to publish. OWNERSHIP: strings borrowed for the duration of push(). */
typedef struct stockd_push_item {
  const char* sku;        /* stockd's SKU */
  const char* listing_id; /* the channel's id for it (mapping file; default: the SKU) */
  int64_t quantity;       /* the quantity the channel must show */
  int64_t previous;       /* what the channel last acknowledged; -1 if never */
} stockd_push_item;

/* Per-item outcome of push(). */
#define STOCKD_PUSH_OK 0        /* the channel has the quantity */
#define STOCKD_PUSH_RETRY 1     /* transient (429, 5xx, timeout): retry after retry_after_ms */
#define STOCKD_PUSH_PERMANENT 2 /* rejected (unknown listing, 4xx): not retried until the
                                   quantity changes or an operator resyncs */
#define STOCKD_PUSH_CONFLICT 3  /* compare-and-set refused: the channel's number is not
                                   `previous` (it sold units, or someone edited it), so
                                   nothing was written. The daemon waits until its orders
                                   from the channel are ingested, reads the channel's
                                   number back (fetch) and pushes again from it: a sale is
                                   never overwritten (docs/orders.md). Only for plugins
                                   whose channel can compare; a daemon older than this
                                   value reads it as RETRY. */

#define STOCKD_MESSAGE_MAX 256

/* OWNERSHIP: an array owned by the daemon, one per item, zeroed before the call; the
 * plugin fills it. */
typedef struct stockd_push_result {
  int32_t status;          /* STOCKD_PUSH_* */
  int32_t retry_after_ms;  /* RETRY: the channel's Retry-After (0 = daemon's backoff) */
  char message[STOCKD_MESSAGE_MAX]; /* NUL-terminated; empty when OK */
} stockd_push_result;

/* One order line on a channel (poll_orders). Strings borrowed for the callback. */
typedef struct stockd_order_line {
  const char* listing_id;
  int64_t quantity;
} stockd_order_line;

/* An order seen on the channel. Strings and `lines` borrowed for the callback. */
typedef struct stockd_order {
  const char* order_id; /* unique on the channel: the daemon's idempotency key */
  const char* status;   /* "placed" (reserve+commit) or "cancelled" */
  const stockd_order_line* lines;
  size_t line_count;
} stockd_order;

/* The daemon's sink for poll_orders; returns 0 to continue, non-zero to stop early. */
typedef int (*stockd_order_sink)(void* sink_data, const stockd_order* order);

/* ---- The order lifecycle (added after the first release of ABI version 1; docs/orders.md).
 * Both structs start with `struct_size` and may grow at their end: the daemon reads only
 * the fields the plugin's `struct_size` covers (absent ones read as 0 or ""), and steps
 * through `lines` by the order's `line_size`, not by its own sizeof. */

/* stockd_order_revision.status */
#define STOCKD_ORDER_PENDING 1   /* placed, not paid: a hold */
#define STOCKD_ORDER_ACCEPTED 2  /* paid: committed */
#define STOCKD_ORDER_SHIPPED 3   /* fulfilled; lines may be shipped in part */
#define STOCKD_ORDER_CANCELLED 4 /* cancelled (what was shipped stays shipped) */

/* One line of an order revision. Strings borrowed for the callback. */
typedef struct stockd_order_revision_line {
  uint32_t struct_size;        /* sizeof(stockd_order_revision_line) as the plugin built it */
  const char* listing_id;      /* the channel's id (the listings file maps it to a SKU) */
  int64_t quantity;            /* ordered (>= 1) */
  int64_t quantity_shipped;    /* shipped so far (0..quantity) */
  int64_t quantity_cancelled;  /* cancelled so far (0..quantity - quantity_shipped) */
  const char* location;        /* where the channel ships it from; NULL or "" = not said */
} stockd_order_revision_line;

/* One revision of an order: the whole order as the channel has it now. Strings and
 * `lines` borrowed for the callback. */
typedef struct stockd_order_revision {
  uint32_t struct_size; /* sizeof(stockd_order_revision) as the plugin built it */
  const char* order_id; /* unique on the channel */
  int64_t revision;     /* grows with every change (updated-at in ms, or a counter; >= 1):
                           a revision not above the last applied one changes nothing */
  int32_t status;       /* STOCKD_ORDER_* */
  const stockd_order_revision_line* lines; /* `line_count` entries, `line_size` bytes apart */
  size_t line_count;
  uint32_t line_size;   /* sizeof(stockd_order_revision_line) as the plugin built it */
} stockd_order_revision;

/* The daemon's sink for poll_order_revisions; returns 0 to continue, non-zero to stop
 * early (the plugin then returns without advancing the cursor past the orders it did not
 * deliver). */
typedef int (*stockd_order_revision_sink)(void* sink_data, const stockd_order_revision* order);

typedef struct stockd_adapter_api {
  uint32_t abi_version; /* must be STOCKD_ADAPTER_ABI_VERSION the plugin was built with */
  uint32_t struct_size; /* sizeof(stockd_adapter_api) as the plugin built it */
  const char* name;     /* OWNERSHIP: static string in the plugin */
  uint32_t max_batch;   /* largest push batch the adapter takes (>= 1) */

  /* Creates an instance from the channel's adapter config (a JSON object text).
   * Returns NULL on failure and writes a NUL-terminated reason into `error`
   * (capacity `error_len`). `config_json` borrowed for the call; `host` see above.
   * The returned instance is OWNED by the daemon and released with destroy(). */
  void* (*create)(const char* config_json, const stockd_host* host, char* error,
                  size_t error_len);

  /* Frees everything the instance owns. Called once; the instance is not used after. */
  void (*destroy)(void* instance);

  /* Publishes `count` items (1..max_batch) and fills `results[0..count)`. Returns 0, or
   * non-zero when the whole call failed before any item could be attempted (then every
   * item counts as RETRY with the daemon's backoff). Must return: use timeouts. */
  int (*push)(void* instance, const stockd_push_item* items, size_t count,
              stockd_push_result* results);

  /* OPTIONAL. Reads the channel's own quantities of `count` listings for reconciliation:
   * writes quantities[i], or -1 where the channel has no such listing. `listing_ids`
   * borrowed; `quantities` owned by the daemon. Returns 0, or non-zero with `error`. */
  int (*fetch)(void* instance, const char* const* listing_ids, size_t count,
               int64_t* quantities, char* error, size_t error_len);

  /* OPTIONAL. Calls `sink` for every order placed or cancelled on the channel after
   * `cursor` (NUL-terminated; "" = from the start of the channel's change log, as far
   * back as the channel keeps it: the daemon's first poll of a channel). Writes the new
   * cursor (NUL-terminated, capacity `next_cursor_len`). Returns 0, or non-zero with
   * `error`. */
  int (*poll_orders)(void* instance, const char* cursor, stockd_order_sink sink,
                     void* sink_data, char* next_cursor, size_t next_cursor_len, char* error,
                     size_t error_len);

  /* ---- Added after the first release of ABI version 1 (the version did not change).
   * The daemon reads these fields only when `struct_size` covers them AND they are not
   * NULL: an older plugin builds a smaller table. Use STOCKD_API_HAS(api, field). */

  /* OPTIONAL. Checks a channel's adapter config (the JSON object text create() would
   * get) the way create() does, without its side effects: no instance, no connection,
   * no thread, no file created (reading a file the config names is fine). Returns 0
   * when create() would accept the config as far as can be told without them, else
   * non-zero with a NUL-terminated reason in `error` (capacity `error_size`).
   * `stockd --check-config` calls it for every configured adapter, with no instance and
   * no host; it may be called from any thread. OWNERSHIP: `config_json` borrowed for
   * the call; `error` owned by the daemon. */
  int (*validate_config)(const char* config_json, char* error, size_t error_size);

  /* OPTIONAL. poll_orders with the whole order lifecycle: calls `sink` for every order
   * that changed on the channel after `cursor` ("" = from the start of the channel's
   * change log, as far back as the channel keeps it), each as its current revision,
   * oldest change first, then writes the new cursor (NUL-terminated, capacity
   * `next_cursor_len`). Returns 0, or non-zero with `error`. The daemon prefers it to
   * poll_orders when a plugin has both; a plugin may set both, so that a daemon built
   * before this field still gets its orders. OWNERSHIP as for poll_orders. */
  int (*poll_order_revisions)(void* instance, const char* cursor,
                              stockd_order_revision_sink sink, void* sink_data,
                              char* next_cursor, size_t next_cursor_len, char* error,
                              size_t error_len);

  /* OPTIONAL. Stock alerts (docs/alerts.md) for whoever the channel's adapter reports to.
   * The daemon first calls it with `alerts_json` NULL on a new instance: return 0 when
   * this instance takes alerts (its config says where to send them), non-zero when not
   * (it is then never called again). After that, on an instance of its own used by one
   * thread: `alerts_json` is a JSON array of alert objects (stockd.v1.Alert in the
   * protobuf JSON mapping with the proto field names: "kind": "ALERT_SOLD_OUT", "sku",
   * "location", "channel", "time_ms", "sequence", ..., 64-bit integers as strings).
   * Return 0 once they are delivered; non-zero with a NUL-terminated reason in `error`
   * (capacity `error_len`) to have the daemon send the same array again after its push
   * backoff. Delivery is at least once: an array may arrive twice (dedupe by "sequence"
   * with kind, sku, location and channel). Must return: use timeouts. OWNERSHIP:
   * `alerts_json` borrowed for the call; `error` owned by the daemon. */
  int (*notify_alerts)(void* instance, const char* alerts_json, char* error, size_t error_len);
} stockd_adapter_api;

/* Non-zero when `api` (a const stockd_adapter_api*) was built with `field` and sets it. */
#define STOCKD_API_HAS(api, field)                                                     \
  ((api) != NULL &&                                                                    \
   (api)->struct_size >= offsetof(stockd_adapter_api, field) + sizeof((api)->field) && \
   (api)->field != NULL)

/* The one symbol a plugin exports. `host_abi_version` is the daemon's
 * STOCKD_ADAPTER_ABI_VERSION; a plugin may serve an older daemon by returning a table of
 * that version, or return its own and let the daemon refuse it. OWNERSHIP: the table is
 * static in the plugin. */
#define STOCKD_ADAPTER_ENTRY_SYMBOL "stockd_adapter_entry"
typedef const stockd_adapter_api* (*stockd_adapter_entry_fn)(uint32_t host_abi_version);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* STOCKD_ADAPTER_H_ */
