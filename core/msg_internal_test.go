package core

import "testing"

// "Routing-Id" and "Identity" stand for each other, whichever the peer's
// metadata carried; other names have no alias.
func TestPropertiesRoutingIDAliases(t *testing.T) {
	for _, stored := range []string{"Identity", "Routing-Id"} {
		p := &Properties{}
		p.set(stored, "w7")
		p.set("Socket-Type", "DEALER")
		for _, name := range []string{"Identity", "Routing-Id"} {
			if v, ok := p.Get(name); !ok || v != "w7" {
				t.Errorf("stored %s: Get(%q) = %q, %v", stored, name, v, ok)
			}
		}
		if _, ok := p.Get("socket-type"); ok {
			t.Errorf("stored %s: names are case-sensitive", stored)
		}
	}
	var none *Properties
	if _, ok := none.Get("Identity"); ok {
		t.Error("nil Properties has Identity")
	}
	if _, ok := (&Properties{}).Get("Routing-Id"); ok {
		t.Error("empty Properties has Routing-Id")
	}
}
