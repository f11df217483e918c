//go:build unix

package main

import "syscall"

// errnoNames are the errnos monitor events carry most often.
var errnoNames = map[syscall.Errno]string{
	syscall.ECONNREFUSED:  "ECONNREFUSED",
	syscall.ECONNRESET:    "ECONNRESET",
	syscall.ECONNABORTED:  "ECONNABORTED",
	syscall.ETIMEDOUT:     "ETIMEDOUT",
	syscall.EHOSTUNREACH:  "EHOSTUNREACH",
	syscall.ENETUNREACH:   "ENETUNREACH",
	syscall.ENETDOWN:      "ENETDOWN",
	syscall.EADDRINUSE:    "EADDRINUSE",
	syscall.EADDRNOTAVAIL: "EADDRNOTAVAIL",
	syscall.EINPROGRESS:   "EINPROGRESS",
	syscall.EPIPE:         "EPIPE",
	syscall.EACCES:        "EACCES",
	syscall.EPERM:         "EPERM",
	syscall.ENOENT:        "ENOENT",
	syscall.EFAULT:        "EFAULT",
	syscall.EAGAIN:        "EAGAIN",
	syscall.EINVAL:        "EINVAL",
	syscall.EPROTO:        "EPROTO",
	syscall.EMSGSIZE:      "EMSGSIZE",
	syscall.ENOTSOCK:      "ENOTSOCK",
	syscall.ENODEV:        "ENODEV",
	syscall.EMFILE:        "EMFILE",
	syscall.ENAMETOOLONG:  "ENAMETOOLONG",
}
