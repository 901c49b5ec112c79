/* A plugin as built before stockd_adapter_api grew validate_config: its table's
 * struct_size ends before that field. The field is set (to a function that rejects
 * everything) only to prove the daemon never reads past struct_size: the plugin must
 * load, and --check-config must not call it. Its orders come through the original
 * poll_orders ("placed" / "cancelled"). Used by tests/push/adapter_config_check_test.cc
 * and tests/plugins/order_poll_test.cc. */
#include <stddef.h>
#include <string.h>

#include "stockd/adapter.h"

static int instance_storage;

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
static int RejectEverything(const char* config_json, char* error, size_t error_size) {
  (void)config_json;
  if (error_size > 0) {
    strncpy(error, "read past struct_size", error_size - 1);
    error[error_size - 1] = '\0';
  }
  return 1;
}

static int PollOrders(void* instance, const char* cursor, stockd_order_sink sink,
                      void* sink_data, char* next_cursor, size_t next_cursor_len, char* error,
                      size_t error_len) {
  (void)instance;
  (void)error;
  (void)error_len;
  const stockd_order_line lines[] = {{"L-1", 2}, {"L-2", 1}};
  const stockd_order placed = {"v1-order", "placed", lines, 2};
  const stockd_order cancelled = {"v1-order", "cancelled", NULL, 0};
  const stockd_order odd = {"v1-odd", "shipped", lines, 1}; /* not a word of the original ABI */
  if (sink(sink_data, &placed) == 0 && sink(sink_data, &cancelled) == 0) sink(sink_data, &odd);
  strncpy(next_cursor, cursor, next_cursor_len - 1);
  next_cursor[next_cursor_len - 1] = '\0';
  strncat(next_cursor, "+v1", next_cursor_len - 1 - strlen(next_cursor));
  return 0;
}

static const stockd_adapter_api kApi = {STOCKD_ADAPTER_ABI_VERSION,
                                        offsetof(stockd_adapter_api, validate_config),
                                        "v1old",
                                        10,
                                        Create,
                                        Destroy,
                                        Push,
                                        NULL,
                                        PollOrders,
                                        RejectEverything};

__attribute__((visibility("default"))) const stockd_adapter_api* stockd_adapter_entry(
    uint32_t host_abi_version) {
  (void)host_abi_version;
  return &kApi;
}
