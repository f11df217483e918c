//go:build unix

package wire

import (
	"errors"
	"net"
	"os"
	"syscall"
)

const oobSpace = 4096

// canPassFDs reports whether descriptors cross c.
func canPassFDs(c net.Conn) bool {
	_, ok := c.(*net.UnixConn)
	return ok
}

// writeRights writes b with fd attached.
func writeRights(c net.Conn, b []byte, fd int) error {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return errors.New("wire: descriptors can not cross this channel")
	}
	n, _, err := uc.WriteMsgUnix(b, syscall.UnixRights(fd), nil)
	if err == nil && n < len(b) {
		_, err = uc.Write(b[n:])
	}
	return err
}

// readRights reads into buf, returning the descriptors that came along.
func readRights(c net.Conn, buf, oob []byte) (int, []int, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		n, err := c.Read(buf)
		return n, nil, err
	}
	n, oobn, _, _, err := uc.ReadMsgUnix(buf, oob)
	if oobn <= 0 {
		return n, nil, err
	}
	fds, perr := parseRights(oob[:oobn])
	if perr != nil && err == nil {
		err = perr
	}
	return n, fds, err
}

// parseRights returns the descriptors in a control message.
func parseRights(oob []byte) ([]int, error) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	for i := range msgs {
		got, err := syscall.ParseUnixRights(&msgs[i])
		if err != nil {
			continue
		}
		for _, fd := range got {
			syscall.CloseOnExec(fd)
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

func closeFD(fd int) {
	if fd >= 0 {
		_ = syscall.Close(fd)
	}
}

// Socketpair returns both ends of a new Unix stream socketpair as files,
// close-on-exec.
func Socketpair(name string) (*os.File, *os.File, error) {
	syscall.ForkLock.RLock()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, nil, os.NewSyscallError("socketpair", err)
	}
	for _, fd := range fds {
		if err := syscall.SetNonblock(fd, true); err != nil {
			syscall.Close(fds[0])
			syscall.Close(fds[1])
			return nil, nil, err
		}
	}
	return os.NewFile(uintptr(fds[0]), name+"-0"), os.NewFile(uintptr(fds[1]), name+"-1"), nil
}

// FDPassing reports whether descriptors can be handed over on this
// system.
const FDPassing = true
