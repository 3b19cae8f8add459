# Helpers shared by tests/interop.sh and tests/kamailio.sh (sourced, not run).
# Needs Linux: sockets are looked up in /proc/net.

# port_taken PORT: whether a local UDP or TCP socket uses PORT.
port_taken() {
  local hex
  hex=$(printf ':%04X' "$1")
  awk -v hex="$hex" 'FNR > 1 && (substr($2, length($2) - 4) == hex) { found = 1 } END { exit !found }' \
    /proc/net/udp /proc/net/tcp /proc/net/udp6 /proc/net/tcp6 2>/dev/null
}

# pick_port: a port no local socket uses, from 20000 to 59999.
pick_port() {
  local port tries
  for tries in $(seq 50); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    if ! port_taken "$port"; then
      echo "$port"
      return 0
    fi
  done
  echo "${0##*/}: no free port found" >&2
  return 1
}
