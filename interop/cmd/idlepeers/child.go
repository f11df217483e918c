package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// childMain serves the driver's commands on in, one line each: bind,
// measure, echo N, answering one line each on out.
func childMain(lib string, in io.Reader, out io.Writer) int {
	raiseFDLimit()
	srv := servers[lib]()
	defer srv.close()
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		cmd := strings.Fields(sc.Text())
		if len(cmd) == 0 {
			continue
		}
		switch cmd[0] {
		case "bind":
			ep, err := srv.bind()
			if err != nil {
				fmt.Fprintf(out, "error %v\n", err)
				continue
			}
			fmt.Fprintln(out, ep)
		case "measure":
			// let connections settle (writers finish, threads park)
			time.Sleep(time.Second)
			runtime.GC()
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			rss, thr := procStatus()
			fmt.Fprintf(out, "rss=%d heap=%d goroutines=%d threads=%d\n", rss, ms.HeapAlloc, runtime.NumGoroutine(), thr)
		case "echo":
			n, _ := strconv.Atoi(cmd[1])
			if err := srv.echo(n); err != nil {
				fmt.Fprintf(out, "error %v\n", err)
				continue
			}
			fmt.Fprintln(out, "ok")
		}
	}
	return 0
}

// procStatus returns VmRSS in octets and the number of threads.
func procStatus() (rss int64, threads int) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			rss = kb << 10
		case "Threads:":
			threads, _ = strconv.Atoi(f[1])
		}
	}
	return rss, threads
}
