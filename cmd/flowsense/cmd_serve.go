package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/functions/oipgrpc"
	"github.com/flowsense/flowsense/wasm/abi"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("serve")
	modelPath := f.String("model", "", "model directory, model.json or model.wasm")
	addr := f.String("addr", "127.0.0.1:8080", "listen address")
	replyKey := f.String("reply-key-file", "", "file holding the per-deployment key of reply ids, 32 bytes or more (default $"+functions.EnvReplyKeyFile+"; none: a random key per process)")
	metricsAddr := f.String("metrics-addr", "", "serve GET /metrics on this address only, apart from the traffic (default $"+functions.EnvMetricsAddr+"; none: on --addr)")
	unverified := f.Bool("unverified-feedback", "also count feedback without a reply id (a closed lab only: anyone who may post feedback moves the metrics)")
	modelName := f.String("model-name", "", "the model's name under /v2/models/ (Open Inference Protocol); default: the name in its metadata")
	limits := map[string]*string{ // each flag overrides its environment variable
		functions.EnvMaxBodyBytes:         f.String("max-body-bytes", "", "bytes of one request body (default 8 MiB; $"+functions.EnvMaxBodyBytes+")"),
		functions.EnvMaxFlows:             f.String("max-flows", "", "flows of one request (default 10000; $"+functions.EnvMaxFlows+")"),
		functions.EnvTimeout:              f.String("timeout", "", "time for one request, e.g. 10s (default 10s; $"+functions.EnvTimeout+")"),
		functions.EnvMaxDecompressedBytes: f.String("max-decompressed-bytes", "", "bytes a gzip upload may inflate to (default 64 MiB; $"+functions.EnvMaxDecompressedBytes+")"),
		functions.EnvMaxHeavy:             f.String("max-heavy", "", "large requests in flight before 503 (default cores - 1; $"+functions.EnvMaxHeavy+")"),
	}
	sample := f.String("sample", "", "a CSV of flows (gzip or not) whose first rows GET /sample.csv serves and the page links")
	explain := f.Bool("explain", "serve a module with the explain export (?explain=N, and the page's per-flow explanations): model.json compiled with it when the model's module lacks it; about 3x the module's size")
	sampleRows := f.String("sample-rows", strconv.Itoa(functions.DefaultSampleRows), "how many rows of --sample to serve")
	help := f.Bool("help", "show this help")
	if err := f.Parse(args); err != nil {
		return err
	}
	if *help {
		f.usage(stdout, "--model DIR|model.wasm [--addr HOST:PORT] [--model-name NAME] [--sample FILE] [--explain]")
		return errHelp
	}
	if *modelPath == "" {
		return fmt.Errorf("%w: --model is required", errUsage)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := func(k string) string {
		if v, ok := limits[k]; ok && *v != "" {
			return *v
		}
		switch {
		case k == functions.EnvReplyKeyFile && *replyKey != "":
			return *replyKey
		case k == functions.EnvUnverifiedFeedback && *unverified:
			return "true"
		case k == functions.EnvMetricsAddr && *metricsAddr != "":
			return *metricsAddr
		}
		return os.Getenv(k)
	}
	functions.SetMemoryLimit()
	opts, err := functions.OptionsFromEnv(env)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	opts = append(opts, functions.WithSource("urn:flowsense:serve"), functions.WithLogger(slog.New(slog.NewTextHandler(stderr, nil))), functions.WithModelName(*modelName))
	if *sample != "" {
		n, err := strconv.Atoi(*sampleRows)
		if err != nil || n < 1 {
			return fmt.Errorf("%w: --sample-rows %q: want a positive number", errUsage, *sampleRows)
		}
		b, err := readSample(*sample, n)
		if err != nil {
			return err
		}
		opts = append(opts, functions.WithSample(b))
	}
	// The port opens before the model loads: a client's first request
	// waits in the listen backlog for the load instead of being refused
	// and retried (a cold start's first answer comes sooner).
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	var srv *functions.Server
	if *explain {
		var b []byte
		if b, err = explainModule(*modelPath, stderr); err == nil {
			srv, err = functions.New(ctx, b, opts...)
		}
	} else {
		srv, err = functions.LoadFile(ctx, *modelPath, opts...)
	}
	if err != nil {
		ln.Close()
		if *sample != "" && errors.Is(err, functions.ErrSample) {
			return fmt.Errorf("--sample %s: %w", *sample, err)
		}
		return err
	}
	defer srv.Close(context.Background())
	url := "http://" + ln.Addr().String()
	metricsURL := ""
	metricsDone := make(chan error, 1)
	mctx, mcancel := context.WithCancel(ctx)
	defer func() { mcancel(); <-metricsDone }()
	if ma := env(functions.EnvMetricsAddr); ma != "" {
		mln, err := net.Listen("tcp", ma)
		if err != nil {
			ln.Close()
			return fmt.Errorf("%w: %s %s: %v", errUsage, functions.EnvMetricsAddr, ma, err)
		}
		metricsURL = "http://" + mln.Addr().String()
		go func() { metricsDone <- functions.Serve(mctx, mln, srv.MetricsHandler()) }()
	} else {
		metricsDone <- nil
	}
	printServing(stdout, *modelPath, url, metricsURL, *sample, srv.Metadata(), srv.OIPModelName())
	// gRPC inference.GRPCInferenceService on the same port (h2c)
	err = functions.Serve(ctx, ln, oipgrpc.Handler(oipgrpc.NewServer(srv), srv))
	if errors.Is(err, functions.ErrGraceExceeded) {
		// the shutdown asked for happened: say what was cut, exit 0
		fmt.Fprintf(stderr, "flowsense serve: %v\n", err)
		return nil
	}
	return err
}

// readSample reads the first rows of the file for --sample.
func readSample(path string, rows int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--sample: %w", err)
	}
	defer f.Close()
	b, err := functions.SampleOf(f, rows)
	if err != nil {
		return nil, fmt.Errorf("--sample %s: %w", path, err)
	}
	return b, nil
}

// printServing says what is served where, and gives examples that run as
// printed from the directory serve was started in (a test runs them: the
// README's set-up test in internal/firstrun).
func printServing(w io.Writer, modelPath, url, metricsURL, sample string, md *abi.Metadata, oipName string) {
	fmt.Fprintf(w, "serving %s (model %s, %d features, classes %v) on %s\n", modelPath, nameVersion(md.Name, md.Version), len(md.Schema.Features), md.Classes, url)
	if metricsURL != "" {
		fmt.Fprintf(w, "  metrics on %s/metrics (and not on %s)\n", metricsURL, url)
	} else {
		metricsURL = url
	}
	if sample != "" {
		fmt.Fprintf(w, "  open %s/ in a browser: click \"classify the sample\" or upload a CSV; every flow is classified in the browser by model.wasm\n", url)
	} else {
		fmt.Fprintf(w, "  open %s/ in a browser: upload a CSV; every flow is classified in the browser by model.wasm\n", url)
	}
	fmt.Fprintf(w, "  curl -sS %s/model | grep -E '^  \"(name|version|trainer_version|trees)\"'\n", url)
	if sample != "" {
		fmt.Fprintf(w, "  head -n 4 %s | curl -sS -H 'Content-Type: text/csv' --data-binary @- %s/predict\n", shellQuote(sample), url)
	}
	fmt.Fprintf(w, "  curl -sS %s/v2/models/%s    # the Open Inference Protocol (KServe V2); gRPC inference.GRPCInferenceService on the same port\n", url, oipName)
	one := shellQuote(fmt.Sprintf(`{%q: 0}`, md.Schema.Features[0].Name))
	fmt.Fprintf(w, "  curl -sS -H 'Content-Type: application/json' -d %s %s/predict\n", one, url)
	fmt.Fprintf(w, "  id=$(curl -sS -H 'Content-Type: application/json' -d %s %s/predict | sed -n 's/.*\"id\":\"\\([^\"]*\\)\".*/\\1/p'); "+
		"curl -sS -H 'Content-Type: application/json' -d '{\"id\": \"'$id'\", \"truth\": %q}' %s/feedback; curl -sS %s/metrics | grep ^flowsense_feedback\n", one, url, md.Classes[0], url, metricsURL)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:,+=@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
