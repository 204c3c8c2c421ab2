package collect

import (
	"errors"
	"net/netip"
	"testing"

	ct "github.com/flowsense/flowsense/collect/collecttest"
)

// TestSystemInitFloodIsBounded: one exporter walks through observation
// domains, each message holding an options template, its systemInitTime
// record and the template's withdrawal. The templates never exceed the
// limits, but the remembered init times must not grow with the domains
// either: they are bounded by the exporter's template limit, and an honest
// domain's time base survives the flood.
func TestSystemInitFloodIsBounded(t *testing.T) {
	lim := Limits{MaxExporters: 4, MaxTemplates: 64, MaxFields: 1024}
	d := NewDecoder(lim)
	from := netip.MustParseAddrPort("192.0.2.9:4739")
	// an honest domain 1: its init time and a data template it keeps
	honest := append(ipfixInit(secs*1000-uptime), ct.Set(2, ct.Template(300, ct.FlowFields)))
	if _, err := d.Decode(from, ct.IPFIX(secs, 1, 1, honest...), nil); err != nil {
		t.Fatal(err)
	}
	const domains = 20000
	for dom := uint32(2); dom < domains; dom++ {
		sets := append(ipfixInit(uint64(dom)), ct.Set(2, ct.Template(256, nil)))
		if _, err := d.Decode(from, ct.IPFIX(secs, dom, dom, sets...), nil); err != nil && !errors.Is(err, ErrTemplateLimit) {
			t.Fatalf("domain %d: %v", dom, err)
		}
	}
	x := d.exporters[from]
	if len(x.sysInit) > lim.MaxTemplates {
		t.Errorf("%d init times remembered after %d domains, more than the %d templates an exporter may hold", len(x.sysInit), domains, lim.MaxTemplates)
	}
	fl, err := d.Decode(from, ct.IPFIX(secs, 1, 1, ct.Set(300, ct.Records(twoWay))), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkTwoWay(t, fl, 10)
}
