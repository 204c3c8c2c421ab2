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
	"syscall"

	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/functions/oipgrpc"
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
	help := f.Bool("help", "show this help")
	if err := f.Parse(args); err != nil {
		return err
	}
	if *help {
		f.usage(stdout, "--model DIR|model.wasm [--addr HOST:PORT] [--model-name NAME]")
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
	srv, err := functions.LoadFile(ctx, *modelPath, append(opts, functions.WithSource("urn:flowsense:serve"), functions.WithLogger(slog.New(slog.NewTextHandler(stderr, nil))), functions.WithModelName(*modelName))...)
	if err != nil {
		return err
	}
	defer srv.Close(context.Background())
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	md := srv.Metadata()
	fmt.Fprintf(stdout, "serving %s (%d features, classes %v) on %s\n", *modelPath, len(md.Schema.Features), md.Classes, url)
	metricsDone := make(chan error, 1)
	mctx, mcancel := context.WithCancel(ctx)
	defer func() { mcancel(); <-metricsDone }()
	if ma := env(functions.EnvMetricsAddr); ma != "" {
		mln, err := net.Listen("tcp", ma)
		if err != nil {
			ln.Close()
			return fmt.Errorf("%w: %s %s: %v", errUsage, functions.EnvMetricsAddr, ma, err)
		}
		fmt.Fprintf(stdout, "  metrics on http://%s/metrics (and not on %s)\n", mln.Addr(), url)
		go func() { metricsDone <- functions.Serve(mctx, mln, srv.MetricsHandler()) }()
	} else {
		metricsDone <- nil
	}
	fmt.Fprintf(stdout, "  open %s/ in a browser: upload a CSV, every flow classified in the browser by model.wasm\n", url)
	fmt.Fprintf(stdout, "  curl -s %s/model | head\n", url)
	fmt.Fprintf(stdout, "  curl -s -H 'Content-Type: text/csv' --data-binary @flows.csv %s/predict\n", url)
	fmt.Fprintf(stdout, "  curl -s -H 'Content-Type: application/json' -d '{\"%s\": 0}' %s/predict\n", md.Schema.Features[0].Name, url)
	fmt.Fprintf(stdout, "  curl -s %s/v2/models/%s   # the Open Inference Protocol (KServe V2); gRPC inference.GRPCInferenceService on the same port\n", url, srv.OIPModelName())
	fmt.Fprintf(stdout, "  curl -s -H 'Content-Type: application/json' -d '{\"id\": \"ID OF AN ANSWER\", \"truth\": \"%s\"}' %s/feedback; curl -s %s/metrics | grep ^flowsense_\n", md.Classes[0], url, url)
	// gRPC inference.GRPCInferenceService on the same port (h2c)
	err = functions.Serve(ctx, ln, oipgrpc.Handler(oipgrpc.NewServer(srv), srv))
	if errors.Is(err, functions.ErrGraceExceeded) {
		// the shutdown asked for happened: say what was cut, exit 0
		fmt.Fprintf(stderr, "flowsense serve: %v\n", err)
		return nil
	}
	return err
}
