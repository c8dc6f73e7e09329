# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the shell tests that read mail: a real SMTP server on loopback
# (python3-aiosmtpd running src/notify/testdata/smtp_sink.py) that writes
# each message it receives to a directory, one file per message. The C++
# tests use src/notify/smtp_sink.h.
#
#   smtp_sink_available || missing_real_part "python3-aiosmtpd is not installed"
#   start_smtp_sink SOURCE_DIR DIR [SECONDS_PER_MAIL] || exit 1
#   ... "$kci" notify send --smtp "smtp://127.0.0.1:$smtp_port" ...
#   stop_smtp_sink        (also from the test's cleanup trap)
smtp_sink_pid=
smtp_port=

# True when /usr/bin/python3 can import aiosmtpd.
smtp_sink_available() {
  /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null
}

# start_smtp_sink SOURCE_DIR DIR [SECONDS_PER_MAIL]: starts the server on a
# free port (smtp_port) writing into DIR (created); waits until it listens.
# Returns 1, with a message, when it does not come up.
start_smtp_sink() {
  local src=$1 dir=$2 delay=${3:-}
  mkdir -p "$dir"
  smtp_port=$(/usr/bin/python3 -c \
    'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  /usr/bin/python3 "$src/src/notify/testdata/smtp_sink.py" "$smtp_port" "$dir" $delay \
    > "$dir.sink-out" 2>&1 &
  smtp_sink_pid=$!
  for _ in $(seq 1 100); do
    grep -q ready "$dir.sink-out" && return 0
    sleep 0.1
  done
  echo "FAIL: the SMTP server did not start:"
  cat "$dir.sink-out"
  return 1
}

# Stops the server started by start_smtp_sink (nothing when none runs).
stop_smtp_sink() {
  if [ -n "$smtp_sink_pid" ]; then
    kill "$smtp_sink_pid" 2>/dev/null
    wait "$smtp_sink_pid" 2>/dev/null
  fi
  smtp_sink_pid=
}
