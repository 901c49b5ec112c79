/* A plugin that delivers orders through poll_order_revisions, built the way a plugin
 * compiled against other versions of adapter.h would lay out its lines: one order with
 * lines of a NEWER header (a field the daemon does not know, so line_size is larger than
 * the daemon's), one with lines of an OLDER header (no shipped/cancelled/location: a
 * smaller line_size), one malformed order between them, and one cancellation without
 * lines. Its poll_orders (the original entry point) delivers an order that must never
 * be seen: the daemon prefers poll_order_revisions. Used by tests/plugins/order_poll_test.cc. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "stockd/adapter.h"

static int instance_storage;

/* A line as a newer header might define it. */
typedef struct newer_line {
  stockd_order_revision_line base;
  int64_t gift_wrapped; /* unknown to this daemon: skipped */
} newer_line;

/* A line as an older header might have defined it. */
typedef struct older_line {
  uint32_t struct_size;
  const char* listing_id;
  int64_t quantity;
} older_line;

static void* Create(const char* config_json, const stockd_host* host, char* error,
                    size_t error_len) {
  (void)config_json;
  (void)host;
  (void)error;
  (void)error_len;
  return &instance_storage;
}
static void Destroy(void* instance) { (void)instance; }
static int Push(void* instance, const stockd_push_item* items, size_t count,
                stockd_push_result* results) {
  (void)instance;
  (void)items;
  for (size_t i = 0; i < count; ++i) results[i].status = STOCKD_PUSH_OK;
  return 0;
}

static int PollOriginal(void* instance, const char* cursor, stockd_order_sink sink,
                        void* sink_data, char* next_cursor, size_t next_cursor_len, char* error,
                        size_t error_len) {
  (void)instance;
  (void)cursor;
  (void)next_cursor;
  (void)next_cursor_len;
  (void)error;
  (void)error_len;
  const stockd_order_line line = {"WRONG", 1};
  const stockd_order order = {"wrong-entry-point", "placed", &line, 1};
  sink(sink_data, &order);
  return 0;
}

static int PollRevisions(void* instance, const char* cursor, stockd_order_revision_sink sink,
                         void* sink_data, char* next_cursor, size_t next_cursor_len,
                         char* error, size_t error_len) {
  (void)instance;
  if (strcmp(cursor, "fail") == 0) {
    snprintf(error, error_len, "the channel answered 503");
    return 1;
  }
  int delivered = 0;

  newer_line newer[2];
  memset(newer, 0, sizeof newer);
  newer[0].base = (stockd_order_revision_line){sizeof(newer_line), "L-1", 3, 1, 1, "store-2"};
  newer[0].gift_wrapped = 1;
  newer[1].base = (stockd_order_revision_line){sizeof(newer_line), "L-2", 1, 0, 0, NULL};
  newer[1].gift_wrapped = 0;
  stockd_order_revision order = {sizeof(stockd_order_revision),
                                 "newer-1",
                                 1700000000123,
                                 STOCKD_ORDER_SHIPPED,
                                 &newer[0].base,
                                 2,
                                 sizeof(newer_line)};
  ++delivered;
  if (sink(sink_data, &order) != 0) goto done;

  stockd_order_revision_line bad = {sizeof bad, "L-3", 2, 3, 0, NULL}; /* shipped > quantity */
  stockd_order_revision malformed = {sizeof malformed, "bad-1", 5, STOCKD_ORDER_ACCEPTED,
                                     &bad, 1, sizeof bad};
  ++delivered;
  if (sink(sink_data, &malformed) != 0) goto done;

  older_line older = {sizeof(older_line), "L-4", 2};
  stockd_order_revision old_order = {sizeof(stockd_order_revision),
                                     "older-1",
                                     7,
                                     STOCKD_ORDER_PENDING,
                                     (const stockd_order_revision_line*)&older,
                                     1,
                                     sizeof(older_line)};
  ++delivered;
  if (sink(sink_data, &old_order) != 0) goto done;

  stockd_order_revision cancel = {sizeof cancel, "older-1", 8, STOCKD_ORDER_CANCELLED,
                                  NULL, 0, sizeof(stockd_order_revision_line)};
  ++delivered;
  sink(sink_data, &cancel);
done:
  snprintf(next_cursor, next_cursor_len, "%s+%d", cursor, delivered);
  return 0;
}

static const stockd_adapter_api kApi = {STOCKD_ADAPTER_ABI_VERSION,
                                        sizeof(stockd_adapter_api),
                                        "orders",
                                        10,
                                        Create,
                                        Destroy,
                                        Push,
                                        NULL,
                                        PollOriginal,
                                        NULL,
                                        PollRevisions};

__attribute__((visibility("default"))) const stockd_adapter_api* stockd_adapter_entry(
    uint32_t host_abi_version) {
  (void)host_abi_version;
  return &kApi;
}
