# Sourced by scripts/test.sh (step 0): Debian's chromium, the headless
# browser examples/wsbrowser's test opens its page in (the page talks
# ZeroMQ over WebSocket to zmqkit). About a minute to install, once.
if command -v chromium >/dev/null 2>&1; then
	echo "$(chromium --version 2>/dev/null || echo chromium) found"
else
	echo "chromium missing: installing it with apt-get"
	apt_install chromium
	command -v chromium >/dev/null 2>&1 || fail "chromium installed but not on PATH"
fi
