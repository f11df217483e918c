//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// interruptSignals end a command: Ctrl-C and kill's default.
var interruptSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// notifyUsr1 returns a channel that receives on each SIGUSR1 (proxy
// prints its statistics then).
func notifyUsr1() <-chan struct{} {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	out := make(chan struct{}, 1)
	go func() {
		for range sig {
			select {
			case out <- struct{}{}:
			default:
			}
		}
	}()
	return out
}
