// Package pgmtest builds the test rig of the pgm and epgm transports: two
// Linux network namespaces joined by a veth pair, so that a publisher and
// its subscribers run on "two hosts" on one machine (libzmq turns PGM's
// multicast loopback off, and so does zmqkit, so one host cannot talk to
// itself), with packet loss on demand (nftables).
//
// It needs root (or CAP_SYS_ADMIN and CAP_NET_ADMIN) and iproute2's ip;
// loss needs nftables' nft. Where they are missing, NewRig skips the test
// with the reason, except under CI=true, where it fails.
//
// Code runs in a namespace in two ways: Do runs a function on an OS thread
// switched into the namespace (sockets, and threads a C library starts,
// belong to the namespace they are created in), and Command runs a program
// there (ip netns exec).
package pgmtest

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Rig is two network namespaces joined by a veth pair, addressed
// 192.0.2.1/24 and 192.0.2.2/24 (a documentation range, RFC 5737), with
// multicast routed onto the pair.
type Rig struct {
	NS    [2]string     // namespace names
	Dev   [2]string     // the veth end in each
	Addr  [2]netip.Addr // its address
	Group netip.Addr    // an organisation-local group (239.192.0.0/14) for the test
}

var seq atomic.Uint32

// Available reports whether rigs can be built here, and why not.
func Available() error {
	if runtime.GOOS != "linux" {
		return errors.New("network namespaces are Linux only")
	}
	if os.Geteuid() != 0 {
		return errors.New("not root: creating network namespaces needs CAP_SYS_ADMIN")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return errors.New("iproute2's ip is not installed")
	}
	return nil
}

// skip skips t with the reason, or fails it under CI=true.
func skip(t testing.TB, why error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("pgmtest: %v (CI=true: the namespace tests must run)", why)
	}
	t.Skipf("pgmtest: %v", why)
}

// NewRig builds a rig and removes it when the test ends (even when it
// fails). Namespace names are unique: zkpgm-PID-N-a and -b.
func NewRig(t testing.TB) *Rig {
	t.Helper()
	if err := Available(); err != nil {
		skip(t, err)
	}
	r, err := Build()
	if r != nil {
		t.Cleanup(func() {
			if err := r.Remove(); err != nil {
				t.Errorf("pgmtest: removing the rig: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatalf("pgmtest: %v", err)
	}
	return r
}

// Build builds a rig outside a test (a demo program): the caller removes
// it with Remove, which Build does itself when it fails half-way.
func Build() (*Rig, error) {
	if err := Available(); err != nil {
		return nil, fmt.Errorf("pgmtest: %w", err)
	}
	sweep()
	n := seq.Add(1)
	base := fmt.Sprintf("zkpgm-%d-%d", os.Getpid(), n)
	r := &Rig{
		NS:    [2]string{base + "-a", base + "-b"},
		Dev:   [2]string{"zkveth0", "zkveth1"},
		Addr:  [2]netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")},
		Group: netip.AddrFrom4([4]byte{239, 192, byte(os.Getpid() % 200), byte(n)}),
	}
	if err := r.build(); err != nil {
		if rerr := r.Remove(); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return nil, fmt.Errorf("pgmtest: building the rig: %w", err)
	}
	return r, nil
}

// sweep removes the namespaces of test processes that died without
// cleaning up (killed by a timeout).
func sweep() {
	ents, err := os.ReadDir("/var/run/netns")
	if err != nil {
		return
	}
	for _, e := range ents {
		var pid, n int
		var side string
		if _, err := fmt.Sscanf(e.Name(), "zkpgm-%d-%d-%s", &pid, &n, &side); err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			continue // alive
		}
		_ = run("ip", "netns", "del", e.Name())
	}
}

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

func (r *Rig) build() error {
	for _, ns := range r.NS {
		if err := run("ip", "netns", "add", ns); err != nil {
			return err
		}
	}
	// both ends are created in their namespaces: nothing touches the host's
	if err := run("ip", "link", "add", r.Dev[0], "netns", r.NS[0], "type", "veth",
		"peer", "name", r.Dev[1], "netns", r.NS[1]); err != nil {
		return err
	}
	for i, ns := range r.NS {
		for _, args := range [][]string{
			{"link", "set", "lo", "up"},
			{"link", "set", r.Dev[i], "up", "multicast", "on"},
			{"addr", "add", r.Addr[i].String() + "/24", "dev", r.Dev[i]},
			{"route", "add", "224.0.0.0/4", "dev", r.Dev[i]},
		} {
			if err := run("ip", append([]string{"-n", ns}, args...)...); err != nil {
				return err
			}
		}
	}
	return r.waitUp()
}

// waitUp waits until both ends of the veth pair are operationally up.
// Until the kernel's link watcher has seen the carrier (deferred work,
// rate-limited to one run a second when links change often, as when
// tests build rigs back to back), a device sends through a qdisc that
// drops everything: a publisher's first packets would vanish, and a
// subscriber joins a stream after its start without repairing what came
// before (RFC 3208's late join), as TestPubSubAcrossRig saw under load.
func (r *Rig) waitUp() error {
	deadline := time.Now().Add(5 * time.Second)
	for i, ns := range r.NS {
		for {
			out, err := exec.Command("ip", "-n", ns, "-o", "link", "show", "dev", r.Dev[i]).CombinedOutput()
			if err != nil {
				return fmt.Errorf("ip -n %s link show dev %s: %w: %s", ns, r.Dev[i], err, bytes.TrimSpace(out))
			}
			if bytes.Contains(out, []byte(" state UP ")) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("pgmtest: %s in %s is not up after 5 s: %s", r.Dev[i], ns, bytes.TrimSpace(out))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}

// Remove deletes the namespaces (and with them the veth pair). It is safe
// to call more than once.
func (r *Rig) Remove() error {
	var errs []error
	for _, ns := range r.NS {
		if _, err := os.Stat("/var/run/netns/" + ns); err != nil {
			continue
		}
		if err := run("ip", "netns", "del", ns); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Endpoint is the endpoint of side i for scheme ("epgm" or "pgm") and
// port: its own address as the interface, the rig's group.
func (r *Rig) Endpoint(i int, scheme string, port int) string {
	return fmt.Sprintf("%s://%s;%s:%d", scheme, r.Addr[i], r.Group, port)
}

// Command returns cmd to run inside namespace i.
func (r *Rig) Command(i int, name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", r.NS[i], name}, args...)...)
}

// Loss makes side i drop percent % of the PGM packets it receives (UDP for
// epgm, IP protocol 113 for pgm), at random, with nftables; 0 removes the
// rule.
func (r *Rig) Loss(i, percent int) error {
	if _, err := exec.LookPath("nft"); err != nil {
		return errors.New("nftables' nft is not installed")
	}
	ns := r.NS[i]
	_ = run("ip", "netns", "exec", ns, "nft", "delete", "table", "inet", "zkloss")
	if percent <= 0 {
		return nil
	}
	match := fmt.Sprintf("numgen random mod 100 < %d ", percent)
	if percent >= 100 {
		match = ""
	}
	rules := fmt.Sprintf(`table inet zkloss {
	chain in {
		type filter hook input priority 0; policy accept;
		meta l4proto { udp, 113 } %sdrop
	}
}
`, match)
	cmd := exec.Command("ip", "netns", "exec", ns, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft: %w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}
