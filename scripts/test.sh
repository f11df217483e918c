#!/usr/bin/env bash
# scripts/test.sh — run the whole zmqkit test suite on a fresh machine.
#
#   bash scripts/test.sh
#
# Steps (the first failure stops the run):
#   0. install libzmq3-dev, pkg-config and gcc with apt-get if libzmq is missing
#      (needed only by the interop module, which links libzmq through cgo)
#   1. gofmt check of every Go file
#   2. go vet ./...                      (main module)
#   3. CGO_ENABLED=0 go build ./...      (the main module is pure Go)
#   4. go test -race -count=1 ./...      (main module)
#   5. interop module: go vet, then go test against the real libzmq
#
# Environment: CI=true makes missing libzmq a failure in the interop tests
# (instead of a skip). GO_TEST_TIMEOUT overrides the per-package timeout (10m).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
TIMEOUT=${GO_TEST_TIMEOUT:-10m}
START=$(date +%s)

section() {
	printf '\n==== %s ====  (+%ss)\n' "$*" "$(( $(date +%s) - START ))"
}

fail() {
	printf '\nFAIL: %s\n' "$*" >&2
	exit 1
}

command -v go >/dev/null 2>&1 || fail "go is not installed (need Go 1.26+)"

# ---------------------------------------------------------------------------
section "0/5 prerequisites (libzmq for interop tests)"
have_libzmq() {
	command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libzmq \
		&& command -v gcc >/dev/null 2>&1
}
if have_libzmq; then
	echo "libzmq $(pkg-config --modversion libzmq) found; gcc found"
else
	echo "libzmq, pkg-config or gcc missing: installing libzmq3-dev pkg-config gcc with apt-get"
	command -v apt-get >/dev/null 2>&1 || fail "apt-get not available; install libzmq (>= 4.3) dev files, pkg-config and gcc by hand"
	SUDO=""
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || fail "not root and sudo not available; cannot install libzmq3-dev"
		SUDO="sudo"
	fi
	export DEBIAN_FRONTEND=noninteractive
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		libzmq3-dev pkg-config gcc libc6-dev
	have_libzmq || fail "libzmq still not found by pkg-config after install"
	echo "installed libzmq $(pkg-config --modversion libzmq)"
fi
go version

# ---------------------------------------------------------------------------
section "1/5 gofmt"
unformatted=$(gofmt -l . 2>&1 || true)
if [ -n "$unformatted" ]; then
	echo "gofmt -l reports (run gofmt -w on these):"
	echo "$unformatted"
	fail "gofmt"
fi
echo "ok"

# ---------------------------------------------------------------------------
section "2/5 go vet (main module)"
go vet ./...
echo "ok"

# ---------------------------------------------------------------------------
section "3/5 CGO_ENABLED=0 go build (main module)"
CGO_ENABLED=0 go build ./...
echo "ok"

# ---------------------------------------------------------------------------
section "4/5 go test -race (main module)"
# -race needs cgo (gcc), which step 0 made sure of.
go test -race -count=1 -timeout "$TIMEOUT" ./...

# ---------------------------------------------------------------------------
section "5/5 interop tests against libzmq $(pkg-config --modversion libzmq)"
cd "$ROOT/interop"
go vet ./...
# Nothing is printed after this: go test's closing lines stay last.
CI=${CI:-} go test -count=1 -timeout "$TIMEOUT" ./...
