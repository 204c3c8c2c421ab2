package extract_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/flowsense/flowsense/extract"
)

// Extract a capture and write the flows in the CIC-IDS2017 layout.
func ExampleExtractFile() {
	out, err := os.Create(os.DevNull)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer out.Close()
	w := extract.NewCSVWriter(out, "")
	stats, err := extract.ExtractFile(context.Background(), "testdata/mixed.pcap", extract.Options{}, w.Write)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(stats.Packets, "packets,", stats.Flows, "flows,", stats.Late, "late")
	// Output: 33 packets, 13 flows, 1 late
}

// Stream flows as they end, early after three packets, from any packet
// source (a live capture, a pipe): here a file read with Capture.
func ExampleExtractor() {
	x, _ := extract.New(extract.Options{Early: 3}, func(f *extract.Flow) error {
		if f.End == extract.EndEarly {
			fmt.Printf("%s after %.0f packets: %.0f µs, SYN %.0f\n", f.ID(),
				f.Value(extract.TotalFwdPacket)+f.Value(extract.TotalBwdPackets),
				f.Value(extract.FlowDuration), f.Value(extract.SYNFlagCount))
		}
		return nil
	})
	in, _ := os.Open("testdata/mixed.pcap")
	defer in.Close()
	c, _ := extract.NewCapture(in, "mixed.pcap", 0)
	for {
		data, ci, link, err := c.Next()
		if err != nil {
			break // io.EOF, or an *extract.Error naming the packet
		}
		x.Packet(data, ci, link)
	}
	x.Close()
	// Output:
	// 192.168.10.5-192.168.10.50-40000-80-6 after 3 packets: 2000 µs, SYN 2
	// 192.168.10.5-192.168.10.50-40001-81-6 after 3 packets: 3000 µs, SYN 1
	// 2001:db8::1-2001:db8::2-9-443-6 after 3 packets: 2000 µs, SYN 2
	// 192.168.10.5-192.168.10.50-50000-22-6 after 3 packets: 100000000 µs, SYN 0
	// 192.168.10.5-192.168.10.50-50000-22-6 after 3 packets: 100000000 µs, SYN 0
}

// Name each flow by its key, as POST /predict answers for a capture.
func ExampleFlow_Key() {
	_, err := extract.ExtractFile(context.Background(), "testdata/mixed.pcap", extract.Options{}, func(f *extract.Flow) error {
		if k := f.Key(); k.Protocol == 6 && k.DstPort == 443 {
			b, _ := json.Marshal(k)
			fmt.Println(string(b))
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"id":"2001:db8::1-2001:db8::2-9-443-6","src":"2001:db8::1","src_port":9,"dst":"2001:db8::2","dst_port":443,"protocol":6,"start":"2017-07-05T13:26:00.038372Z","fwd_packets":2,"bwd_packets":1,"end":"timeout"}
}
