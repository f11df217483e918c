package pgm

import (
	"cmp"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// batcher holds what writeBatch hands the kernel, reused between calls.
type batcher struct {
	hdrs []unix.Mmsghdr
	iovs []unix.Iovec
	sa4  unix.RawSockaddrInet4
	sa6  unix.RawSockaddrInet6
}

// writeBatch sends pkts to one address with as few sendmmsg calls as the
// kernel takes them in, waiting (through the Go poller) while the socket
// buffer is full.
func (c *pconn) writeBatch(bt *batcher, pkts [][]byte, to netip.Addr) error {
	rc := c.rc // kept by newPconn: SyscallConn allocates
	if rc == nil {
		return syscall.EBADF
	}
	var err error
	var name *byte
	var namelen uint32
	if to.Is4() || to.Is4In6() {
		bt.sa4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: to.Unmap().As4()}
		p := (*[2]byte)(unsafe.Pointer(&bt.sa4.Port))
		p[0], p[1] = byte(c.port>>8), byte(c.port)
		name, namelen = (*byte)(unsafe.Pointer(&bt.sa4)), unix.SizeofSockaddrInet4
	} else {
		bt.sa6 = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: to.As16()}
		p := (*[2]byte)(unsafe.Pointer(&bt.sa6.Port))
		p[0], p[1] = byte(c.port>>8), byte(c.port)
		name, namelen = (*byte)(unsafe.Pointer(&bt.sa6)), unix.SizeofSockaddrInet6
	}
	if cap(bt.hdrs) < len(pkts) {
		bt.hdrs = make([]unix.Mmsghdr, len(pkts))
		bt.iovs = make([]unix.Iovec, len(pkts))
	}
	hdrs, iovs := bt.hdrs[:len(pkts)], bt.iovs[:len(pkts)]
	for i, p := range pkts {
		iovs[i] = unix.Iovec{Base: unsafe.SliceData(p)}
		iovs[i].SetLen(len(p))
		hdrs[i] = unix.Mmsghdr{Hdr: unix.Msghdr{Name: name, Namelen: namelen, Iov: &iovs[i]}}
		hdrs[i].Hdr.SetIovlen(1)
	}
	for len(hdrs) > 0 {
		var n int
		var serr error
		werr := rc.Write(func(fd uintptr) bool {
			r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&hdrs[0])), uintptr(len(hdrs)), 0, 0, 0)
			if e == unix.EAGAIN || e == unix.EINTR {
				return false // wait until the socket takes more
			}
			if e != 0 {
				serr = e
			}
			n = int(r)
			return true
		})
		if werr != nil {
			return werr
		}
		if serr != nil || n <= 0 {
			// as write: an error skips the packet it stopped at
			n = 1
			err = cmp.Or(serr, err)
		}
		hdrs = hdrs[n:]
	}
	return err
}
