#!/usr/bin/env bash
# Interoperability with SIPp: the cpm_endpoint example (the library with loopback
# sockets around it) against the SIPp scenarios of tests/sipp/, over UDP and TCP, in
# both roles (with the IMDN the endpoint sends, an IMDN and an is-composing indication
# it receives); the endpoint's TCP stream reading (tests/stream_endpoint.py: a ping,
# two requests in one write, a request one byte at a time); the transaction layer
# over UDP (tests/udp_transactions.py: a copy of a request answered without a second
# handler call, the 2xx to an INVITE resent until the ACK); two endpoints exchanging
# large messages, files and a chat message over MSRP (with an IMDN back inside the
# session); an independent MSRP peer (tests/msrp_peer.py); then a load run of 20,000
# pager MESSAGEs; then plain RFC 3428 MESSAGEs both ways with baresip, a plain SIP
# peer (configuration in tests/baresip/).
#
#   bash tests/interop.sh
#
# Needs `sipp` (Debian/Ubuntu package sip-tester), `baresip` (package baresip-core; without
# it the baresip runs fail), `python3` (standard library only)
# and Linux (free ports are checked in /proc/net). Logs go to target/interop/ (CARGO_TARGET_DIR/interop/ when that is
# set). On a failure the SIPp error log, the end of SIPp's screen and the endpoint's
# output are printed, the other scenarios still run, and the script exits 1.
# LOAD_CALLS and LOAD_RATE change the load run (default 20000 MESSAGEs at 1000 per
# second).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

target_dir=${CARGO_TARGET_DIR:-target}
out=$target_dir/interop
scenarios=$root/tests/sipp
load_calls=${LOAD_CALLS:-20000}
load_rate=${LOAD_RATE:-1000}
timeout=30 # seconds, for every scenario but the load run

if ! command -v sipp >/dev/null; then
  echo "interop: sipp is not installed (Debian/Ubuntu: apt-get install sip-tester)" >&2
  exit 1
fi

echo "== building cpm_endpoint (release)"
cargo build --release --example cpm_endpoint
endpoint=$(cd "$target_dir" && pwd)/release/examples/cpm_endpoint
rm -rf "$out"
mkdir -p "$out"
sipp_version=$(sipp -v 2>&1 || true)
echo "using $(awk '/SIPp v/ { print $1, $2 }' <<<"$sipp_version")"

# Background jobs still running (endpoints, SIPp servers) are killed when the script
# ends, whatever the way.
cleanup() {
  local jobs
  jobs=$(jobs -p)
  if [ -n "$jobs" ]; then
    # shellcheck disable=SC2086 # one pid per word
    kill $jobs 2>/dev/null || true
  fi
}
trap cleanup EXIT

failed=()
passed=()

# port_taken and pick_port.
# shellcheck source=tests/lib.sh
source tests/lib.sh

# wait_bound PORT: waits (up to 5 s) until a local socket is bound to PORT.
wait_bound() {
  local tries
  for tries in $(seq 100); do
    if port_taken "$1"; then
      return 0
    fi
    sleep 0.05
  done
  return 1
}

# start_endpoint NAME ARGS...: starts the endpoint on a free port of its choosing;
# sets endpoint_pid and endpoint_port once it has said where it listens.
start_endpoint() {
  local name=$1 tries
  shift
  "$endpoint" --port 0 ${imdn_flag---no-imdn} "$@" >"$out/${name}_endpoint.log" 2>&1 &
  endpoint_pid=$!
  endpoint_port=
  for tries in $(seq 100); do
    endpoint_port=$(sed -n -E 's/^cpm_endpoint: listening on [a-z]+ 127\.0\.0\.1:([0-9]+),.*$/\1/p' \
      "$out/${name}_endpoint.log")
    if [ -n "$endpoint_port" ]; then
      return 0
    fi
    sleep 0.05
  done
  echo "interop: $name: the endpoint did not start" >&2
  return 1
}

# sipp_run NAME ARGS...: SIPp with the options every run shares; its logs are
# target/interop/NAME_errors.log, NAME_stat.csv, NAME_screen.log and NAME_sipp.log.
sipp_run() {
  local name=$1
  shift
  (cd "$out" && exec sipp "$@" -i 127.0.0.1 -nostdin -timeout_error \
    -trace_err -error_file "${name}_errors.log" \
    -trace_stat -stf "${name}_stat.csv" -fd 1 \
    -trace_screen -screen_file "${name}_screen.log" \
    >"${name}_sipp.log" 2>&1)
}

# report NAME STATUS [WHY]: records the result; on a failure prints the logs.
report() {
  local name=$1 status=$2 why=${3:-}
  if [ "$status" -eq 0 ]; then
    passed+=("$name")
    echo "ok      $name"
    return 0
  fi
  failed+=("$name")
  echo "FAILED  $name${why:+: $why}"
  local file
  for file in "$out/${name}_errors.log" "$out/${name}_endpoint.log"; do
    if [ -s "$file" ]; then
      echo "---- $file"
      tail -n 60 "$file"
      echo
    fi
  done
  if [ -s "$out/${name}_screen.log" ]; then
    echo "---- $out/${name}_screen.log (end)"
    tail -n 25 "$out/${name}_screen.log"
  fi
  echo "----"
}

# sipp_stat FILE COLUMN: the value of COLUMN in the last line of a SIPp statistics file.
sipp_stat() {
  awk -F';' -v name="$2" '
    NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) col = i; next }
    { value = $col }
    END { print (col ? value : "missing") }' "$1"
}

# uac NAME TRANSPORT SCENARIO REQUESTS [ENDPOINT ARGS...]: the endpoint answers
# SIPp running SCENARIO once; both must succeed and the endpoint must have answered
# exactly REQUESTS requests. The endpoint runs with --no-imdn unless imdn_flag is set
# (empty: answer with IMDNs); sipp_extra adds SIPp options; expect_endpoint is a line
# the endpoint's output must hold, expect_sipp_log one SIPp's <log> actions must
# have written (target/interop/NAME_logs.log).
uac() {
  local name=$1 transport=$2 scenario=$3 requests=$4 sipp_transport=u1 status=0 why=
  shift 4
  [ "$transport" = tcp ] && sipp_transport=t1
  start_endpoint "$name" --transport "$transport" --max-requests "$requests" --seconds "$timeout" "$@" ||
    { report "$name" 1 "endpoint did not start"; return 0; }
  sipp_run "$name" "127.0.0.1:$endpoint_port" -sf "$scenarios/$scenario" -t "$sipp_transport" \
    -p "$(pick_port)" -s +15550100002 -m 1 -timeout "$timeout" ${sipp_extra-} || { status=1; why="SIPp failed"; }
  wait "$endpoint_pid" || { status=1; why="${why:+$why; }the endpoint did not get $requests requests"; }
  if [ -n "${expect_endpoint-}" ] && ! grep -qxF -- "$expect_endpoint" "$out/${name}_endpoint.log"; then
    status=1
    why="${why:+$why; }the endpoint did not print \`$expect_endpoint'"
  fi
  if [ -n "${expect_sipp_log-}" ] && ! grep -qF -- "$expect_sipp_log" "$out/${name}_logs.log" 2>/dev/null; then
    status=1
    why="${why:+$why; }SIPp did not log \`$expect_sipp_log'"
  fi
  report "$name" "$status" "$why"
}

# uas NAME TRANSPORT SCENARIO PROCEDURE: SIPp waits with SCENARIO; the endpoint sends
# PROCEDURE to it; both must succeed.
uas() {
  local name=$1 transport=$2 scenario=$3 procedure=$4 sipp_transport=u1 port sipp_pid status=0 why=
  [ "$transport" = tcp ] && sipp_transport=t1
  port=$(pick_port)
  sipp_run "$name" -sf "$scenarios/$scenario" -t "$sipp_transport" -p "$port" -m 1 -timeout "$timeout" &
  sipp_pid=$!
  wait_bound "$port" || true
  "$endpoint" --send "$procedure" --to "sip:+15550100002@127.0.0.1:$port" --transport "$transport" \
    --port 0 --release OMA2.2 --seconds "$timeout" --no-msrp >"$out/${name}_endpoint.log" 2>&1 ||
    { status=1; why="the endpoint got no 2xx"; }
  wait "$sipp_pid" || { status=1; why="${why:+$why; }SIPp failed"; }
  report "$name" "$status" "$why"
}

# msrp_pair NAME PROCEDURE [SENDER ARGS...]: two endpoints on loopback, no proxy: a
# receiving one (with receiver_args, if set) and a sending one that sends PROCEDURE
# straight to the receiver's SIP port, then its content over MSRP. Passes when both
# end well and the receiver printed `msrp PROCEDURE message-id=.. type=.. bytes=N
# sha256=H` with the N and H of the sender's `msrp sent bytes=N sha256=H report=200`.
# The sender's output is target/interop/NAME_sender.log.
msrp_pair() {
  local name=$1 procedure=$2 status=0 why= sent received
  shift 2
  # shellcheck disable=SC2086 # receiver_args: words
  start_endpoint "$name" --max-requests 3 --seconds "$timeout" ${receiver_args-} ||
    { report "$name" 1 "endpoint did not start"; return 0; }
  "$endpoint" --send "$procedure" --to "sip:+15550100002@127.0.0.1:$endpoint_port" --port 0 \
    --seconds "$timeout" "$@" >"$out/${name}_sender.log" 2>&1 || { status=1; why="the sender failed"; }
  wait "$endpoint_pid" || { status=1; why="${why:+$why; }the receiver did not get INVITE, ACK and BYE"; }
  sent=$(sed -n -E 's/^msrp sent (bytes=[0-9]+ sha256=[0-9a-f]{64}) report=200$/\1/p' "$out/${name}_sender.log")
  received=$(sed -n -E "s/^msrp $procedure message-id=[^ ]+ type=[^ ]+ (bytes=[0-9]+ sha256=[0-9a-f]{64})\$/\1/p" \
    "$out/${name}_endpoint.log")
  if [ -z "$sent" ]; then
    status=1
    why="${why:+$why; }the sender printed no \`msrp sent ... report=200'"
  elif [ "$sent" != "$received" ]; then
    status=1
    why="${why:+$why; }sent $sent, received ${received:-nothing}"
  fi
  if [ "$status" -ne 0 ] && [ -s "$out/${name}_sender.log" ]; then
    echo "---- $out/${name}_sender.log"
    tail -n 30 "$out/${name}_sender.log"
  fi
  report "$name" "$status" "$why"
}

# msrp_chat_imdn NAME [SENDER ARGS...]: a chat message asking for a delivery
# notification (`--send session --imdn delivery`) to a receiver that answers it (no
# --no-imdn): passes when both end well, the receiver printed the `msrp session`
# line with the sender's bytes and hash and said it sent the IMDN about the
# imdn.Message-ID the sender wrote, and the sender printed `imdn delivered
# message-id=<that id> status=delivered` (the IMDN came back inside the session,
# before the BYE).
msrp_chat_imdn() {
  local name=$1 status=0 why= sent received asked answered notified
  shift
  # shellcheck disable=SC2086 # receiver_args: words
  imdn_flag='' start_endpoint "$name" --max-requests 3 --seconds "$timeout" ${receiver_args-} ||
    { report "$name" 1 "endpoint did not start"; return 0; }
  "$endpoint" --send session --imdn delivery --to "sip:+15550100002@127.0.0.1:$endpoint_port" \
    --port 0 --seconds "$timeout" "$@" >"$out/${name}_sender.log" 2>&1 || { status=1; why="the sender failed"; }
  wait "$endpoint_pid" || { status=1; why="${why:+$why; }the receiver did not get INVITE, ACK and BYE"; }
  sent=$(sed -n -E 's/^msrp sent (bytes=[0-9]+ sha256=[0-9a-f]{64}) report=200$/\1/p' "$out/${name}_sender.log")
  received=$(sed -n -E 's/^msrp session message-id=[^ ]+ type=message\/cpim (bytes=[0-9]+ sha256=[0-9a-f]{64})$/\1/p' \
    "$out/${name}_endpoint.log")
  asked=$(sed -n -E 's/^cpm_endpoint: chat message imdn\.Message-ID=([^ ]+) asks for .*$/\1/p' "$out/${name}_sender.log")
  answered=$(sed -n -E 's/^-> imdn delivered message-id=([^ ]+) \(in the session\)$/\1/p' "$out/${name}_endpoint.log")
  notified=$(sed -n -E 's/^imdn delivered message-id=([^ ]+) status=delivered$/\1/p' "$out/${name}_sender.log")
  if [ -z "$sent" ] || [ "$sent" != "$received" ]; then
    status=1
    why="${why:+$why; }sent ${sent:-nothing}, received ${received:-nothing}"
  fi
  if [ -z "$asked" ] || [ "$answered" != "$asked" ] || [ "$notified" != "$asked" ]; then
    status=1
    why="${why:+$why; }asked for ${asked:-nothing}, the receiver answered ${answered:-nothing}, the sender was notified of ${notified:-nothing}"
  fi
  if [ "$status" -ne 0 ] && [ -s "$out/${name}_sender.log" ]; then
    echo "---- $out/${name}_sender.log"
    tail -n 30 "$out/${name}_sender.log"
  fi
  report "$name" "$status" "$why"
}

# msrp_parallel NAME COUNT: COUNT senders at once, each a file transfer of a file of
# its own (the first COUNT x 100 kB of msrp-file.bin, less i bytes), to one receiver:
# one MSRP session per INVITE, side by side. Passes when every sender ends well and
# the receiver printed COUNT lines, one with each sender's bytes= and sha256=.
msrp_parallel() {
  local name=$1 count=$2 status=0 why= i pids=() sent received
  start_endpoint "$name" --max-requests $((3 * count)) --seconds "$timeout" ||
    { report "$name" 1 "endpoint did not start"; return 0; }
  for i in $(seq "$count"); do
    head -c $((count * 100000 - i)) "$out/msrp-file.bin" >"$out/${name}-$i.bin"
    "$endpoint" --send file-transfer --file "$out/${name}-$i.bin" \
      --to "sip:+15550100002@127.0.0.1:$endpoint_port" --port 0 --seconds "$timeout" \
      >"$out/${name}_sender-$i.log" 2>&1 &
    pids+=("$!")
  done
  for i in $(seq "$count"); do
    wait "${pids[$((i - 1))]}" || { status=1; why="${why:+$why; }sender $i failed"; }
  done
  wait "$endpoint_pid" || { status=1; why="${why:+$why; }the receiver did not get $((3 * count)) requests"; }
  received=$(sed -n -E 's/^msrp file-transfer message-id=[^ ]+ type=[^ ]+ (bytes=[0-9]+ sha256=[0-9a-f]{64})$/\1/p' \
    "$out/${name}_endpoint.log" | sort)
  sent=$(sed -n -E 's/^msrp sent (bytes=[0-9]+ sha256=[0-9a-f]{64}) report=200$/\1/p' \
    "$out/${name}"_sender-*.log | sort)
  if [ "$(wc -l <<<"$sent")" -ne "$count" ] || [ "$sent" != "$received" ]; then
    status=1
    why="${why:+$why; }sent [$(echo $sent)], received [$(echo $received)]"
  fi
  report "$name" "$status" "$why"
}

echo "== SIPp sends, the endpoint answers"
for transport in udp tcp; do
  uac "pager-$transport" "$transport" pager.xml 1
  uac "deferred-$transport" "$transport" deferred.xml 1
  # INVITE, ACK, BYE
  uac "session-$transport" "$transport" session.xml 3
  uac "file-transfer-$transport" "$transport" file-transfer.xml 3
  uac "large-message-$transport" "$transport" large-message.xml 3
  uac "options-$transport" "$transport" options.xml 1
  # OPTIONS, INVITE, ACK, MESSAGE, malformed MESSAGE
  uac "reject-$transport" "$transport" reject.xml 5 --enable session
  # A pager message asking for a delivery notification: 200, then the IMDN, checked
  # by SIPp's out-of-call scenario. Over TCP the IMDN goes back on the connection
  # SIPp opened, and the endpoint keeps it open until SIPp closes it.
  imdn_flag='' expect_sipp_log='IMDN checked' \
    sipp_extra="-oocsf $scenarios/imdn-delivery-ooc.xml -trace_logs -log_file imdn-delivery-${transport}_logs.log" \
    uac "imdn-delivery-$transport" "$transport" imdn-delivery.xml 1
  # An incoming IMDN, and an is-composing indication: 200 and one line each.
  expect_endpoint='imdn delivered message-id=sipp-original-0001 status=delivered' \
    uac "imdn-incoming-$transport" "$transport" imdn-incoming.xml 1
  expect_endpoint='is-composing active' uac "is-composing-$transport" "$transport" is-composing.xml 1
done

echo "== the endpoint sends, SIPp answers"
for transport in udp tcp; do
  uas "uas-pager-$transport" "$transport" uas-pager.xml pager
  uas "uas-session-$transport" "$transport" uas-session.xml session
done

echo "== two endpoints, MSRP: large messages, files, a chat message; the receiver passive, then active"
head -c 3000000 /dev/urandom >"$out/msrp-file.bin"
head -c 200000 /dev/urandom | od -An -tx1 >"$out/msrp-note.txt"
msrp_pair msrp-large-message-text large-message --text "A large message, over MSRP"
msrp_pair msrp-large-message-file large-message --file "$out/msrp-note.txt"
msrp_pair msrp-file-transfer-2k file-transfer --file "$out/msrp-file.bin" --chunk-size 2048
msrp_pair msrp-file-transfer-64k file-transfer --file "$out/msrp-file.bin" --chunk-size 65536
msrp_pair msrp-session session --text "Hello over MSRP"
# The sender offers a=setup:passive: the receiver connects (active) and sends the
# first SEND; then actpass, answered passive by a receiver told so.
msrp_pair msrp-file-transfer-receiver-active file-transfer --file "$out/msrp-file.bin" --setup passive
receiver_args="--setup passive" msrp_pair msrp-session-actpass session --text "actpass" --setup actpass
# SIP over TCP.
receiver_args="--transport tcp" msrp_pair msrp-large-message-tcp large-message \
  --file "$out/msrp-file.bin" --transport tcp
# Four sessions at once.
msrp_parallel msrp-parallel 4
# A chat message asking for a delivery notification: the IMDN comes back inside the
# session (RFC 5438 in MSRP, OMA CPM 7.3.2), the receiver passive, then active.
msrp_chat_imdn msrp-session-imdn --text "Tell me it arrived"
msrp_chat_imdn msrp-session-imdn-receiver-active --text "Tell me it arrived, active" --setup passive

echo "== an MSRP peer written from the wire formats (tests/msrp_peer.py) against the endpoint"
# Deferred group session, chunks out of order, an interrupted message, a refused type,
# a wrong To-Path, is-composing and IMDNs inside a session: one result per scenario.
if ! command -v python3 >/dev/null; then
  report msrp-peer 1 "python3 is not installed"
else
  python3 "$root/tests/msrp_peer.py" "$endpoint" "$out/msrp-peer_endpoint.log" >"$out/msrp-peer.log" 2>&1 || true
  peer_results=0
  while read -r word scenario result rest; do
    [ "$word" = scenario ] || continue
    peer_results=$((peer_results + 1))
    if [ "$result" = ok ]; then
      report "msrp-peer-$scenario" 0
    else
      report "msrp-peer-$scenario" 1 "$rest"
      cp "$out/msrp-peer_endpoint.log" "$out/msrp-peer-${scenario}_endpoint.log" 2>/dev/null || true
    fi
  done <"$out/msrp-peer.log"
  if [ "$peer_results" -eq 0 ] || grep -q '^msrp_peer: the endpoint did not end' "$out/msrp-peer.log" ||
    grep -q '^Traceback' "$out/msrp-peer.log"; then
    report msrp-peer 1 "msrp_peer.py: $(grep -v '^scenario ' "$out/msrp-peer.log" | tail -n 5 | tr '\n' ' ')"
  fi
fi

echo "== the endpoint's TCP stream: a ping, two requests in one write, one byte at a time"
name=stream-tcp
if ! command -v python3 >/dev/null; then
  report "$name" 1 "python3 is not installed"
elif python3 "$root/tests/stream_endpoint.py" "$endpoint" "$out/${name}_endpoint.log"; then
  report "$name" 0
else
  report "$name" 1 "see the lines above"
fi

echo "== the endpoint's transaction layer over UDP: a copy of a request, a 2xx until the ACK"
name=transactions-udp
if ! command -v python3 >/dev/null; then
  report "$name" 1 "python3 is not installed"
elif python3 "$root/tests/udp_transactions.py" "$endpoint" "$out/${name}_endpoint.log"; then
  report "$name" 0
else
  report "$name" 1 "see the lines above"
fi

echo "== load: $load_calls pager MESSAGEs at $load_rate per second over UDP"
name=load
status=0
why=
load_seconds=$((load_calls / load_rate + 60))
if start_endpoint "$name" --max-requests "$load_calls" --seconds "$load_seconds" --quiet; then
  sipp_run "$name" "127.0.0.1:$endpoint_port" -sf "$scenarios/pager.xml" -t u1 -p "$(pick_port)" \
    -s +15550100002 -m "$load_calls" -r "$load_rate" -rp 1000 -timeout "$load_seconds" ||
    { status=1; why="SIPp failed"; }
  wait "$endpoint_pid" || { status=1; why="${why:+$why; }the endpoint did not get $load_calls requests"; }
  csv="$out/${name}_stat.csv"
  successful=$(sipp_stat "$csv" 'SuccessfulCall(C)')
  failed_calls=$(sipp_stat "$csv" 'FailedCall(C)')
  unexpected=$(sipp_stat "$csv" 'FailedUnexpectedMessage(C)')
  out_of_call=$(sipp_stat "$csv" 'OutOfCallMsgs(C)')
  retransmissions=$(sipp_stat "$csv" 'Retransmissions(C)')
  answered=$(sed -n -E 's/^cpm_endpoint: ([0-9]+) requests, .*/\1/p' "$out/${name}_endpoint.log")
  echo "SIPp: $successful successful, $failed_calls failed, $unexpected unexpected," \
    "$out_of_call out of call, $retransmissions retransmissions; endpoint: $(tail -n 1 "$out/${name}_endpoint.log")"
  if [ "$successful" != "$load_calls" ] || [ "$failed_calls" != 0 ] || [ "$unexpected" != 0 ] ||
    [ "$out_of_call" != 0 ] || [ "$answered" != "$successful" ]; then
    status=1
    why="${why:+$why; }expected $load_calls successful = endpoint's count, 0 failed, 0 unexpected"
  fi
else
  status=1
  why="endpoint did not start"
fi
report "$name" "$status" "$why"

# ---- A plain SIP peer: baresip (Debian/Ubuntu package baresip-core), with the
# configuration of tests/baresip/ (loopback only, no audio, commands on standard
# input). Plain RFC 3428 MESSAGEs over UDP both ways: baresip sends one to the endpoint
# started with --accept-plain, which must print it as a plain message with its text;
# then the endpoint sends a CPIM pager message, which baresip refuses with 415 and an
# Accept without message/cpim, so the endpoint sends the text again bare; then with
# --plain the text bare at once. baresip must print both texts. baresip is stopped by
# its own PID.

# free_pair: a port P such that P and P+1 are free (baresip binds TLS on P+1).
free_pair() {
  local port tries
  for tries in $(seq 50); do
    port=$(pick_port)
    if ! port_taken $((port + 1)); then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# baresip_exchange: the plain-peer runs against baresip (plain-from-baresip,
# plain-cpim-fallback, plain-to-baresip).
baresip_exchange() {
  local dir=$out/baresip log=$out/plain-baresip.log port pid input tries status why
  if ! command -v baresip >/dev/null; then
    report plain-from-baresip 1 "baresip is not installed (Debian/Ubuntu: apt-get install baresip-core)"
    return 0
  fi
  start_endpoint plain-from-baresip --accept-plain --max-requests 1 --seconds "$timeout" ||
    { report plain-from-baresip 1 "endpoint did not start"; return 0; }
  port=$(free_pair) || { report plain-from-baresip 1 "no free port pair"; return 0; }
  rm -rf "$dir"
  mkdir -p "$dir"
  sed "s/@PORT@/$port/" "$root/tests/baresip/config" >"$dir/config"
  sed "s/@PORT@/$port/" "$root/tests/baresip/accounts" >"$dir/accounts"
  sed "s/@ENDPOINT@/$endpoint_port/" "$root/tests/baresip/contacts" >"$dir/contacts"
  printf 'sip:+15550100002@127.0.0.1:%s' "$endpoint_port" >"$dir/current_contact"
  mkfifo "$dir/input"
  baresip -f "$dir" <"$dir/input" >"$log" 2>&1 &
  pid=$!
  # The script holds the write end of baresip's standard input until the end.
  exec {input}>"$dir/input"
  for tries in $(seq 100); do
    grep -q 'baresip is ready' "$log" && port_taken "$port" && break
    sleep 0.05
  done

  # baresip -> endpoint
  status=0
  why=
  if ! grep -q 'baresip is ready' "$log"; then
    status=1
    why="baresip did not start (its output: $log)"
  fi
  # A write to a FIFO whose reader is gone must not end the script.
  trap '' PIPE
  printf '/message Hello cpm_endpoint from baresip\n' >&"$input" || status=1
  trap - PIPE
  wait "$endpoint_pid" || { status=1; why="${why:+$why; }the endpoint got no MESSAGE"; }
  if ! grep -E "^[^ ]+ [^ ]+ from=sip:baresip@127\.0\.0\.1:$port .*type=text/plain .*\(plain\) text=\"Hello cpm_endpoint from baresip\"\$" \
    "$out/plain-from-baresip_endpoint.log" >/dev/null; then
    status=1
    why="${why:+$why; }the endpoint did not print baresip's text as a plain message"
  fi
  report plain-from-baresip "$status" "$why"

  # endpoint -> baresip, in CPIM: 415 with an Accept without message/cpim; the
  # endpoint sends the text again bare, and baresip prints it.
  status=0
  why=
  "$endpoint" --send pager --to "sip:baresip@127.0.0.1:$port" --port 0 --seconds "$timeout" \
    --text "Hello baresip after a 415" >"$out/plain-cpim-fallback_endpoint.log" 2>&1 ||
    { status=1; why="the endpoint got no 2xx"; }
  if ! grep -qx '<- SIP/2.0 415 Unsupported Media Type' "$out/plain-cpim-fallback_endpoint.log"; then
    status=1
    why="${why:+$why; }no 415 from baresip to the CPIM body"
  fi
  if ! grep -qx 'cpm_endpoint: the peer takes no message/cpim: sending the text bare' \
    "$out/plain-cpim-fallback_endpoint.log"; then
    status=1
    why="${why:+$why; }the endpoint did not send the text again bare"
  fi
  for tries in $(seq 40); do
    grep -qF ': "Hello baresip after a 415"' "$log" && break
    sleep 0.05
  done
  if ! grep -qF 'sip:+15550100001@127.0.0.1: "Hello baresip after a 415"' "$log"; then
    status=1
    why="${why:+$why; }baresip did not print the text (its output: $log)"
  fi
  report plain-cpim-fallback "$status" "$why"

  # endpoint -> baresip, bare (--plain): 200, and baresip prints the text.
  status=0
  why=
  "$endpoint" --send pager --plain --to "sip:baresip@127.0.0.1:$port" --port 0 --seconds "$timeout" \
    --text "Hello baresip from cpm_endpoint" >"$out/plain-to-baresip_endpoint.log" 2>&1 ||
    { status=1; why="the endpoint got no 2xx"; }
  for tries in $(seq 40); do
    grep -qF ': "Hello baresip from cpm_endpoint"' "$log" && break
    sleep 0.05
  done
  if ! grep -qF 'sip:+15550100001@127.0.0.1: "Hello baresip from cpm_endpoint"' "$log"; then
    status=1
    why="${why:+$why; }baresip did not print the text (its output: $log)"
  fi
  report plain-to-baresip "$status" "$why"

  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  exec {input}>&-
}

echo "== a plain SIP peer: baresip, RFC 3428 MESSAGEs both ways over UDP"
baresip_exchange

echo
echo "interop: ${#passed[@]} passed, ${#failed[@]} failed${failed[*]:+ (${failed[*]})}; logs in $out/"
[ "${#failed[@]}" -eq 0 ]
