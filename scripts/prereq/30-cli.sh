# Sourced by scripts/test.sh (step 0): pyzmq (Debian's python3-zmq, over
# Debian's libzmq) for cmd/zmqkit's end-to-end tests, which run the zmqkit
# binary against it. The tests use /usr/bin/python3 (or $ZMQKIT_PYTHON).
if /usr/bin/python3 -c 'import zmq, zmq.auth.thread' >/dev/null 2>&1; then
	echo "pyzmq $(/usr/bin/python3 -c 'import zmq; print(zmq.__version__)') found"
else
	echo "pyzmq missing: installing python3-zmq with apt-get"
	apt_install python3 python3-zmq
	/usr/bin/python3 -c 'import zmq, zmq.auth.thread' || fail "python3-zmq installed but /usr/bin/python3 cannot import zmq"
fi
# zsh, for the test of "zmqkit completion zsh" (loaded into a real zsh).
if command -v zsh >/dev/null 2>&1; then
	echo "zsh found"
else
	echo "zsh missing: installing zsh with apt-get"
	apt_install zsh
fi
