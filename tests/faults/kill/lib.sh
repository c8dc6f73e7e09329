# shellcheck shell=bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the kill -9 fault tests (tests/faults/kill/*.sh).
#
#   fault_init NAME DEFAULT_SEED   reads KCI_FAULT_SEED / KCI_FAULT_ROUNDS, seeds
#                                  bash's RANDOM, prints the seed and rounds
#   random_ms MIN MAX              a delay in ms drawn from the seeded RANDOM
#   sleep_ms MS                    sleeps MS milliseconds
#   fault_done                     prints rounds, seed and wall time
#
# The delays come from bash's RANDOM seeded with the printed seed, so a
# failing round is replayed with KCI_FAULT_SEED=SEED (the machine's timing
# still varies; the kill points are the same delays).
fault_name=
fault_seed=
fault_rounds=
fault_start=

fault_init() {
  fault_name=$1
  fault_seed=${KCI_FAULT_SEED:-$2}
  fault_rounds=${KCI_FAULT_ROUNDS:-50}
  RANDOM=$fault_seed
  fault_start=$(date +%s.%N)
  echo "$fault_name: seed $fault_seed, $fault_rounds rounds (replay: KCI_FAULT_SEED=$fault_seed)"
}

random_ms() {
  echo $(($1 + RANDOM % ($2 - $1 + 1)))
}

sleep_ms() {
  sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}

fault_done() {
  local end
  end=$(date +%s.%N)
  echo "$fault_name: $fault_rounds rounds, seed $fault_seed, $*, wall" \
    "$(awk -v a="$fault_start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s"
}
