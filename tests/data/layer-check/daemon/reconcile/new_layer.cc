// A folder the table does not name yet.
#include "daemon/engine/engine.h"
