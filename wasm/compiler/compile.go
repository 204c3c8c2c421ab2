package compiler

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/flowsense/flowsense/wasm/abi"

	"github.com/flowsense/flowsense/model"
)

// CompileOption configures Compile.
type CompileOption func(*compileConfig)

type compileConfig struct {
	sha       string
	noSIMD    bool
	noExplain bool
	form      TreeForm
	top       bool // TopTier: the kernels tuned for run time over compile time
}

// WithoutExplain leaves out the explain export (ABI 1.1) that Compile
// adds for a model with node covers: a smaller module that predicts the
// same.
func WithoutExplain() CompileOption {
	return func(c *compileConfig) { c.noExplain = true }
}

// WithoutSIMD compiles a WebAssembly 1.0 (MVP) module: no v128
// instructions, for a host without the SIMD feature (every current
// browser, Node.js and wazero have it). The answers are the same within
// the parity bounds; the detector is slower (RATIONALE.md).
func WithoutSIMD() CompileOption {
	return func(c *compileConfig) { c.noSIMD = true }
}

// WithModelSHA256 records hexSHA as the model's sha256 in the metadata,
// for a caller that holds the model file's bytes (the CLI hashes the file
// it read or wrote). Without it Compile hashes model.MarshalIndent's
// output (the bytes of model.json as the trainer writes it), which for a
// model of a million nodes takes longer than the compilation itself.
func WithModelSHA256(hexSHA string) CompileOption {
	return func(c *compileConfig) { c.sha = hexSHA }
}

// WithModelFile records the sha256 of modelFile, the model file's bytes as
// read or written, as the model's sha256: WithModelSHA256 for a caller
// that holds the file rather than its hash.
func WithModelFile(modelFile []byte) CompileOption {
	sum := sha256.Sum256(modelFile)
	return WithModelSHA256(hex.EncodeToString(sum[:]))
}

// Compile lowers a model to a standalone WebAssembly module: no imports, a
// fixed-size exported memory, predict(n) and the ABI globals (ABI.md), and
// the model's abi.Metadata in a custom section. The model is validated first
// (abi.ErrModel). The module's answers are the native predictor's
// ((*model.Model).Predict): the same class, probabilities within 1e-6 and
// the outlier score within 1e-5 relative.
func Compile(m *model.Model, opts ...CompileOption) ([]byte, error) {
	cfg := compileConfig{form: TreeTables}
	for _, o := range opts {
		o(&cfg)
	}
	if m == nil {
		return nil, &abi.Error{Op: "compile", Offset: -1, Err: abi.ErrModel, Detail: "nil model"}
	}
	if err := model.Validate(m); err != nil {
		return nil, &abi.Error{Op: "compile", Offset: -1, Err: fmt.Errorf("%w: %w", abi.ErrModel, err)}
	}
	l, err := lower(m, !cfg.noSIMD, cfg.form, cfg.top)
	if err != nil {
		return nil, &abi.Error{Op: "compile", Offset: -1, Err: err}
	}
	var x *explainLayout
	if !cfg.noExplain {
		if x, err = lowerExplain(m, l.dataBase+uint32(len(l.data))); err != nil {
			return nil, &abi.Error{Op: "compile", Offset: -1, Err: err}
		}
		if x != nil {
			l.pages = max(l.pages, uint32((uint64(x.end)+abi.PageBytes-1)/abi.PageBytes))
		}
	}
	if cfg.sha == "" {
		b, err := m.MarshalIndent()
		if err != nil {
			return nil, &abi.Error{Op: "compile", Offset: -1, Err: fmt.Errorf("%w: %w", abi.ErrModel, err)}
		}
		sum := sha256.Sum256(b)
		cfg.sha = hex.EncodeToString(sum[:])
	}
	meta, err := json.Marshal(abi.MetadataOf(m, cfg.sha))
	if err != nil {
		return nil, &abi.Error{Op: "compile", Offset: -1, Err: fmt.Errorf("%w: metadata: %w", abi.ErrModel, err)}
	}
	return abi.AppendDigest(emit(l, meta, x)), nil
}
