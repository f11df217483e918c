package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	start := time.Now()
	if err := run(&out); err != nil {
		t.Fatalf("run: %v\noutput so far:\n%s", err, out.String())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("run took %v, want a couple of seconds at most", d)
	}
	got := out.String()
	t.Logf("output:\n%s", got)

	for _, want := range []string{
		"== REQ/REP over tcp\n",
		`request "hello" -> reply "HELLO"` + "\n",
		`request "zero" -> reply "ZERO"` + "\n",
		`request "mq" -> reply "MQ"` + "\n",
		"== PUSH/PULL fan-out over inproc\n",
		"worker-1 got 3 tasks, worker-2 got 3 tasks\n",
		"== PUB/SUB with topic filtering over ipc\n",
		"received weather.paris: 18C, cloudy\nreceived weather.oslo: 9C, rain\n",
		"== DEALER/ROUTER with identities over tcp\n",
		`router got "hello from alice" from id "alice"` + "\nalice got \"welcome, alice\"\n",
		`router got "hello from bob" from id "bob"` + "\nbob got \"welcome, bob\"\n",
		`send to unknown id "carol": host unreachable = true` + "\n",
		"== done\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// Topic filtering: nothing but weather reaches the subscriber.
	for _, unwanted := range []string{"sports", "news", "weather.hello", "weather.done"} {
		if strings.Contains(got, "received "+unwanted) {
			t.Errorf("subscriber received %q", unwanted)
		}
	}
	// Round robin: the two workers alternate.
	var workers []string
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(line, "task-") {
			_, w, _ := strings.Cut(line, " -> ")
			workers = append(workers, w)
		}
	}
	if len(workers) != 6 {
		t.Fatalf("got %d task lines, want 6", len(workers))
	}
	for i := 1; i < len(workers); i++ {
		if workers[i] == workers[i-1] {
			t.Errorf("tasks %d and %d both went to %s; want round robin", i, i+1, workers[i])
		}
	}
}
