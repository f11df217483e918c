package auth_test

import (
	"context"
	"fmt"

	"github.com/zmqkit/zmqkit/auth"
	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/curve"
	_ "github.com/zmqkit/zmqkit/plugins/tcp"
)

// A CURVE server that accepts only the clients whose public keys its
// authenticator knows; the client's key is the User-Id of its messages.
func Example() {
	ctx := core.NewContext()
	defer ctx.Term()

	a, _ := auth.New(ctx) // the ZAP handler at inproc://zeromq.zap.01
	defer a.Close()
	server, _ := curve.NewKeyPair()
	client, _ := curve.NewKeyPair()
	a.AllowCurveKeys(auth.AnyDomain, client.PublicZ85())

	pull, _ := ctx.NewSocket(core.PULL, core.WithLinger(0), core.WithMechanism(curve.ServerKeys(server)))
	defer pull.Close()
	pull.Bind("tcp://127.0.0.1:*")

	push, _ := ctx.NewSocket(core.PUSH, core.WithLinger(0),
		core.WithMechanism(curve.Client(server.Public[:], []byte(client.PublicZ85()), []byte(client.SecretZ85()))))
	defer push.Close()
	push.Connect(pull.LastEndpoint())

	push.Send(context.Background(), core.NewMsgString("secret"))
	m, _ := pull.Recv(context.Background())
	uid, _ := m.Property("User-Id")
	fmt.Println(string(m.Frames[0]), uid == client.PublicZ85())
	// Output: secret true
}
