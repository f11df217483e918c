package main

// Transports that plugins/all leaves out (they pull in dependencies most
// programs do not need, or are drafts in libzmq); the zmqkit command
// speaks every transport zmqkit has.
import (
	_ "github.com/zmqkit/zmqkit/plugins/vmci" // vmci://, vsock://
	_ "github.com/zmqkit/zmqkit/plugins/ws"   // ws://, wss:// (ZWS 2.0)
)
