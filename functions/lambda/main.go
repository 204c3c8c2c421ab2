package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/functions/lambda/internal/awslambda"
)

// bundle holds bundle/README.md and, in a build made by make lambda,
// bundle/model.wasm. A directory rather than a model.wasm next to this
// file: go:embed of a missing file fails the build, and go vet and go test
// must work in a clean clone without a model.
//
//go:embed bundle
var bundle embed.FS

// errNoModel: neither an embedded module nor FLOWSENSE_MODEL.
var errNoModel = errors.New("no model: build with make lambda (bundle/model.wasm) or set FLOWSENSE_MODEL")

// defaultSource is the source attribute of reply events.
const defaultSource = "urn:flowsense:lambda"

// config is what the environment says.
type config struct {
	modelPath string // FLOWSENSE_MODEL
	source    string // FLOWSENSE_SOURCE
}

func configFrom(getenv func(string) string) config {
	c := config{modelPath: getenv("FLOWSENSE_MODEL"), source: getenv("FLOWSENSE_SOURCE")}
	if c.source == "" {
		c.source = defaultSource
		if fn := getenv("AWS_LAMBDA_FUNCTION_NAME"); fn != "" {
			c.source += ":" + fn
		}
	}
	return c
}

// load opens the server: FLOWSENSE_MODEL if set, else the embedded module.
// extra are the options of functions.OptionsFromEnv.
func load(ctx context.Context, c config, embedded fs.FS, log *slog.Logger, extra ...functions.Option) (*functions.Server, error) {
	opts := append(extra, functions.WithSource(c.source), functions.WithLogger(log))
	if c.modelPath != "" {
		s, err := functions.LoadFile(ctx, c.modelPath, opts...)
		if err != nil {
			return nil, fmt.Errorf("FLOWSENSE_MODEL %s: %w", c.modelPath, err)
		}
		return s, nil
	}
	b, err := fs.ReadFile(embedded, "bundle/model.wasm")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoModel
	}
	if err != nil {
		return nil, fmt.Errorf("embedded model: %w", err)
	}
	s, err := functions.New(ctx, b, opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded model: %w", err)
	}
	return s, nil
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	if l, from := functions.SetMemoryLimit(); l > 0 {
		log.Info("memory limit", slog.Int64("bytes", l), slog.String("from", from))
	}
	extra, err := functions.OptionsFromEnv(os.Getenv)
	if err != nil {
		log.Error("configuration", slog.String("error", err.Error()))
		os.Exit(1)
	}
	srv, err := load(context.Background(), configFrom(os.Getenv), bundle, log, extra...)
	if err != nil {
		// the init phase fails: Lambda reports it and retries the cold start
		log.Error("loading the model", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(awslambda.New(srv, awslambda.WithLogger(log)).Invoke)
}
