//go:build unix

// Package sys names a constant on Unix, and on Windows a name that does
// not exist.
package sys

// Kind names the system's kind.
const Kind = "unix"
