//go:build browser && realdata

package web_test

import (
	"path/filepath"
	"testing"

	"github.com/flowsense/flowsense/internal/realdata"
)

// TestCaptureRealDataInChromium: every capture of the shared datasets
// (the pairs' captures and the plain attack captures: pcap and pcapng,
// one gzip-compressed, 37,841 packets and 37,669 flows of a spoofed SYN
// flood) extracted and classified in the browser as flowsense extract and
// the Go classifier do, none of it sent anywhere.
func TestCaptureRealDataInChromium(t *testing.T) {
	var files []string
	for _, dir := range []string{"pcap/pairs/*/*.pcap", "pcap/captures/*"} {
		m, err := filepath.Glob(filepath.Join(realdata.Dir(), dir))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("%d captures under %s/pcap, want the 3 pairs and 7 captures (set FLOWSENSE_DATA)", len(files), realdata.Dir())
	}
	p := openCapturePage(t)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { p.check(t, f, false) })
	}
}
