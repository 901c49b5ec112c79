// An engine header that reaches up into the server: refused.
#include <string>

#include "daemon/engine/model.h"
#include "daemon/server/daemon.h"
