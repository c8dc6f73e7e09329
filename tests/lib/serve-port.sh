# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the script tests that start `kci serve --listen 127.0.0.1:0`:
#   serve_port LOG   prints the port kci serve chose (from its "listening on
#                    127.0.0.1:PORT," line in LOG) once it is there; waits up
#                    to 10 s; returns 1 (printing nothing) if it never comes.
serve_port() {
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$1")
    if [ -n "$port" ]; then
      echo "$port"
      return 0
    fi
    sleep 0.1
  done
  return 1
}
