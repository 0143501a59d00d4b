#!/bin/bash
# The layout rules a compiler does not check (tests/tools/rlb-style.py):
# no line of src/ over 100 columns, no file of src/ over 800 lines, no tab
# indentation or trailing white space.
set -u
exec python3 "$TOP_SRCDIR/tests/tools/rlb-style.py" "$TOP_SRCDIR"
