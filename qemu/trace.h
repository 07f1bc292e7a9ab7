#include "trace/trace-hw_misc_trn.h"
