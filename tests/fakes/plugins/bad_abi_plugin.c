/* A plugin built for a future adapter ABI (version 2): stockd must refuse it, naming
 * both versions. Used by tests/push/plugin_loader_test.cc. */
#include <stddef.h>

#include "stockd/adapter.h"

static void* Create(const char* config_json, const stockd_host* host, char* error,
                    size_t error_len) {
  (void)config_json;
  (void)host;
  (void)error;
  (void)error_len;
  return NULL;
}
static void Destroy(void* instance) { (void)instance; }
static int Push(void* instance, const stockd_push_item* items, size_t count,
                stockd_push_result* results) {
  (void)instance;
  (void)items;
  (void)count;
  (void)results;
  return 1;
}

static const stockd_adapter_api kApi = {
    2u, sizeof(stockd_adapter_api), "badabi", 10, Create, Destroy, Push, NULL, NULL};

__attribute__((visibility("default"))) const stockd_adapter_api* stockd_adapter_entry(
    uint32_t host_abi_version) {
  (void)host_abi_version;
  return &kApi;
}
