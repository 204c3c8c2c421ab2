package cloudevents

import (
	"net/netip"
	"regexp"
	"testing"
	"time"

	"github.com/flowsense/flowsense/model"
)

var hex16 = regexp.MustCompile(`^[0-9a-f]{16}$`)

func TestParseFlowID(t *testing.T) {
	src, dst, sp, dp, pr, ok := ParseFlowID("192.168.10.5-104.16.207.165-54865-443-6")
	if !ok || src != netip.MustParseAddr("192.168.10.5") || dst != netip.MustParseAddr("104.16.207.165") || sp != 54865 || dp != 443 || pr != 6 {
		t.Errorf("got %v %v %d %d %d %v", src, dst, sp, dp, pr, ok)
	}
	if _, _, _, _, _, ok := ParseFlowID("fe80::1-2001:db8::2-5353-5353-17"); !ok {
		t.Error("IPv6 flow id refused")
	}
	for _, id := range []string{"", "flow-3", "1.2.3.4-5.6.7.8-1-2", "1.2.3.4-5.6.7.8-1-2-6-7", "1.2.3.4-5.6.7.8-65536-2-6",
		"1.2.3.4-5.6.7.8-1-2-256", "1.2.3.4-x-1-2-6", "1.2.3.4-5.6.7.8--1-2-6", "1.2.3.4-5.6.7.8-1-2- 6"} {
		if _, _, _, _, _, ok := ParseFlowID(id); ok {
			t.Errorf("%q read as a flow id", id)
		}
	}
}

func TestFlowPartitionKey(t *testing.T) {
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	k := FlowPartitionKey(a, 40000, b, 443, 6)
	if !hex16.MatchString(k) {
		t.Fatalf("key %q is not 16 hex digits", k)
	}
	if r := FlowPartitionKey(b, 443, a, 40000, 6); r != k {
		t.Errorf("the reverse direction has key %s, want %s", r, k)
	}
	if m := FlowPartitionKey(netip.MustParseAddr("::ffff:10.0.0.1"), 40000, b, 443, 6); m != k {
		t.Errorf("a v4-mapped address has key %s, want %s", m, k)
	}
	others := []string{
		FlowPartitionKey(a, 40001, b, 443, 6), FlowPartitionKey(a, 40000, b, 443, 17),
		FlowPartitionKey(a, 443, b, 40000, 6), FlowPartitionKey(a, 40000, netip.MustParseAddr("10.0.0.3"), 443, 6),
	}
	for i, o := range others {
		if o == k {
			t.Errorf("other flow %d has the same key %s", i, k)
		}
	}
}

func TestReplyPartitionKey(t *testing.T) {
	res := []Classification{Classify([]string{"BENIGN"}, 0, []float64{1}, 0, model.Benign, ModelRef{Name: "m"})}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	flowID := "10.0.0.2-10.0.0.1-443-40000-6"
	want := FlowPartitionKey(netip.MustParseAddr("10.0.0.1"), 40000, netip.MustParseAddr("10.0.0.2"), 443, 6)
	cases := map[string]struct {
		subject, key string // of the request
		want         string // "" : no extension
	}{
		"flow id subject":     {subject: flowID, want: want},
		"request's own key":   {subject: flowID, key: "sensor-7", want: "sensor-7"},
		"key without subject": {key: "k1", want: "k1"},
		"subject not a flow":  {subject: "flow-3"},
		"no subject, no key":  {},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			in := flowEvent("in-1", `{}`)
			if c.subject != "" {
				in.SetSubject(c.subject)
			}
			if c.key != "" {
				in.SetExtension(ExtPartitionKey, c.key)
			}
			out, err := Reply(&in, "/fn", res, true, now)
			if err != nil {
				t.Fatal(err)
			}
			got, has := out.Extensions()[ExtPartitionKey]
			if c.want == "" {
				if has {
					t.Errorf("partitionkey %v, want none", got)
				}
				return
			}
			if got != c.want {
				t.Errorf("partitionkey %v, want %s", got, c.want)
			}
		})
	}
}

// FuzzParseFlowID: any subject; a flow id that reads also prints back
// as a flow id with the same key, and never a panic.
func FuzzParseFlowID(f *testing.F) {
	for _, s := range []string{"192.168.10.5-104.16.207.165-54865-443-6", "fe80::1-2001:db8::2-5353-5353-17", "flow-3", "", "----", "1.2.3.4-5.6.7.8-0-0-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		src, dst, sp, dp, pr, ok := ParseFlowID(id)
		if !ok {
			return
		}
		k := FlowPartitionKey(src, sp, dst, dp, pr)
		if !hex16.MatchString(k) || FlowPartitionKey(dst, dp, src, sp, pr) != k {
			t.Fatalf("%q: key %q, or not the same both ways", id, k)
		}
	})
}
