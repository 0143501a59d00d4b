#!/bin/bash
# The dependency rule of doc/architecture.md, read from the object files
# (tests/tools/rlb-layers.py): every module of src/ has a layer, no module
# calls a function of a layer above its own (news goes up through
# upcalls.h and the other callback tables), no circle between layers, and
# no include of a header from a layer above (but the type-only ones).
set -u
exec python3 "$TOP_SRCDIR/tests/tools/rlb-layers.py" "$(dirname "$RADLB")" "$TOP_SRCDIR/src"
