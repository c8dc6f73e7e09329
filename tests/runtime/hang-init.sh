#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A guest that boots but never reaches the login marker: only the runtime's
# timeout can end it.
/bin/busybox mount -t proc proc /proc
echo "hang-init: sleeping forever"
while :; do /bin/busybox sleep 3600; done
