// Storage may use the engine, util and its own records proto, not the public API proto
// nor the api layer.
#include "daemon/engine/journal.h"
#include "daemon/util/log.h"
#include "stockd/storage/v1/records.pb.h"
#include "stockd/v1/stockd.pb.h"
  #  include "daemon/api/convert.h"
