package functionstest

import (
	"bytes"
	_ "embed"
	"fmt"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/compiler"
)

//go:embed testdata/model.json
var modelJSON []byte

// Model decodes the test model: six classes of synthetic flows (BENIGN,
// Brute Force, Exfiltration, PortScan, SYN Flood, Slow DoS) over the
// CICFlowMeter features, with an outlier detector. testdata/README.md says
// how it was made.
func Model() (*model.Model, error) {
	return model.Decode(bytes.NewReader(modelJSON))
}

// ModelWasm compiles the test model into a module.
func ModelWasm() ([]byte, error) {
	m, err := Model()
	if err != nil {
		return nil, fmt.Errorf("test model: %w", err)
	}
	b, err := compiler.Compile(m)
	if err != nil {
		return nil, fmt.Errorf("test model: %w", err)
	}
	return b, nil
}
