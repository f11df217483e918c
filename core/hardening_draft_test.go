package core_test

import (
	"context"
	"errors"
	"testing"

	"github.com/zmqkit/zmqkit/core"
)

// The draft types that carry single-frame messages refuse a frame sent
// with more=true at once (libzmq: zmq_send with ZMQ_SNDMORE fails with
// EINVAL), not only when the message is completed. Types that can not send
// at all refuse the first frame with ErrNotSupported (ENOTSUP), as libzmq's
// xsend does frame by frame.
func TestDraftSendFrameMoreRejected(t *testing.T) {
	zc := core.NewContext()
	defer zc.Term()
	for _, tc := range []struct {
		typ  core.SocketType
		want error
	}{
		{core.SERVER, core.ErrInvalid}, {core.CLIENT, core.ErrInvalid}, {core.RADIO, core.ErrInvalid},
		{core.SCATTER, core.ErrInvalid}, {core.PEER, core.ErrInvalid}, {core.CHANNEL, core.ErrInvalid},
		{core.DISH, core.ErrNotSupported}, {core.GATHER, core.ErrNotSupported},
		{core.PULL, core.ErrNotSupported}, {core.SUB, core.ErrNotSupported},
	} {
		s, err := zc.NewSocket(tc.typ, core.WithLinger(0))
		if err != nil {
			t.Fatal(err)
		}
		err = s.SendFrame(context.Background(), []byte("part"), true)
		if !errors.Is(err, tc.want) {
			t.Errorf("%v: SendFrame(more=true) = %v, want %v", tc.typ, err, tc.want)
		}
		s.Close()
	}
}
