package artifact

import (
	"errors"
	"fmt"
	"os"

	"github.com/flowsense/flowsense/wasm/abi"
	"github.com/flowsense/flowsense/wasm/compiler"
)

// ErrNoExplain: the path names a module without the explain export and
// no model.json to compile one with it from.
var ErrNoExplain = errors.New("no explain export")

// ExplainModule returns a module with the explain export for path (a
// directory, a .wasm or a model.json), reading or compiling it once: the
// module found there when its export section lists the export (checked
// without compiling or instantiating it), else the model.json there
// compiled with the export, whose path from names ("" when the module is
// used as found). Modules in artifacts leave the export out by default.
// A module without it and no model.json beside it is an error wrapping
// ErrNoExplain. A model without node covers compiles without the export:
// the host's CanExplain says so. Errors name the file.
func ExplainModule(path string) (b []byte, from string, err error) {
	l, err := Locate(path)
	if err != nil {
		return nil, "", err
	}
	if l.Wasm != "" {
		if b, err = os.ReadFile(l.Wasm); err != nil {
			return nil, "", err
		}
		ok, err := abi.HasFuncExport(b, abi.ExportExplain)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", l.Wasm, err)
		}
		if ok {
			return b, "", nil
		}
		if l.Model == "" {
			return nil, "", fmt.Errorf("%s: %w and no model.json beside it (flowsense compile --explain writes a module with it)", l.Wasm, ErrNoExplain)
		}
	}
	m, raw, err := ReadModel(l.Model)
	if err != nil {
		return nil, "", err
	}
	if b, err = compiler.Compile(m, compiler.WithModelFile(raw)); err != nil {
		return nil, "", fmt.Errorf("%s: %w", l.Model, err)
	}
	return b, l.Model, nil
}
