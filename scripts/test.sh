#!/usr/bin/env bash
# scripts/test.sh — run the whole zmqkit test suite on a fresh machine.
#
#   bash scripts/test.sh
#
# Steps (the first failure stops the run):
#   0. prerequisites: every scripts/prereq/*.sh, sourced in name order
#      (10-libzmq.sh installs libzmq3-dev, pkg-config and gcc with apt-get
#      if missing: the interop module links libzmq through cgo)
#   1. gofmt check of every Go file
#   2. go vet ./... and staticcheck ./... (main module; staticcheck is
#      pinned, STATICCHECK_VERSION, and run with `go run`: nothing to
#      install; its findings are fixed, or marked //lint:ignore with a
#      reason where intended, as CURVE's use of x/crypto's salsa20 and
#      poly1305 packages)
#   3. CGO_ENABLED=0 go build ./...      (the main module is pure Go),
#      and type-checked for linux on arm64, 386 and arm and for darwin,
#      windows, freebsd on amd64 and arm64 (interop/cmd/crosscheck)
#   4. go test -race -count=1 ./...      (main module; includes the
#      code-health tests: internal/codehealth fails on an exported
#      identifier without a doc comment, examples/ runs every example
#      program as a smoke test)
#   5. interop module: go vet and staticcheck (with -tags zmqdraft, so
#      interop/wsdraft is checked too), then go test against the real libzmq: ws, wss
#      and the draft sockets against the draft build of
#      scripts/prereq/20-libzmq-draft.sh (interop/wsdraft, -tags zmqdraft),
#      then everything else against Debian's libzmq (interop/jszmq: ws
#      against jszmq under node, from scripts/prereq/25-jszmq.sh)
#
# The last line printed is one summary: PASS or FAIL, the steps that ran
# (with the number of test packages that passed), and the wall time.
#
# Environment: CI=true makes missing libzmq a failure in the interop tests
# (instead of a skip). GO_TEST_TIMEOUT overrides the per-package timeout (10m).
# ZMQKIT_STEPS="1 2" runs only those steps (default: all; 0, the
# prerequisites, runs whenever 4 or 5 does).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
TIMEOUT=${GO_TEST_TIMEOUT:-10m}
STATICCHECK_VERSION=v0.8.2 # pinned; steps 2 and 5 run it with `go run`
START=$(date +%s)

STEPS=${ZMQKIT_STEPS:-0 1 2 3 4 5}
case " $STEPS " in *" 4 "* | *" 5 "*) STEPS="0 $STEPS" ;; esac
STEP="setup"  # the step running now, for the summary
DONE=()       # what passed, for the summary
LOG=$(mktemp)

section() {
	STEP="$*"
	printf '\n==== %s ====  (+%ss)\n' "$*" "$(( $(date +%s) - START ))"
}

want() { case " $STEPS " in *" $1 "*) return 0 ;; esac; return 1; }

# passed records a step's result; with a go test log, its package count.
passed() {
	local what=$1
	if [ -n "${2:-}" ]; then
		what="$what ($(grep -c '^ok ' "$2" || true) packages ok)"
	fi
	DONE+=("$what")
}

# summary is the last line of every run, pass or fail.
summary() {
	local rc=$? secs=$(( $(date +%s) - START )) done_list
	rm -f "$LOG"
	done_list=$(IFS=';'; echo "${DONE[*]:-nothing}")
	done_list=${done_list//;/, }
	if [ "$rc" -eq 0 ]; then
		printf '\ntest.sh: PASS: %s; %dm%02ds\n' "$done_list" $((secs / 60)) $((secs % 60))
	else
		printf '\ntest.sh: FAIL in %s after %dm%02ds; passed before it: %s\n' "$STEP" $((secs / 60)) $((secs % 60)) "$done_list"
	fi
}
trap summary EXIT

fail() {
	printf '\nFAIL: %s\n' "$*" >&2
	exit 1
}

command -v go >/dev/null 2>&1 || fail "go is not installed (need Go 1.26+)"

if want 0; then
# ---------------------------------------------------------------------------
section "0/5 prerequisites (scripts/prereq/*.sh)"
# apt_install PKG... installs Debian packages (with sudo when not root),
# waiting for the dpkg lock if another install holds it.
APT_UPDATED=""
apt_install() {
	command -v apt-get >/dev/null 2>&1 || fail "apt-get not available; install $* by hand"
	local sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || fail "not root and sudo not available; cannot install $*"
		sudo="sudo"
	fi
	local opts=(-o DPkg::Lock::Timeout=300 -y -q --no-install-recommends)
	if [ -z "$APT_UPDATED" ]; then
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -q
		APT_UPDATED=1
	fi
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install "${opts[@]}" "$@"
}
# Each prerequisite script is sourced in name order, so it can export what
# the tests need (paths of cached builds, ...). Expensive builds are cached
# outside the checkout, keyed by version (ZMQKIT_CACHE).
export ZMQKIT_CACHE=${ZMQKIT_CACHE:-/var/cache/zmqkit}
for prereq in "$ROOT"/scripts/prereq/*.sh; do
	echo "-- $(basename "$prereq")"
	# shellcheck source=/dev/null
	source "$prereq"
done
go version
passed "prerequisites"
fi

if want 1; then
# ---------------------------------------------------------------------------
section "1/5 gofmt"
unformatted=$(gofmt -l . 2>&1 || true)
if [ -n "$unformatted" ]; then
	echo "gofmt -l reports (run gofmt -w on these):"
	echo "$unformatted"
	fail "gofmt"
fi
echo "ok"
passed "gofmt"
fi

if want 2; then
# ---------------------------------------------------------------------------
section "2/5 go vet + staticcheck (main module)"
go vet ./...
go run "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" ./...
echo "ok"
passed "go vet, staticcheck $STATICCHECK_VERSION"
fi

if want 3; then
# ---------------------------------------------------------------------------
section "3/5 CGO_ENABLED=0 go build (main module)"
CGO_ENABLED=0 go build ./...
# The other systems and architectures, on which no test runs (the
# out-of-process plugins' host, serve side and binaries among them): the
# whole module type-checked from source for each target, dependencies and
# standard library included, plus the compiler's check that a function
# without a body has assembly for the target (the CURVE kernels' generic
# fallbacks on arm64), by interop/cmd/crosscheck: a few seconds a target,
# where a cold cross-build of go-plugin and gRPC takes a minute and a half.
(cd interop && go run ./cmd/crosscheck -dir .. \
	-targets linux/arm64,linux/386,linux/arm,darwin/amd64,darwin/arm64,windows/amd64,windows/arm64,freebsd/amd64,freebsd/arm64 ./...)
echo "ok"
passed "CGO_ENABLED=0 build (and type-checked for 9 other targets)"
fi

if want 4; then
# ---------------------------------------------------------------------------
section "4/5 go test -race (main module)"
# -race needs cgo (gcc), which step 0 made sure of.
go test -race -count=1 -timeout "$TIMEOUT" ./... 2>&1 | tee "$LOG"
# The race detector slows every plugin start down: the 100 load/unload
# cycles of out-of-process plugins run without it.
go test -count=1 -timeout "$TIMEOUT" -run 'TestLoadUnloadCycles' ./registry/external/
passed "race tests" "$LOG"
fi

if want 5; then
# ---------------------------------------------------------------------------
section "5/5 interop tests against libzmq $(pkg-config --modversion libzmq)"
cd "$ROOT/interop"
go vet ./...
# interop/wsdraft links the draft libzmq (its own test binary: rpath to the
# cached build, which has the same soname as Debian's libzmq5)
draft_env=(PKG_CONFIG_PATH="$ZMQKIT_LIBZMQ_DRAFT/lib/pkgconfig" CGO_LDFLAGS="-Wl,-rpath,$ZMQKIT_LIBZMQ_DRAFT/lib")
env "${draft_env[@]}" go vet -tags zmqdraft ./wsdraft
env "${draft_env[@]}" go run "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" -tags zmqdraft ./...
env "${draft_env[@]}" CI=${CI:-} go test -tags zmqdraft -count=1 -timeout "$TIMEOUT" ./wsdraft 2>&1 | tee "$LOG"
# ws/wss throughput rows of the compare command, zmqkit and libzmq (smoke)
env "${draft_env[@]}" ZMQKIT_COMPARE_LIBZMQ_WS=1 go test -count=1 -timeout "$TIMEOUT" -run 'TestQuickWS' ./cmd/compare 2>&1 | tee -a "$LOG"
CI=${CI:-} go test -count=1 -timeout "$TIMEOUT" ./... 2>&1 | tee -a "$LOG"
passed "interop tests against libzmq $(pkg-config --modversion libzmq)" "$LOG"
fi
