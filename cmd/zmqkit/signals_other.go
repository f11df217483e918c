//go:build !unix

package main

import "os"

// interruptSignals end a command: Ctrl-C.
var interruptSignals = []os.Signal{os.Interrupt}

// notifyUsr1 returns nil: there is no SIGUSR1 here.
func notifyUsr1() <-chan struct{} { return nil }
