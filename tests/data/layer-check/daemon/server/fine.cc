// The server may use every layer below it.
#include "daemon/api/convert.h"
#include "daemon/push/push_engine.h"
#include "daemon/storage/redis_client.h"
#include "stockd/v1/stockd.grpc.pb.h"
