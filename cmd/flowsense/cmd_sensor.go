package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/extract"
	"github.com/flowsense/flowsense/sensor"
)

// runSensor is flowsense sensor: packets (a capture, stdin, a live
// interface) to flows to CloudEvents at a sink.
func runSensor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("sensor")
	pcaps := f.List("pcap", "captures to read (pcap or pcapng, gzip or not; - for a stream on stdin)")
	iface := f.String("interface", "", "listen on this interface (AF_PACKET, needs CAP_NET_RAW)")
	sink := f.String("sink", "", "http(s) URL to POST the io.flowsense.flow.v1 events to: a Broker's ingress or a function")
	schema := f.String("schema", "auto", "the features to send: auto (GET /model at the sink's host), all (every CICFlowMeter feature), a model directory/model.json/model.wasm, or a function's /model URL")
	f.String("batch", strconv.Itoa(sensor.DefaultBatch), "most flows per event")
	flush := f.String("flush", "1s", "longest a flow waits for its batch to fill")
	f.String("buffer", strconv.Itoa(sensor.DefaultBuffer), "batches waiting to be sent; when full, a file source waits and a live one drops the oldest")
	f.String("workers", strconv.Itoa(sensor.DefaultWorkers), "concurrent POSTs")
	f.String("retries", strconv.Itoa(sensor.DefaultRetries), "tries again after a network error, 408, 429 or 5xx (exponential backoff with jitter)")
	structured := f.Bool("structured", "send structured events (application/cloudevents+json) instead of binary")
	source := f.String("source", "", "the events' source attribute (default urn:flowsense:sensor/HOSTNAME)")
	verdicts := f.String("verdicts", "", "write the classifications the sink replies with as JSON lines to this file (- for stdout)")
	duration := f.String("duration", "", "stop a live capture after this long (default: until SIGTERM)")
	drain := f.String("drain-timeout", "30s", "at the end, how long queued batches may take to be delivered")
	profile := f.String("profile", "cicids2017", "reference semantics: cicids2017 or cicflowmeter")
	f.String("early", "0", "send each flow once it has N packets (0: when it ends)")
	flowTimeout := f.String("flow-timeout", "120s", "end a flow this long after its first packet")
	f.String("min-packets", "1", "drop flows of fewer packets")
	tokenFile := f.String("token-file", "", "send the token in this file as Authorization: Bearer to the sink's host (a private function's classify token, or a projected service account token); read again for every request, so a rotated token is used at once")
	schemaTokenFile := f.String("schema-token-file", "", "the same for a --schema URL on another host than the sink (a function whose GET /model is protected)")
	help := f.Bool("help", "show this help")
	if err := f.Parse(args); err != nil {
		return err
	}
	if *help {
		f.usage(stdout, "--pcap FILE...|--interface IF --sink URL [--schema auto|all|MODEL|URL] [options]")
		return errHelp
	}
	files := append(*pcaps, f.args...)
	switch {
	case *sink == "":
		return fmt.Errorf("%w: --sink is required", errUsage)
	case len(files) == 0 && *iface == "":
		return fmt.Errorf("%w: --pcap or --interface is required", errUsage)
	case len(files) > 0 && *iface != "":
		return fmt.Errorf("%w: --pcap and --interface exclude each other", errUsage)
	}
	modelURL, err := sensor.ModelURL(*sink)
	if err != nil {
		return fmt.Errorf("%w: --sink: %v", errUsage, err)
	}
	cfg := sensor.Config{Sink: *sink, Structured: *structured, Source: *source, DropOldest: *iface != ""}
	for _, n := range []struct {
		name string
		v    *int
	}{{"batch", &cfg.Batch}, {"buffer", &cfg.Buffer}, {"workers", &cfg.Workers}, {"retries", &cfg.Retries}} {
		if err := f.Int(n.name, n.v); err != nil {
			return err
		}
		if *n.v < 0 || (*n.v == 0 && n.name != "retries") {
			return fmt.Errorf("%w: --%s must be positive", errUsage, n.name)
		}
	}
	if cfg.Flush, err = parseDuration("flush", *flush); err != nil {
		return err
	}
	drainTimeout, err := parseDuration("drain-timeout", *drain)
	if err != nil {
		return err
	}
	var lo sensor.LiveOptions
	lo.Interface = *iface
	if *duration != "" {
		if lo.Duration, err = parseDuration("duration", *duration); err != nil {
			return err
		}
	}
	var opt extract.Options
	if opt.Profile, err = extract.ParseProfile(*profile); err != nil {
		return fmt.Errorf("%w: --profile: %v", errUsage, err)
	}
	if err := f.Int("early", &opt.Early); err != nil {
		return err
	}
	if err := f.Int("min-packets", &opt.MinPackets); err != nil {
		return err
	}
	if opt.Early < 0 || opt.MinPackets < 0 {
		return fmt.Errorf("%w: --early and --min-packets must not be negative", errUsage)
	}
	if opt.FlowTimeout, err = parseDuration("flow-timeout", *flowTimeout); err != nil {
		return err
	}
	if cfg.Source == "" {
		host, _ := os.Hostname()
		cfg.Source = sensor.DefaultSource + "/" + host
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	hc := &http.Client{Timeout: sensor.DefaultTimeout}
	src := *schema
	if src == "auto" {
		src = modelURL
	}
	if hc.Transport, err = tokenTransport(*sink, src, *tokenFile, *schemaTokenFile); err != nil {
		return err
	}
	if cfg.Fields, err = sensor.LoadFields(ctx, src, hc); err != nil {
		return err
	}
	cfg.Client = hc
	cfg.Exclude = sinkAddrs(ctx, *sink)
	cfg.Log = func(err error) { fmt.Fprintf(stderr, "flowsense sensor: %v\n", oneLine(err)) }
	if *verdicts != "" {
		w := stdout
		if *verdicts != "-" {
			fo, err := os.Create(*verdicts)
			if err != nil {
				return err
			}
			defer fo.Close()
			w = fo
		}
		bw := bufio.NewWriter(w)
		defer bw.Flush()
		var mu sync.Mutex
		cfg.OnVerdicts = func(keys []sensor.FlowKey, res []cloudevents.Classification) {
			mu.Lock()
			defer mu.Unlock()
			for i := range res {
				b, _ := json.Marshal(struct {
					Flow sensor.FlowKey `json:"flow"`
					cloudevents.Classification
				}{keys[i], res[i]})
				bw.Write(append(b, '\n'))
			}
			if *verdicts == "-" {
				bw.Flush()
			}
		}
	}
	snd, err := sensor.NewSender(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "flowsense sensor: %d features per flow, sending to %s\n", len(cfg.Fields.Names()), *sink)
	var xs extract.Stats
	var live sensor.LiveStats
	var runErr error
	if *iface != "" {
		live, runErr = sensor.Live(ctx, lo, opt, snd)
		xs = live.Extract
	} else {
		xs, runErr = sensor.ReadCaptures(ctx, files, opt, snd)
	}
	dctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	if err := snd.Close(dctx); err != nil && runErr == nil {
		runErr = err
	}
	s := snd.Stats()
	fmt.Fprintf(stderr, "flowsense sensor: %d packets (%d IP), %d flows (%d the sink's own), %d events with %d flows delivered, %d retries; %d flows dropped (buffer full), %d rejected, %d failed; verdicts: %d benign, %d malicious, %d anomalous\n",
		xs.Packets, xs.IP, s.Flows, s.Excluded, s.Events, s.Sent, s.Retries, s.Dropped, s.Rejected, s.Failed, s.Benign, s.Malicious, s.Anomalous)
	if *iface != "" {
		fmt.Fprintf(stderr, "flowsense sensor: %s: %s\n", *iface, live)
	}
	if runErr == nil && s.Rejected+s.Failed > 0 {
		runErr = fmt.Errorf("%d flows not delivered to %s", s.Rejected+s.Failed, *sink)
	}
	return runErr
}

// tokenTransport is the transport of the sensor's requests: the token of
// tokenFile for the sink's host, that of schemaTokenFile for the schema
// URL's (another host). A file without a token is a usage error naming
// the flag.
func tokenTransport(sink, schema, tokenFile, schemaTokenFile string) (http.RoundTripper, error) {
	var rt http.RoundTripper = http.DefaultTransport
	if schemaTokenFile != "" {
		su, err := url.Parse(schema)
		if err != nil || (su.Scheme != "http" && su.Scheme != "https") {
			return nil, fmt.Errorf("%w: --schema-token-file is for a --schema http(s) URL, not %q", errUsage, schema)
		}
		if sk, _ := url.Parse(sink); sk != nil && sk.Host == su.Host {
			return nil, fmt.Errorf("%w: --schema %s is on the sink's host: its token is --token-file's", errUsage, schema)
		}
		b, err := sensor.NewBearerToken(schemaTokenFile, schema, rt)
		if err != nil {
			return nil, fmt.Errorf("%w: --schema-token-file: %v", errUsage, err)
		}
		rt = b
	}
	if tokenFile != "" {
		b, err := sensor.NewBearerToken(tokenFile, sink, rt)
		if err != nil {
			return nil, fmt.Errorf("%w: --token-file: %v", errUsage, err)
		}
		rt = b
	}
	return rt, nil
}

// sinkAddrs are the sink's addresses and port, whose flows the sensor
// leaves out (its own POSTs, when it listens on the interface it sends
// over).
func sinkAddrs(ctx context.Context, sink string) []netip.AddrPort {
	u, err := url.Parse(sink)
	if err != nil {
		return nil
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(lctx, "ip", u.Hostname())
	if err != nil {
		return nil
	}
	var out []netip.AddrPort
	for _, a := range addrs {
		out = append(out, netip.AddrPortFrom(a.Unmap(), uint16(p)))
	}
	return out
}
