#!/usr/bin/env bash
# Start a MongoDB-wire-compatible server for tests: FerretDB v1.x with its
# embedded SQLite backend (pure Go, no external database needed).
#
# mongod binaries cannot be downloaded on our machines, but the Go module
# proxy is reachable, so FerretDB is built from source once and cached.
#
# Usage:
#   .ci/mongo-server.sh [PORT]     start (PORT optional: a free one is picked)
#   .ci/mongo-server.sh stop PORT  stop a server started by this script
#
# stdout (exactly two lines; everything else goes to stderr or log files):
#   MONGO_URI=mongodb://127.0.0.1:PORT
#   MONGO_SERVER_NAME=FerretDB v1.24.0 (SQLite)
# Note: the second value contains spaces, so do not `eval` the output; e.g.
#   while IFS= read -r l; do export "$l"; done < <(.ci/mongo-server.sh)
#
# Files: /tmp/strata-mongo-PORT.pid (server PID), /tmp/strata-mongo-PORT.log
# (server log), /tmp/strata-mongo-PORT.data/ (SQLite data, wiped on start).
#
# Environment knobs:
#   STRATA_CACHE_DIR   binary cache (default: $HOME/.cache/strata)
#   STRATA_MONGO_WAIT  seconds to wait for the server to accept TCP (default 60)
#   STRATA_MONGO_DATA_DIR  keep the SQLite data in this folder between runs (created when
#                      missing, never wiped); default: /tmp/strata-mongo-PORT.data, wiped on start
#
# Known FerretDB v1.24 gaps (vs real MongoDB): no transactions, no change
# streams, no $lookup, no TTL / partial / text indexes, no Decimal128 (the
# connection is dropped), and a unique index does not treat missing fields as
# duplicate nulls. We apply one small patch so that a unique-index violation
# caused by an update (updateOne/updateMany/findOneAndUpdate/save) returns
# E11000 (code 11000) instead of InternalError (code 1), as MongoDB does.
set -euo pipefail

FERRETDB_VERSION="v1.24.0"
FERRETDB_MODULE="github.com/FerretDB/FerretDB"
FERRETDB_COMMIT="7d9c7b9922555c1c8b64fe1ac596f4c1efb570ce"
PATCH_LEVEL="p1" # bump when the patch below changes, to invalidate the cache
SERVER_NAME="FerretDB ${FERRETDB_VERSION} (SQLite)"

CACHE_DIR="${STRATA_CACHE_DIR:-${HOME:-/root}/.cache/strata}"
BIN_DIR="${CACHE_DIR}/ferretdb-${FERRETDB_VERSION}-${PATCH_LEVEL}"
BIN="${BIN_DIR}/ferretdb"
WAIT_SECS="${STRATA_MONGO_WAIT:-60}"

log() { echo "mongo-server: $*" >&2; }
die() { echo "mongo-server: ERROR: $*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# ---------------------------------------------------------------- stop mode
if [[ "${1:-}" == "stop" ]]; then
  port="${2:?usage: $0 stop PORT}"
  pidfile="/tmp/strata-mongo-${port}.pid"
  if [[ -f "$pidfile" ]]; then
    pid="$(cat "$pidfile")"
    if pid_alive "$pid"; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
      pid_alive "$pid" && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  fi
  rm -rf "/tmp/strata-mongo-${port}.data"
  exit 0
fi

# ---------------------------------------------------------------- build
find_go() {
  if command -v go >/dev/null 2>&1; then command -v go; return; fi
  for g in /usr/local/go/bin/go /usr/lib/go/bin/go "$HOME/go/bin/go"; do
    [[ -x "$g" ]] && { echo "$g"; return; }
  done
  return 1
}

# The patch (against FerretDB v1.24.0): map SQLite UNIQUE constraint failures
# in UpdateAll to the backend's duplicate-key error, which the handler already
# turns into E11000 for both `update` and `findAndModify`.
write_patch() {
  cat <<'PATCH'
--- a/internal/backends/sqlite/collection.go
+++ b/internal/backends/sqlite/collection.go
@@ -174,6 +174,11 @@
 
 			r, err := tx.ExecContext(ctx, q, string(b), arg)
 			if err != nil {
+				var se *sqlite3.Error
+				if errors.As(err, &se) && se.Code() == sqlite3lib.SQLITE_CONSTRAINT_UNIQUE {
+					return backends.NewError(backends.ErrorCodeInsertDuplicateID, err)
+				}
+
 				return lazyerrors.Error(err)
 			}
 
--- a/internal/backends/collection.go
+++ b/internal/backends/collection.go
@@ -255,7 +255,7 @@
 		span.SetStatus(otelcodes.Error, "")
 	}
 
-	checkError(err)
+	checkError(err, ErrorCodeInsertDuplicateID)
 
 	return res, err
 }
PATCH
}

# The output is captured before it is searched: `--version | grep -q` under `set -o pipefail` fails
# whenever grep exits at the first line before FerretDB has written the rest (SIGPIPE), which made a
# loaded machine rebuild a good binary and then refuse it.
binary_ok() {
  local out
  [[ -x "$BIN" ]] || return 1
  out="$("$BIN" --version 2>/dev/null)" || return 1
  grep -qx "version: ${FERRETDB_VERSION}" <<<"$out"
}

build_ferretdb() {
  local go work src started
  go="$(find_go)" || die "Go toolchain not found (needed to build FerretDB ${FERRETDB_VERSION}); install Go >= 1.22"
  command -v patch >/dev/null 2>&1 || die "'patch' not found (apt-get install -y patch)"
  started=$SECONDS
  work="$(mktemp -d "${TMPDIR:-/tmp}/strata-ferretdb-build.XXXXXX")"
  # shellcheck disable=SC2064
  trap "chmod -R u+w '$work' 2>/dev/null; rm -rf '$work'; trap - RETURN" RETURN
  local buildlog="${CACHE_DIR}/ferretdb-build.log"
  log "building FerretDB ${FERRETDB_VERSION} from the Go module proxy (first run only; ~1.5-3 min); log: ${buildlog}"

  # `go install module@version` fails here because it queries the proxy's
  # version list (403 in this environment); downloading the exact version
  # and building inside a copy of the module works.
  # GOFLAGS is reset so a caller's -mod=vendor etc. cannot interfere;
  # -buildvcs=false matters: FerretDB panics at start if the VCS revision
  # stamped by `go build` differs from build/version/commit.txt.
  local dir
  dir="$(cd "$work" && GOFLAGS=-mod=mod GO111MODULE=on timeout 300 "$go" mod download -json \
        "${FERRETDB_MODULE}@${FERRETDB_VERSION}" 2>>"$buildlog" \
        | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')" \
    || die "go mod download ${FERRETDB_MODULE}@${FERRETDB_VERSION} failed; see ${buildlog}"
  [[ -n "$dir" && -f "$dir/go.mod" ]] || die "could not locate FerretDB module source (got '${dir}'); see ${buildlog}"

  src="$work/src"
  cp -R "$dir" "$src"
  chmod -R u+w "$src"
  # build/version embeds these generated files; without version.txt the
  # binary panics at start ("Invalid build/version/version.txt").
  printf '%s\n' "$FERRETDB_VERSION" >"$src/build/version/version.txt"
  printf '%s\n' "$FERRETDB_COMMIT" >"$src/build/version/commit.txt"
  printf '%s\n' "main" >"$src/build/version/branch.txt"
  printf '%s\n' "strata-ci" >"$src/build/version/package.txt"
  write_patch | (cd "$src" && patch -p1 --forward --silent) >>"$buildlog" 2>&1 \
    || die "applying the FerretDB patch failed; see ${buildlog}"

  mkdir -p "$BIN_DIR"
  (cd "$src" && GOFLAGS= CGO_ENABLED=0 GO111MODULE=on timeout 1500 "$go" build \
      -buildvcs=false -trimpath -o "$BIN_DIR/ferretdb.tmp.$$" ./cmd/ferretdb) >>"$buildlog" 2>&1 \
    || { rm -f "$BIN_DIR/ferretdb.tmp.$$"; tail -n 20 "$buildlog" >&2; die "go build of FerretDB failed; see ${buildlog}"; }
  mv -f "$BIN_DIR/ferretdb.tmp.$$" "$BIN"
  binary_ok || die "built FerretDB binary does not report version ${FERRETDB_VERSION}"
  log "built ${BIN} in $((SECONDS - started)) s"
}

mkdir -p "$CACHE_DIR"
if ! binary_ok; then
  if command -v flock >/dev/null 2>&1; then
    # serialize concurrent first runs (e.g. parallel CI jobs on one machine)
    exec 9>"${CACHE_DIR}/.ferretdb-build.lock"
    flock -w 1800 9 || die "timed out waiting for another FerretDB build"
    binary_ok || build_ferretdb
    flock -u 9
    exec 9>&-
  else
    build_ferretdb
  fi
fi

# ---------------------------------------------------------------- port
pick_free_port() {
  if command -v node >/dev/null 2>&1; then
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'
  else
    local p
    for _ in $(seq 1 100); do
      p=$((20000 + RANDOM % 40000))
      port_open "$p" || { echo "$p"; return; }
    done
    return 1
  fi
}

PORT="${1:-}"
if [[ -z "$PORT" ]]; then
  PORT="$(pick_free_port)" || die "could not find a free port"
fi
[[ "$PORT" =~ ^[0-9]+$ ]] && ((PORT > 0 && PORT < 65536)) || die "invalid port '${PORT}'"

PIDFILE="/tmp/strata-mongo-${PORT}.pid"
LOGFILE="/tmp/strata-mongo-${PORT}.log"
DATADIR="${STRATA_MONGO_DATA_DIR:-/tmp/strata-mongo-${PORT}.data}"

print_result() {
  echo "MONGO_URI=mongodb://127.0.0.1:${PORT}"
  echo "MONGO_SERVER_NAME=${SERVER_NAME}"
}

# Idempotent: if our server is already running on this port, reuse it.
if [[ -f "$PIDFILE" ]]; then
  oldpid="$(cat "$PIDFILE" 2>/dev/null || true)"
  if pid_alive "$oldpid" && grep -q ferretdb "/proc/${oldpid}/cmdline" 2>/dev/null && port_open "$PORT"; then
    log "server already running on port ${PORT} (pid ${oldpid}); reusing it"
    print_result
    exit 0
  fi
  rm -f "$PIDFILE"
fi
port_open "$PORT" && die "port ${PORT} is already in use by another process"

# ---------------------------------------------------------------- start
[[ -n "${STRATA_MONGO_DATA_DIR:-}" ]] || rm -rf "$DATADIR"
mkdir -p "$DATADIR"
: >"$LOGFILE"

# --debug-addr=- disables the HTTP debug listener (default 127.0.0.1:8088,
# which would clash between concurrent servers); telemetry is disabled.
nohup "$BIN" \
  --handler=sqlite \
  --sqlite-url="file:${DATADIR}/" \
  --state-dir="$DATADIR" \
  --listen-addr="127.0.0.1:${PORT}" \
  --debug-addr=- \
  --telemetry=disable \
  --log-level=info \
  >>"$LOGFILE" 2>&1 </dev/null &
SERVER_PID=$!
echo "$SERVER_PID" >"$PIDFILE"

deadline=$((SECONDS + WAIT_SECS))
until port_open "$PORT"; do
  if ! pid_alive "$SERVER_PID"; then
    tail -n 30 "$LOGFILE" >&2 || true
    rm -f "$PIDFILE"
    die "FerretDB exited during startup; log: ${LOGFILE}"
  fi
  if ((SECONDS >= deadline)); then
    tail -n 30 "$LOGFILE" >&2 || true
    kill "$SERVER_PID" 2>/dev/null || true
    rm -f "$PIDFILE"
    die "FerretDB did not accept TCP connections on 127.0.0.1:${PORT} within ${WAIT_SECS} s; log: ${LOGFILE}"
  fi
  sleep 0.2
done

log "FerretDB ${FERRETDB_VERSION} (pid ${SERVER_PID}) listening on 127.0.0.1:${PORT}; log: ${LOGFILE}; data: ${DATADIR}"
print_result
