# Sourced by scripts/test.sh (step 0): Debian's libzmq 4.3.4 (with OpenPGM),
# pkg-config and gcc, for the interop module's cgo tests and for -race.
have_libzmq() {
	command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libzmq \
		&& command -v gcc >/dev/null 2>&1
}
if have_libzmq; then
	echo "libzmq $(pkg-config --modversion libzmq) found; gcc found"
else
	echo "libzmq, pkg-config or gcc missing: installing libzmq3-dev pkg-config gcc with apt-get"
	apt_install libzmq3-dev pkg-config gcc libc6-dev
	have_libzmq || fail "libzmq still not found by pkg-config after install"
	echo "installed libzmq $(pkg-config --modversion libzmq)"
fi
