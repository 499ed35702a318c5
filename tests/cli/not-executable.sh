#!/bin/sh
# Deliberately not executable (mode 0644): pgsup must exit 126 on it, not run it.
exit 0
