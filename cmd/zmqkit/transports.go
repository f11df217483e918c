package main

// Transports that plugins/all leaves out (they pull in dependencies most
// programs do not need); the zmqkit command speaks every transport.
import (
	_ "github.com/zmqkit/zmqkit/plugins/vmci" // vmci://, vsock://
)
