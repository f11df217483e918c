//go:build !unix

package main

import "syscall"

// errnoNames is empty here: errnos print as numbers.
var errnoNames = map[syscall.Errno]string{}
