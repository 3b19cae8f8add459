#!/usr/bin/env bash
# Interoperability with Kamailio as registrar and record-routing proxy: the
# cpm_endpoint example registers with HTTP Digest (over UDP and TCP), receives a pager
# MESSAGE and a session INVITE that SIPp sends through Kamailio, sends a session
# through Kamailio to another registered endpoint (ACK and BYE along the Record-Route
# set), de-registers (Kamailio's location table is then empty), and fails clearly
# with a wrong password. Kamailio also challenges MESSAGE and INVITE from users of the
# test domain with 407 (proxy authentication): an endpoint sending a pager MESSAGE
# and a session through it answers the challenge and gets the 2xx, and fails clearly
# with a wrong password or none.
#
#   bash tests/kamailio.sh
#
# Needs `kamailio` and `kamcmd` (Debian package kamailio), `sipp` (sip-tester),
# `python3` (standard library only) and Linux (free ports are checked in /proc/net).
# Kamailio runs with tests/kamailio/kamailio.cfg (no database) on 127.0.0.1, UDP and
# TCP on one free port, in the foreground of a background job, and is stopped by its
# own PID. Logs go to target/kamailio/ (CARGO_TARGET_DIR/kamailio/ when that is set);
# a failed scenario prints its logs, the others still run, and the script exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

target_dir=${CARGO_TARGET_DIR:-target}
out=$target_dir/kamailio
config=$root/tests/kamailio/kamailio.cfg
scenarios=$root/tests/kamailio
domain=cpm.test
password=cpm-test-secret # the one password tests/kamailio/kamailio.cfg accepts
timeout=30

for tool in kamailio kamcmd sipp python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "kamailio: $tool is not installed (Debian: apt-get install kamailio sip-tester python3)" >&2
    exit 1
  fi
done

echo "== building cpm_endpoint (release)"
cargo build --release --example cpm_endpoint
endpoint=$(cd "$target_dir" && pwd)/release/examples/cpm_endpoint
rm -rf "$out"
mkdir -p "$out/run"
# Kamailio runs in /, so it is given absolute paths.
run_dir=$(cd "$out" && pwd)
echo "using $(kamailio -v 2>&1 | head -n 1 | sed -e "s/^version: //" -e "s/ *$//"), $(sipp -v 2>&1 | awk '/SIPp v/ { print $1, $2 }')"

kamailio_pid=
endpoint_pids=()
cleanup() {
  local pid
  for pid in "${endpoint_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  if [ -n "$kamailio_pid" ]; then
    kill "$kamailio_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

passed=()
failed=()

# port_taken and pick_port.
# shellcheck source=tests/lib.sh
source tests/lib.sh

# report NAME STATUS [WHY] [LOG...]: records the result; on a failure prints the logs.
report() {
  local name=$1 status=$2 why=${3:-} file
  shift 3 || shift $#
  if [ "$status" -eq 0 ]; then
    passed+=("$name")
    echo "ok $name"
    return 0
  fi
  failed+=("$name")
  echo "FAILED $name${why:+: $why}"
  for file in "$@" "$out/kamailio.log"; do
    if [ -s "$file" ]; then
      echo "---- $file (end)"
      tail -n 40 "$file"
    fi
  done
  echo "----"
}

# wait_line FILE REGEX: waits (up to 10 s) until FILE has a line matching REGEX.
wait_line() {
  local tries
  for tries in $(seq 200); do
    if grep -Eq "$2" "$1" 2>/dev/null; then
      return 0
    fi
    sleep 0.05
  done
  return 1
}

# options PORT: sends OPTIONS over UDP to Kamailio and succeeds on any response.
options() {
  python3 - "$1" <<'PY'
import socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(0.2)
local = s.getsockname()[1]
msg = (f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
       f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-ready-{local};rport\r\n"
       "Max-Forwards: 70\r\n"
       f"From: <sip:ready@127.0.0.1>;tag=ready{local}\r\n"
       f"To: <sip:127.0.0.1:{port}>\r\n"
       f"Call-ID: ready-{local}@127.0.0.1\r\n"
       "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
s.sendto(msg.encode(), ("127.0.0.1", port))
try:
    data, _ = s.recvfrom(65535)
except socket.timeout:
    sys.exit(1)
sys.exit(0 if data.startswith(b"SIP/2.0 ") else 1)
PY
}

# endpoint_bg NAME ARGS...: a receiving endpoint in the background; sets last_pid.
endpoint_bg() {
  local name=$1
  shift
  "$endpoint" --port 0 "$@" >"$out/$name.log" 2>&1 &
  last_pid=$!
  endpoint_pids+=("$last_pid")
}

# location_aors: the AoRs in Kamailio's location table (one per line).
location_aors() {
  kamcmd -s "unix:$run_dir/kamailio_ctl" ul.dump | sed -n -E 's/^[[:space:]]*AoR: (.*)$/\1/p'
}

echo "== Kamailio"
kport=$(pick_port)
kamailio -f "$config" -l "udp:127.0.0.1:$kport" -l "tcp:127.0.0.1:$kport" \
  -A "CTL_SOCKET=\"unix:$run_dir/kamailio_ctl\"" -Y "$run_dir/run" -P "$run_dir/kamailio.pid" \
  -DD -E >"$out/kamailio.log" 2>&1 &
kamailio_pid=$!
ready=1
for tries in $(seq 50); do
  if ! kill -0 "$kamailio_pid" 2>/dev/null; then
    break
  fi
  if options "$kport"; then
    ready=0
    break
  fi
  sleep 0.1
done
if [ "$ready" -ne 0 ]; then
  report kamailio-start 1 "Kamailio did not answer OPTIONS on udp 127.0.0.1:$kport" "$out/kamailio.log"
  echo "kamailio: ${#passed[@]} passed, ${#failed[@]} failed"
  exit 1
fi
echo "Kamailio (pid $kamailio_pid) on udp and tcp 127.0.0.1:$kport, domain $domain"
registrar=sip:127.0.0.1:$kport

echo "== a. two endpoints register with digest (bob over UDP, carol over TCP)"
# bob gets SIPp's MESSAGE and INVITE, ACK, BYE: 4 requests; carol gets alice's
# INVITE, ACK, BYE: 3.
endpoint_bg bob --transport udp --identity "sip:bob@$domain" --registrar "$registrar" \
  --password "$password" --expires 300 --max-requests 4 --seconds 60
bob_pid=$last_pid
endpoint_bg carol --transport tcp --identity "sip:carol@$domain" --registrar "$registrar" \
  --password "$password" --expires 300 --max-requests 3 --seconds 60
carol_pid=$last_pid
for who in bob carol; do
  if wait_line "$out/$who.log" "^registered sip:$who@$domain expires=[0-9]+$"; then
    report "register-$who" 0 "" "$out/$who.log"
  else
    report "register-$who" 1 "no 'registered sip:$who@$domain expires=' line" "$out/$who.log"
  fi
done

# erin asks for 10 s (Kamailio's min_expires): refreshed at half time, while the
# other scenarios run.
endpoint_bg erin --transport udp --identity "sip:erin@$domain" --registrar "$registrar" \
  --password "$password" --expires 10 --seconds 7
erin_pid=$last_pid

echo "== b. SIPp sends through Kamailio to bob's AoR"
for scenario in pager session; do
  name=sipp-$scenario
  status=0
  (cd "$out" && exec sipp "127.0.0.1:$kport" -sf "$scenarios/$scenario.xml" -t u1 -i 127.0.0.1 \
    -p "$(pick_port)" -s bob -m 1 -timeout "$timeout" -nostdin -timeout_error \
    -trace_err -error_file "${name}_errors.log" -trace_screen -screen_file "${name}_screen.log" \
    >"${name}_sipp.log" 2>&1) || status=1
  report "$name" "$status" "SIPp failed" "$out/${name}_errors.log" "$out/${name}_screen.log" "$out/bob.log"
done

echo "== c. alice (UDP, registered) sends a session to carol (TCP) through Kamailio"
name=session-alice-carol
status=0
why=
"$endpoint" --send session --to "sip:carol@$domain" --transport udp --port 0 \
  --identity "sip:alice@$domain" --registrar "$registrar" --password "$password" \
  --seconds "$timeout" >"$out/alice.log" 2>&1 || { status=1; why="the endpoint exited $?"; }
grep -q "^registered sip:alice@$domain expires=" "$out/alice.log" || { status=1; why="${why:+$why; }alice not registered"; }
grep -q "^<- SIP/2.0 200" "$out/alice.log" || { status=1; why="${why:+$why; }no 2xx printed"; }
grep -Eq "^-> ACK .*\(next hop sip:127\.0\.0\.1:$kport;" "$out/alice.log" ||
  { status=1; why="${why:+$why; }the ACK did not follow the Record-Route set"; }
grep -q "BYE answered SIP/2.0 200" "$out/alice.log" || { status=1; why="${why:+$why; }the BYE got no 200"; }
grep -q "^deregistered sip:alice@$domain$" "$out/alice.log" || { status=1; why="${why:+$why; }alice not de-registered"; }
report "$name" "$status" "$why" "$out/alice.log" "$out/carol.log"

echo "== d. bob, carol and erin (refreshed meanwhile) de-register; the location table is empty"
for who in bob carol erin; do
  pid_var=${who}_pid
  status=0
  why=
  wait "${!pid_var}" || { status=1; why="the endpoint exited 1 (not all its requests came)"; }
  grep -q "^deregistered sip:$who@$domain$" "$out/$who.log" || { status=1; why="${why:+$why; }no 'deregistered' line"; }
  if [ "$who" = erin ]; then
    grep -Eq "^registered sip:erin@$domain expires=10$" "$out/erin.log" || { status=1; why="${why:+$why; }not registered for 10 s"; }
    grep -Eq "^refreshed sip:erin@$domain expires=10$" "$out/erin.log" || { status=1; why="${why:+$why; }no 'refreshed' line"; }
  fi
  report "deregister-$who" "$status" "$why" "$out/$who.log"
done
endpoint_pids=()
aors=$(location_aors || echo "kamcmd failed")
if [ -z "$aors" ]; then
  report location-empty 0
else
  echo "$aors" >"$out/location.txt"
  report location-empty 1 "still bound: $(echo "$aors" | tr '\n' ' ')" "$out/location.txt"
fi

echo "== e. a wrong password fails clearly"
name=wrong-password
status=0
why=
code=0
"$endpoint" --port 0 --transport udp --identity "sip:dave@$domain" --registrar "$registrar" \
  --password not-the-password --seconds 5 >"$out/dave.log" 2>&1 || code=$?
[ "$code" -eq 1 ] || { status=1; why="exit status $code, not 1"; }
grep -Eq "failed: SIP/2.0 (401|403|407)" "$out/dave.log" || { status=1; why="${why:+$why; }no final status line"; }
[ -z "$(location_aors | grep -x dave || true)" ] || { status=1; why="${why:+$why; }dave is bound"; }
report "$name" "$status" "$why" "$out/dave.log"

echo "== f. henry (not registered) sends a pager and a session to frank; Kamailio challenges 407"
# frank gets henry's MESSAGE, INVITE, ACK and BYE: 4 requests.
endpoint_bg frank --transport udp --identity "sip:frank@$domain" --registrar "$registrar" \
  --password "$password" --expires 300 --max-requests 4 --seconds 60
frank_pid=$last_pid
if wait_line "$out/frank.log" "^registered sip:frank@$domain expires=[0-9]+$"; then
  report register-frank 0 "" "$out/frank.log"
else
  report register-frank 1 "no 'registered sip:frank@$domain expires=' line" "$out/frank.log"
fi
# challenged_then_ok LOG: the log shows a 407, then (later) a 200.
challenged_then_ok() {
  awk '/^<- SIP\/2\.0 407/ { challenged = 1 } challenged && /^<- SIP\/2\.0 200/ { ok = 1 } END { exit !ok }' "$1"
}
for procedure in pager session; do
  name=proxy-auth-$procedure
  transport=udp
  [ "$procedure" = session ] && transport=tcp
  status=0
  why=
  code=0
  "$endpoint" --send "$procedure" --to "sip:frank@$domain" --transport "$transport" --port 0 \
    --identity "sip:henry@$domain" --proxy "sip:127.0.0.1:$kport;lr" --password "$password" \
    --seconds "$timeout" >"$out/henry-$procedure.log" 2>&1 || code=$?
  [ "$code" -eq 0 ] || { status=1; why="the endpoint exited $code"; }
  challenged_then_ok "$out/henry-$procedure.log" || { status=1; why="${why:+$why; }no 407 then 200 printed"; }
  grep -q "answering the challenge as henry" "$out/henry-$procedure.log" || { status=1; why="${why:+$why; }the challenge was not answered"; }
  if [ "$procedure" = session ]; then
    grep -q "BYE answered SIP/2.0 200" "$out/henry-$procedure.log" || { status=1; why="${why:+$why; }the BYE got no 200"; }
  fi
  report "$name" "$status" "$why" "$out/henry-$procedure.log" "$out/frank.log"
done

name=proxy-auth-wrong-password
status=0
why=
code=0
"$endpoint" --send pager --to "sip:frank@$domain" --transport udp --port 0 \
  --identity "sip:henry@$domain" --proxy "sip:127.0.0.1:$kport;lr" --password not-the-password \
  --seconds "$timeout" >"$out/henry-wrong.log" 2>&1 || code=$?
[ "$code" -eq 1 ] || { status=1; why="exit status $code, not 1"; }
[ "$(grep -c '^<- SIP/2.0 407' "$out/henry-wrong.log")" -eq 2 ] || { status=1; why="${why:+$why; }not challenged twice"; }
grep -q "answered SIP/2.0 407 .*were refused" "$out/henry-wrong.log" || { status=1; why="${why:+$why; }no 'were refused' line"; }
report "$name" "$status" "$why" "$out/henry-wrong.log"

name=proxy-auth-no-password
status=0
why=
code=0
"$endpoint" --send pager --to "sip:frank@$domain" --transport udp --port 0 \
  --identity "sip:henry@$domain" --proxy "sip:127.0.0.1:$kport;lr" \
  --seconds "$timeout" >"$out/henry-none.log" 2>&1 || code=$?
[ "$code" -eq 1 ] || { status=1; why="exit status $code, not 1"; }
grep -q "pager answered SIP/2.0 407 .*no --password" "$out/henry-none.log" || { status=1; why="${why:+$why; }no 407 final line"; }
report "$name" "$status" "$why" "$out/henry-none.log"

status=0
why=
wait "$frank_pid" || { status=1; why="the endpoint exited 1 (not all its requests came)"; }
endpoint_pids=()
grep -q "^deregistered sip:frank@$domain$" "$out/frank.log" || { status=1; why="${why:+$why; }no 'deregistered' line"; }
report deregister-frank "$status" "$why" "$out/frank.log"

kill "$kamailio_pid" 2>/dev/null || true
wait "$kamailio_pid" 2>/dev/null || true
kamailio_pid=

echo
echo "kamailio: ${#passed[@]} passed, ${#failed[@]} failed${failed[*]:+ (${failed[*]})}; logs in $out/"
[ "${#failed[@]}" -eq 0 ]
