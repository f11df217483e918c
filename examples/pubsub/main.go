// Command pubsub shows publish/subscribe with topic filtering over tcp:
// one publisher, two subscribers interested in different topics.
//
//	go run ./examples/pubsub
//
// A PUB socket drops messages for subscribers whose subscriptions have not
// reached it yet (the "slow joiner" problem). This example publishes with
// an XPUB socket, which is a PUB that also hands the application the
// subscriptions it receives, so the publisher can wait until both
// subscribers are listening before it publishes anything.
package main

import (
	"context"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/tcp" // only the transport we use
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	zctx := core.NewContext()
	defer zctx.Term()

	// XPUB_VERBOSE: report every subscription, even to a topic another
	// subscriber already has.
	pub, err := zctx.NewSocket(core.XPUB, core.WithXPubVerbose(true))
	if err != nil {
		log.Fatal(err)
	}
	if err := pub.Bind("tcp://127.0.0.1:*"); err != nil {
		log.Fatal(err)
	}

	subscribers := []struct{ name, topic string }{{"alice", "stocks."}, {"bob", "weather."}}
	received := make([][]string, len(subscribers))
	var wg sync.WaitGroup
	for i, s := range subscribers {
		// Every subscriber also subscribes to "end", the last message.
		sub, err := zctx.NewSocket(core.SUB, core.WithSubscribe(s.topic), core.WithSubscribe("end"))
		if err != nil {
			log.Fatal(err)
		}
		if err := sub.Connect(pub.LastEndpoint()); err != nil {
			log.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				m, err := sub.Recv(ctx)
				if err != nil {
					log.Fatalf("%s: %v", s.name, err)
				}
				if string(m.Frames[0]) == "end" {
					return
				}
				received[i] = append(received[i], fmt.Sprintf("%s %s", m.Frames[0], m.Frames[1]))
			}
		}()
	}

	// An XPUB receives each subscription as a message: byte 1, then the
	// topic. Two subscribers with two topics each make four.
	for n := 0; n < 2*len(subscribers); {
		m, err := pub.Recv(ctx)
		if err != nil {
			log.Fatal("waiting for subscribers: ", err)
		}
		if f := m.Frames[0]; len(f) > 0 && f[0] == 1 {
			n++
		}
	}
	fmt.Println("publisher: both subscribers are listening")

	updates := [][2]string{
		{"stocks.ACME", "101.5"},
		{"weather.paris", "18C cloudy"},
		{"sports.tennis", "6-4 6-3"}, // nobody subscribed: dropped by the publisher
		{"stocks.INITECH", "12.25"},
		{"weather.oslo", "9C rain"},
		{"end", ""},
	}
	for _, u := range updates {
		if err := pub.SendString(ctx, u[0], u[1]); err != nil {
			log.Fatal(err)
		}
	}
	wg.Wait()
	for i, s := range subscribers {
		fmt.Printf("%s (subscribed to %q) received:\n", s.name, s.topic)
		for _, line := range received[i] {
			fmt.Println("   ", line)
		}
	}
}
