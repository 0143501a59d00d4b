#!/bin/bash
# The man pages and the README against the code (tests/tools/rlb-docs.py):
# every configuration key in radlb.conf(5) and README.md's table, every
# figure of `radlb -M` in radlb(8) COUNTERS, every radlbctl command in
# radlbctl(8) COMMANDS, every option in its OPTIONS and in README.md, every
# DIAGNOSTICS message made of the code's strings; and nothing documented that the code
# no longer has. Fails on the first run after a change that forgets a page.
set -u
exec python3 "$TOP_SRCDIR/tests/tools/rlb-docs.py" "$TOP_SRCDIR/src" "$RADLB"
