package core

// pattern is a socket type's routing logic. Every method runs with the
// socket's mutex held.
type pattern interface {
	// attach adds a pipe whose connection is ready.
	attach(p *pipe)
	// detach removes a pipe whose connection is gone; input already
	// queued on it may still be received (see fq.remove).
	detach(p *pipe)
	// send routes m; ErrWouldBlock makes the caller wait and retry.
	send(m *Msg) error
	// recv fills m; ErrWouldBlock makes the caller wait and retry.
	recv(m *Msg) error
	hasIn() bool
	hasOut() bool
}

// subscriber is implemented by patterns with subscriptions.
type subscriber interface {
	subscribe(topic string, on bool) error
}

// reattacher is implemented by patterns that act when a persistent
// (connect-side) pipe gets a new connection, e.g. SUB re-sending its
// subscriptions.
type reattacher interface {
	reattached(p *pipe)
}

// patterns maps each implemented type to its constructor.
var patterns = map[SocketType]func(s *Socket) pattern{}

// lb load-balances outgoing messages round-robin over pipes with room.
type lb struct {
	pipes []*pipe
	next  int
}

func (l *lb) add(p *pipe) { l.pipes = append(l.pipes, p) }

func (l *lb) remove(p *pipe) {
	for i, x := range l.pipes {
		if x == p {
			l.pipes = append(l.pipes[:i], l.pipes[i+1:]...)
			if l.next > i {
				l.next--
			}
			if l.next >= len(l.pipes) {
				l.next = 0
			}
			return
		}
	}
}

// send pushes prefix+m's frames to the next pipe with room; ErrWouldBlock
// when every pipe is full or there is none.
func (l *lb) send(prefix [][]byte, m *Msg) (*pipe, error) {
	n := len(l.pipes)
	for i := 0; i < n; i++ {
		if l.next >= n {
			l.next = 0
		}
		p := l.pipes[l.next]
		l.next++
		if p.out.pushMsg(prefix, m, 0) {
			return p, nil
		}
	}
	return nil, ErrWouldBlock
}

func (l *lb) hasOut() bool {
	for _, p := range l.pipes {
		if !p.out.full() {
			return true
		}
	}
	return false
}

// fq fair-queues incoming messages from pipes, strictly round-robin one
// message per pipe as libzmq does. Each pipe's messages are taken from its
// queue in small batches (one lock per batch) into a per-pipe cache.
type fq struct {
	pipes []*pipe
	next  int
	dead  map[*pipe]bool
}

// A pipe's receive cache starts at fqBatch messages and doubles, up to
// fqBatchMax, each time a batch of messages of at most rcGrowBytes fills
// it: a busy pipe of small messages takes more per lock (fewer hand-offs
// with the producer); an idle pipe stays small, and so does one of large
// messages, whose buffers had better stay few enough to remain in cache.
const (
	fqBatch     = 16
	fqBatchMax  = 64
	rcGrowBytes = 4 << 10
)

func (f *fq) add(p *pipe) { f.pipes = append(f.pipes, p) }

// remove drops p now if it has nothing queued, else once it is drained.
func (f *fq) remove(p *pipe) {
	if p.hasIn() {
		if f.dead == nil {
			f.dead = map[*pipe]bool{}
		}
		f.dead[p] = true
		return
	}
	f.drop(p)
}

func (f *fq) drop(p *pipe) {
	delete(f.dead, p)
	for i, x := range f.pipes {
		if x == p {
			f.pipes = append(f.pipes[:i], f.pipes[i+1:]...)
			if f.next > i {
				f.next--
			}
			if f.next >= len(f.pipes) {
				f.next = 0
			}
			return
		}
	}
}

// recv takes the next message from the next pipe that has one.
func (f *fq) recv(m *Msg) (*pipe, error) {
	n := len(f.pipes)
	for i := 0; i < n && len(f.pipes) > 0; i++ {
		if f.next >= len(f.pipes) {
			f.next = 0
		}
		p := f.pipes[f.next]
		if p.recvOne(m) {
			f.next++
			return p, nil
		}
		if f.dead[p] {
			f.drop(p)
			i--
			n--
			continue
		}
		f.next++
	}
	return nil, ErrWouldBlock
}

func (f *fq) hasIn() bool {
	for _, p := range f.pipes {
		if p.hasIn() {
			return true
		}
	}
	return false
}
