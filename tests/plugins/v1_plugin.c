/* A plugin as built before stockd_adapter_api grew validate_config: its table's
 * struct_size ends before that field. The field is set (to a function that rejects
 * everything) only to prove the daemon never reads past struct_size: the plugin must
 * load, and --check-config must not call it. Used by tests/config_schema_test.cc. */
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

static const stockd_adapter_api kApi = {STOCKD_ADAPTER_ABI_VERSION,
                                        offsetof(stockd_adapter_api, validate_config),
                                        "v1old",
                                        10,
                                        Create,
                                        Destroy,
                                        Push,
                                        NULL,
                                        NULL,
                                        RejectEverything};

__attribute__((visibility("default"))) const stockd_adapter_api* stockd_adapter_entry(
    uint32_t host_abi_version) {
  (void)host_abi_version;
  return &kApi;
}
