package wire

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// Every field of transport.Event crosses the boundary (through JSON, as
// on the side channel and in replies): a field added to the event and
// forgotten here fails this test. EventDataLost's Value (pgm) was once
// dropped.
func TestEventRoundTrip(t *testing.T) {
	var e transport.Event
	v := reflect.ValueOf(&e).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString("s-" + v.Type().Field(i).Name)
		case reflect.Int, reflect.Int64:
			f.SetInt(int64(100 + i))
		case reflect.Uint32, reflect.Uint64:
			f.SetUint(uint64(200 + i))
		case reflect.Interface:
			f.Set(reflect.ValueOf(errors.New("some failure")))
		default:
			t.Fatalf("field %s of kind %v: extend this test", v.Type().Field(i).Name, f.Kind())
		}
	}
	b, err := json.Marshal(FromEvent(e))
	if err != nil {
		t.Fatal(err)
	}
	var w Event
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	got := w.ToEvent()
	if got.Err == nil || got.Err.Error() != e.Err.Error() {
		t.Errorf("Err %v, want %v", got.Err, e.Err)
	}
	got.Err, e.Err = nil, nil
	if got != e {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, e)
	}
}
