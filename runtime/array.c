/* Placeholder: implemented in the shared-objects work (issue 3). */
#include "object.h"
