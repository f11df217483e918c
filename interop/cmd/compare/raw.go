package main

import (
	"fmt"
	"io"
	"net"
	"time"
)

// rawDriver moves the same bytes over a plain loopback TCP connection with
// no framing: the bandwidth ceiling for the tcp workloads.
type rawDriver struct{}

func (rawDriver) thrRecv(ep string, size, count int, ready func()) (time.Duration, error) {
	l, err := net.Listen("tcp", ep)
	if err != nil {
		return 0, err
	}
	defer l.Close()
	ready()
	c, err := l.Accept()
	if err != nil {
		return 0, err
	}
	defer c.Close()
	buf := make([]byte, size)
	if _, err := io.ReadFull(c, buf); err != nil {
		return 0, err
	}
	start := time.Now()
	for i := 1; i < count; i++ {
		if _, err := io.ReadFull(c, buf); err != nil {
			return 0, fmt.Errorf("read %d: %w", i, err)
		}
	}
	return time.Since(start), nil
}

func (rawDriver) thrSend(ep string, size, count int, hold func()) error {
	c, err := net.Dial("tcp", ep)
	if err != nil {
		return err
	}
	buf := make([]byte, size)
	for i := 0; i < count; i++ {
		if _, err := c.Write(buf); err != nil {
			c.Close()
			return err
		}
	}
	hold()
	return c.Close()
}

func (rawDriver) latServe(ep string, size, count int, ready func()) error {
	return fmt.Errorf("raw: no latency workload")
}

func (rawDriver) latClient(ep string, size, count int) (time.Duration, error) {
	return 0, fmt.Errorf("raw: no latency workload")
}

func (rawDriver) term() error { return nil }
