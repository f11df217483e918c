package adapter

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// Option names, as core.WithTransportOption carries them (libzmq's names
// without ZMQ_).
const (
	OptBufferSize     = "VMCI_BUFFER_SIZE"     // ZMQ_VMCI_BUFFER_SIZE (85)
	OptBufferMinSize  = "VMCI_BUFFER_MIN_SIZE" // ZMQ_VMCI_BUFFER_MIN_SIZE (86)
	OptBufferMaxSize  = "VMCI_BUFFER_MAX_SIZE" // ZMQ_VMCI_BUFFER_MAX_SIZE (87)
	OptConnectTimeout = "VMCI_CONNECT_TIMEOUT" // ZMQ_VMCI_CONNECT_TIMEOUT (88)
	// OptHybridUDS selects the host side of Firecracker's hybrid vsock:
	// the value is the path of the VM's vsock Unix socket (zmqkit's own).
	OptHybridUDS = "VMCI_HYBRID_UDS"
)

// optionPrefix marks the options this transport reads: an unknown name
// with this prefix is a mistake worth an error.
const optionPrefix = "VMCI_"

// Options are what Config.Extra carries for this transport.
type Options struct {
	SockOpts
	HybridUDS string // OptHybridUDS: use Hybrid(HybridUDS) as the socket layer
}

// ParseOptions reads the transport's options from extra. Errors wrap
// transport.ErrInvalidEndpoint (EINVAL) and name the option.
func ParseOptions(extra map[string]any) (Options, error) {
	var o Options
	names := make([]string, 0, len(extra))
	for name := range extra {
		if strings.HasPrefix(name, optionPrefix) {
			names = append(names, name)
		}
	}
	sort.Strings(names) // the same error for the same options
	for _, name := range names {
		v := extra[name]
		var err error
		switch name {
		case OptBufferSize:
			o.BufferSize, err = size(v)
		case OptBufferMinSize:
			o.BufferMinSize, err = size(v)
		case OptBufferMaxSize:
			o.BufferMaxSize, err = size(v)
		case OptConnectTimeout:
			o.ConnectTimeout, err = timeout(v)
		case OptHybridUDS:
			p, ok := v.(string)
			if !ok || p == "" {
				err = fmt.Errorf("want the path of the VM's vsock Unix socket, got %T %v", v, v)
			}
			o.HybridUDS = p
		default:
			err = fmt.Errorf("unknown option (known: %s, %s, %s, %s, %s)",
				OptBufferSize, OptBufferMinSize, OptBufferMaxSize, OptConnectTimeout, OptHybridUDS)
		}
		if err != nil {
			return Options{}, fmt.Errorf("%w: %s: %w", transport.ErrInvalidEndpoint, name, err)
		}
	}
	return o, nil
}

// integer returns v as an int64 if it is an integer of any Go type.
func integer(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint:
		return clampU(uint64(x)), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return clampU(x), true
	}
	return 0, false
}

func clampU(x uint64) int64 {
	if x > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(x)
}

// size reads a buffer size in bytes (libzmq: uint64; 0 leaves the kernel
// default).
func size(v any) (uint64, error) {
	if u, ok := v.(uint64); ok {
		return u, nil
	}
	n, ok := integer(v)
	if !ok || n < 0 {
		return 0, fmt.Errorf("want a size in bytes (uint64), got %T %v", v, v)
	}
	return uint64(n), nil
}

// timeout reads the connect timeout: a time.Duration, or an integer
// number of milliseconds as libzmq takes it; -1 (or any value <= 0)
// leaves the kernel default.
func timeout(v any) (time.Duration, error) {
	if d, ok := v.(time.Duration); ok {
		if d < 0 {
			d = 0
		}
		return d, nil
	}
	n, ok := integer(v)
	if !ok || n < -1 {
		return 0, fmt.Errorf("want a time.Duration or milliseconds (-1: kernel default), got %T %v", v, v)
	}
	if n <= 0 {
		return 0, nil
	}
	if n > math.MaxInt64/int64(time.Millisecond) {
		n = math.MaxInt64 / int64(time.Millisecond)
	}
	return time.Duration(n) * time.Millisecond, nil
}
