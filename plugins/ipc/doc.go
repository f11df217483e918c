// Package ipc is the zmqkit transport for the "ipc" scheme: ZMTP over
// Unix domain stream sockets, as libzmq 4.3. Importing it (or
// plugins/all) registers it in registry.Default.
//
// # Addresses
//
//   - "ipc://PATH": a relative or absolute file system path. It must fit
//     in sun_path (at most 107 bytes on Linux, 103 elsewhere), else the
//     error wraps transport.ErrNameTooLong. Endpoint prints the path back
//     as given.
//   - "ipc://@NAME": a name in Linux's abstract namespace (no file; the
//     address length excludes any trailing NUL, as libzmq). A bare "@" is
//     invalid. Binding a taken name fails with transport.ErrAddrInUse.
//     Elsewhere abstract names fail with transport.ErrNotSupported.
//   - "ipc://*" (bind only): a private directory is created with
//     os.MkdirTemp under $TMPDIR, $TEMPDIR or $TMP (else os.TempDir; libzmq
//     falls back to the current directory) and "<dir>/socket" is bound.
//     Endpoint reports the real path.
//
// # Binding and closing
//
// Bind first removes a stale socket file at the path, so a second bind,
// even from another process, silently takes the path over, as in libzmq.
// Unlike libzmq, a path holding anything other than a socket is left
// alone and the bind fails with transport.ErrAddrInUse. Listener.Close
// removes the socket file (and the wildcard directory) and reports CLOSED;
// if removing fails it reports CLOSE_FAILED with the errno instead. A
// listener whose path was taken over by a later bind does not remove the
// newer socket on Close.
//
// # Connections and events
//
// Events are tcp's: LISTENING/BIND_FAILED, ACCEPTED/ACCEPT_FAILED and
// CLOSED/CLOSE_FAILED for listeners; a Dial reports CONNECTED, or CLOSED
// when it fails. Connecting a Unix socket completes or fails at once, so
// CONNECT_DELAYED is never reported (libzmq reports it only for
// EINPROGRESS). PeerAddress is always empty; the unnamed end of a
// connection has an empty LocalAddress or RemoteAddress. Config's Backlog
// is honoured on Linux; the TCP-specific options do not apply.
package ipc
