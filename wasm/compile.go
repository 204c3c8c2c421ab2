package wasm

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/flowsense/flowsense/model"
)

// Compile lowers a model to a standalone WebAssembly module: no imports, a
// fixed-size exported memory, predict(n) and the ABI globals (ABI.md), and
// the model's Metadata in a custom section. The model is validated first
// (ErrModel). The module's answers are the native predictor's
// ((*model.Model).Predict): the same class, probabilities within 1e-6 and
// the outlier score within 1e-5 relative.
func Compile(m *model.Model) ([]byte, error) {
	if m == nil {
		return nil, &Error{Op: "compile", Offset: -1, Err: ErrModel, Detail: "nil model"}
	}
	if err := model.Validate(m); err != nil {
		return nil, &Error{Op: "compile", Offset: -1, Err: fmt.Errorf("%w: %w", ErrModel, err)}
	}
	l, err := lower(m)
	if err != nil {
		return nil, &Error{Op: "compile", Offset: -1, Err: err}
	}
	var enc bytes.Buffer
	if err := m.Encode(&enc); err != nil {
		return nil, &Error{Op: "compile", Offset: -1, Err: fmt.Errorf("%w: %w", ErrModel, err)}
	}
	sum := sha256.Sum256(enc.Bytes())
	meta, err := json.Marshal(metadataOf(m, hex.EncodeToString(sum[:])))
	if err != nil {
		return nil, &Error{Op: "compile", Offset: -1, Err: fmt.Errorf("%w: metadata: %w", ErrModel, err)}
	}
	return emit(l, meta), nil
}
