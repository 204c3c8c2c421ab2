//go:build realdata

package host_test

import (
	"github.com/flowsense/flowsense/wasm/compiler"
	"testing"

	"github.com/flowsense/flowsense/wasm/host"
)

// TestRealDataParity: each dataset's default model, compiled, gives the
// native answers on every test row (wazero's compiler), on the first rows
// under wazero's interpreter and Node.js, passes wasm-validate, and fits
// the size budget.
func TestRealDataParity(t *testing.T) {
	// module size budget (256 KiB) for the default models the issue names
	budget := map[string]int{"NSL-KDD kdd5": 256 << 10, "CIC-IDS2017": 256 << 10}
	for name := range datasets {
		t.Run(name, func(t *testing.T) {
			m, rows := trainedModel(t, name)
			// as flowsense train writes it: without the explain export,
			// which compile --explain adds (its size is logged)
			b := compile(t, m, compiler.WithoutExplain())
			t.Logf("%s: with the explain export %d bytes", name, len(compile(t, m)))
			nf := len(m.Schema.Features)
			n := len(rows) / nf
			d, k := 0, 0
			if m.Outlier != nil {
				d, k = len(m.Outlier.Features), m.Outlier.Components
			}
			t.Logf("%s: module %d bytes (%.1f KiB); %d features, %d classes, %d trees, detector %dx%d; %d test rows",
				name, len(b), float64(len(b))/1024, nf, len(m.Classes), len(m.Ensemble.Trees), d, k, n)
			if max, ok := budget[name]; ok && len(b) > max {
				t.Errorf("module is %d bytes, over the %d-byte budget", len(b), max)
			}
			validate(t, b)
			want := nativeAnswers(t, m, rows)
			compare(t, "compiler", want, wasmAnswers(t, load(t, b), rows), rows, nf)
			head := min(n, 5000)
			compare(t, "interpreter", want[:head], wasmAnswers(t, load(t, b, host.WithInterpreter()), rows[:head*nf]), rows, nf)
			head = min(n, 20000)
			compare(t, "node", want[:head], nodeAnswers(t, b, rows[:head*nf]), rows, nf)
		})
	}
}
