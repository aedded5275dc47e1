#!/usr/bin/env bash
# The README's newcomer path, as a newcomer follows it: a clone of this checkout, a fresh venv,
# `pip install .`, `demo`, then the "Your first hour" config and commands taken from README.md
# itself, with the feed and the webhook pointed at loopback stand-ins (no internet). Run by
# .ci/run; not a pytest test, because it installs into a new venv and runs for a while.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
cleanup() { [[ -n "${stand_ins:-}" ]] && kill "$stand_ins" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
say() { printf '[newcomer] %s\n' "$*"; }
fail() { say "FAIL: $*"; exit 1; }

say "clone and install as the Quick start says"
git clone -q "$here" "$work/division-bell"
cd "$work/division-bell"
python3 -m venv .venv
. .venv/bin/activate
{ python -m pip install -q --upgrade pip && python -m pip install -q .; } > "$work/pip.log" 2>&1 \
    || { cat "$work/pip.log"; fail "pip install ."; }
export DIVISION_BELL_DATA="$work/data"

say "division-bell demo"
division-bell demo 2>/dev/null | grep -q "Demo done" || fail "demo did not finish"

# The README's "Your first hour" blocks: the first toml block and the first sh block after it.
section() { awk '/^## Your first hour/{on=1; next} /^## /{on=0} on' README.md; }
block() { section | awk -v lang="$1" '$0 == "```" lang {on=1; next} on && /^```/{exit} on'; }
block toml > division-bell.toml
block sh > first-hour.sh
[[ -s division-bell.toml && -s first-hour.sh ]] || fail "README has no first-hour config or commands"

say "loopback stand-ins: a feed with a fresh defection, a webhook receiver"
ports="$work/ports"
python3 - "$ports" "$work/received" <<'PY' &
import http.server, socketserver, sys, threading
from datetime import datetime, timezone
now = datetime.now(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")
feed = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Loopback politics</title>
<item><title>Tory MP Jane Marchmont defects to Labour</title>
<link>https://news.example/marchmont</link><guid>m-1</guid><pubDate>{now}</pubDate></item>
</channel></rss>""".encode()
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Type", "application/rss+xml")
        self.end_headers(); self.wfile.write(feed)
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(sys.argv[2], "ab") as out:
            out.write(body + b"\n")
        self.send_response(200); self.end_headers()
    def log_message(self, *args): pass
server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w") as out:
    out.write(str(server.server_address[1]))
server.serve_forever()
PY
stand_ins=$!
for _ in $(seq 50); do [[ -s "$ports" ]] && break; sleep 0.1; done
port=$(cat "$ports")
sed -i "s|https://feeds.bbci.co.uk/news/politics/rss.xml|http://127.0.0.1:$port/feed.xml|" division-bell.toml
export DESK_WEBHOOK="http://127.0.0.1:$port/webhook"
listen_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export DIVISION_BELL_HTTP_LISTEN="127.0.0.1:$listen_port"

say "the README's first-hour commands"
while read -r line; do
    [[ -z "$line" || "$line" == \#* ]] && continue
    command="${line%%#*}"
    if [[ "$command" == *" run"* ]]; then
        say "  $command (in the background until it alerts)"
        $command > "$work/run.out" 2> "$work/run.err" &
        service=$!
        for _ in $(seq 300); do grep -q Marchmont "$work/received" 2>/dev/null && break; sleep 0.1; done
        python3 -c "import urllib.request as r; r.urlopen('http://$DIVISION_BELL_HTTP_LISTEN/healthz')" \
            || { cat "$work/run.err"; fail "run is not healthy"; }
        kill -TERM "$service"; wait "$service" || { cat "$work/run.err"; fail "run did not stop cleanly"; }
    else
        say "  $command"
        $command >> "$work/out" 2>&1 || { cat "$work/out"; fail "$command"; }
    fi
done < first-hour.sh
grep -q "politics desk: delivered" "$work/out" || { cat "$work/out"; fail "send-test said"; }
grep -q "Test alert from Division Bell" "$work/received" || fail "send-test did not post"
grep -q "Marchmont" "$work/received" || fail "run did not alert the webhook"
say "PASS: clone, install, demo, check-config, send-test and run as the README says"
