// Command idlepeers measures what idle ZMTP peers cost a ROUTER: it runs
// the ROUTER in a child process (zmqkit's, and libzmq's through cgo),
// connects N raw TCP peers that do a ZMTP 3.1 NULL handshake, and reports
// the child's RSS, goroutines (libzmq: threads) and Go heap per peer, first
// right after the handshakes, then after every peer sent one message and
// got one reply (buffers taken while data flows must be given back).
//
//	go run ./cmd/idlepeers -n 10000
//	go run ./cmd/idlepeers -n 500 -libs zmqkit
//
// With -heartbeat IVL the ROUTER sends a PING every IVL to each peer (the
// peers never answer; the timeout is an hour), so the figures include what
// heartbeats cost an idle connection.
//
//	go run ./cmd/idlepeers -n 10000 -heartbeat 1s
//
// Only the server side is measured: each figure is the child's after the
// peers connected minus before, over N. Each peer costs two descriptors on
// one host, so both processes raise RLIMIT_NOFILE to its hard limit.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	childEnv     = "ZMQKIT_IDLEPEERS_CHILD"
	heartbeatEnv = "ZMQKIT_IDLEPEERS_HEARTBEAT" // the child's HEARTBEAT_IVL (a Go duration)
)

// heartbeat is the ROUTER's HEARTBEAT_IVL in the child (0: none); its
// HEARTBEAT_TIMEOUT is an hour, as the peers never answer.
func heartbeat() time.Duration {
	d, _ := time.ParseDuration(os.Getenv(heartbeatEnv))
	return d
}

const heartbeatTimeout = time.Hour

// server is a ROUTER in the child: bind returns its endpoint, echo
// receives n messages and sends each back to its peer.
type server interface {
	bind() (string, error)
	echo(n int) error
	close()
}

// servers by library name (lib_*.go).
var servers = map[string]func() server{}

func main() {
	if lib := os.Getenv(childEnv); lib != "" {
		os.Exit(childMain(lib, os.Stdin, os.Stdout))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func raiseFDLimit() {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil && rl.Cur < rl.Max {
		rl.Cur = rl.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
}

// figures are one measurement of the child.
type figures struct {
	rss, heap        int64
	goroutines, thrs int
}

func parseFigures(line string) (figures, error) {
	var f figures
	_, err := fmt.Sscanf(strings.TrimSpace(line), "rss=%d heap=%d goroutines=%d threads=%d", &f.rss, &f.heap, &f.goroutines, &f.thrs)
	return f, err
}

// result is one library's costs per peer.
type result struct {
	lib                 string
	n                   int
	idle, after         figures // deltas over the baseline
	rssIdle, rssAfter   float64 // octets per peer
	heapIdle, heapAfter float64
	goroIdle, thrIdle   float64
	goroAfter, thrAfter float64
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("idlepeers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 10000, "idle peers")
	libs := fs.String("libs", "zmqkit,libzmq", "ROUTERs to measure (zmqkit, libzmq)")
	hb := fs.Duration("heartbeat", 0, "the ROUTER's HEARTBEAT_IVL (0: no heartbeats)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	raiseFDLimit()
	fmt.Fprintf(stdout, "| ROUTER | peers | RSS/peer idle | RSS/peer after data | goroutines/peer | threads/peer | Go heap/peer idle | Go heap/peer after data |\n")
	fmt.Fprintf(stdout, "|---|---|---|---|---|---|---|---|\n")
	for _, lib := range strings.Split(*libs, ",") {
		if servers[lib] == nil {
			fmt.Fprintf(stderr, "idlepeers: library %q is not built in\n", lib)
			return 2
		}
		r, err := measure(lib, *n, *hb)
		if err != nil {
			fmt.Fprintf(stderr, "idlepeers: %s: %v\n", lib, err)
			return 1
		}
		fmt.Fprintf(stdout, "| %s | %d | %.1f kB | %.1f kB | %.2f | %.4f | %.1f KiB | %.1f KiB |\n", lib, r.n,
			r.rssIdle/1000, r.rssAfter/1000, r.goroAfter, r.thrAfter, r.heapIdle/1024, r.heapAfter/1024)
	}
	return 0
}

// measure runs lib's ROUTER in a child and n peers against it.
func measure(lib string, n int, hb time.Duration) (result, error) {
	res := result{lib: lib, n: n}
	exe, err := os.Executable()
	if err != nil {
		return res, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+lib, heartbeatEnv+"="+hb.String())
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return res, err
	}
	outp, err := cmd.StdoutPipe()
	if err != nil {
		return res, err
	}
	if err := cmd.Start(); err != nil {
		return res, err
	}
	defer func() {
		in.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}()
	out := bufio.NewReader(outp)
	ask := func(line string) (string, error) {
		if _, err := fmt.Fprintln(in, line); err != nil {
			return "", err
		}
		s, err := out.ReadString('\n')
		if err != nil {
			return "", fmt.Errorf("child: %w", err)
		}
		if strings.HasPrefix(s, "error ") {
			return "", fmt.Errorf("child: %s", strings.TrimSpace(s[6:]))
		}
		return strings.TrimSpace(s), nil
	}
	ep, err := ask("bind")
	if err != nil {
		return res, err
	}
	s, err := ask("measure")
	if err != nil {
		return res, err
	}
	base, err := parseFigures(s)
	if err != nil {
		return res, err
	}
	conns, err := connectPeers(strings.TrimPrefix(ep, "tcp://"), n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	if err != nil {
		return res, err
	}
	if s, err = ask("measure"); err != nil {
		return res, err
	}
	idle, err := parseFigures(s)
	if err != nil {
		return res, err
	}
	// one message each way
	for i, c := range conns {
		if _, err := c.Write(frame(0, []byte("ping "+strconv.Itoa(i)))); err != nil {
			return res, err
		}
	}
	if _, err := ask("echo " + strconv.Itoa(n)); err != nil {
		return res, err
	}
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		fl, body, err := readFrame(c)
		for err == nil && fl&0x04 != 0 { // PINGs (-heartbeat)
			fl, body, err = readFrame(c)
		}
		if err != nil || string(body) != "ping "+strconv.Itoa(i) {
			return res, fmt.Errorf("peer %d: reply %q, %v", i, body, err)
		}
	}
	if s, err = ask("measure"); err != nil {
		return res, err
	}
	after, err := parseFigures(s)
	if err != nil {
		return res, err
	}
	per := func(a, b int64) float64 { return float64(a-b) / float64(n) }
	res.rssIdle, res.rssAfter = per(idle.rss, base.rss), per(after.rss, base.rss)
	res.heapIdle, res.heapAfter = per(idle.heap, base.heap), per(after.heap, base.heap)
	res.goroIdle = per(int64(idle.goroutines), int64(base.goroutines))
	res.goroAfter = per(int64(after.goroutines), int64(base.goroutines))
	res.thrIdle = per(int64(idle.thrs), int64(base.thrs))
	res.thrAfter = per(int64(after.thrs), int64(base.thrs))
	res.idle, res.after = idle, after
	return res, nil
}

// connectPeers opens n connections and does a ZMTP 3.1 NULL handshake
// as a DEALER on each (all greetings first, then all replies).
func connectPeers(addr string, n int) ([]net.Conn, error) {
	conns := make([]net.Conn, 0, n)
	hello := append(greeting(), ready("DEALER")...)
	for i := 0; i < n; i++ {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			return conns, fmt.Errorf("peer %d: %w", i, err)
		}
		conns = append(conns, c)
		if _, err := c.Write(hello); err != nil {
			return conns, err
		}
	}
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		var g [64]byte
		if _, err := io.ReadFull(c, g[:]); err != nil {
			return conns, fmt.Errorf("peer %d greeting: %w", i, err)
		}
		fl, _, err := readFrame(c)
		if err != nil || fl != 0x04 {
			return conns, fmt.Errorf("peer %d READY: flags %#x, %v", i, fl, err)
		}
	}
	return conns, nil
}

func greeting() []byte {
	g := make([]byte, 64)
	g[0], g[9], g[10], g[11] = 0xFF, 0x7F, 3, 1
	copy(g[12:], "NULL")
	return g
}

func ready(socketType string) []byte {
	body := append([]byte{5}, "READY"...)
	body = append(body, byte(len("Socket-Type")))
	body = append(body, "Socket-Type"...)
	body = append(body, 0, 0, 0, byte(len(socketType)))
	body = append(body, socketType...)
	return frame(0x04, body)
}

func frame(flags byte, body []byte) []byte {
	return append([]byte{flags, byte(len(body))}, body...) // bodies here are short
}

// readFrame reads one short frame.
func readFrame(c net.Conn) (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(c, h[:]); err != nil {
		return 0, nil, err
	}
	if h[0]&0x02 != 0 {
		return 0, nil, fmt.Errorf("long frame")
	}
	b := make([]byte, h[1])
	_, err := io.ReadFull(c, b)
	return h[0], b, err
}
