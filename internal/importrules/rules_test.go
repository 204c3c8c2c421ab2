package importrules

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// goList runs `go list -deps -json` over the whole module.
func goList(t *testing.T) []Package {
	t.Helper()
	gobin := goBinary(t)
	cmd := exec.Command(gobin, "list", "-deps", "-json=ImportPath,Standard,Imports,Deps", Module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p Package
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestModuleFollowsTheRules checks the real graph.
func TestModuleFollowsTheRules(t *testing.T) {
	pkgs := goList(t)
	ours := 0
	for _, p := range pkgs {
		if strings.HasPrefix(p.ImportPath, Module) {
			ours++
		}
	}
	if ours < 20 {
		t.Fatalf("go list found %d of the module's packages: the test is not looking at the module", ours)
	}
	for _, v := range Check(pkgs) {
		t.Error(v)
	}
	// The two facts the layout exists for, stated directly.
	for _, p := range pkgs {
		if p.ImportPath != Module+"/trainer" && p.ImportPath != Module+"/internal/simulate" {
			continue
		}
		for _, d := range p.Deps {
			if strings.HasPrefix(d, Wazero) {
				t.Errorf("%s links %s", p.ImportPath, d)
			}
		}
	}
}

// TestCheckCatchesWrongImports feeds Check graphs with one wrong edge
// each: every rule must report it, and a clean graph nothing.
func TestCheckCatchesWrongImports(t *testing.T) {
	m := func(r string) string { return Module + "/" + r }
	std := []Package{{ImportPath: "fmt", Standard: true}, {ImportPath: "context", Standard: true}}
	pkg := func(path string, imports ...string) Package {
		return Package{ImportPath: path, Imports: imports, Deps: imports}
	}
	clean := append([]Package{
		pkg(m("model"), "fmt"),
		pkg(m("wasm/abi"), "fmt", m("model"), m("wasm/internal/wasmbin")),
		{ImportPath: m("wasm/host"), Imports: []string{"context", m("wasm/abi"), Wazero, Wazero + "/api"},
			Deps: []string{"context", m("wasm/abi"), Wazero, Wazero + "/api", "golang.org/x/sys/cpu"}},
		pkg(m("functions"), m("wasm/host"), Wazero, "github.com/prometheus/client_golang/prometheus"),
		pkg(m("trainer"), m("wasm/compiler"), m("flowdata"), "gonum.org/v1/gonum/mat"),
		{ImportPath: m("functions/web/pcapwasm"), Imports: []string{"context", m("extract")},
			Deps: []string{"context", m("extract"), "github.com/gopacket/gopacket"}},
	}, std...)
	if v := Check(clean); len(v) != 0 {
		t.Fatalf("clean graph: %v", v)
	}
	for name, c := range map[string]struct {
		pkg, dep, rule string
	}{
		"model imports a third-party package": {m("model"), "gonum.org/v1/gonum/mat", "may import"},
		"model imports wazero":                {m("model"), Wazero, "may import"},
		"the compiler links wazero":           {m("wasm/compiler"), Wazero, "may import"},
		"the abi imports flowdata":            {m("wasm/abi"), m("flowdata"), "may import"},
		"the host imports prometheus":         {m("wasm/host"), "github.com/prometheus/client_golang/prometheus", "may import"},
		"the host imports the trainer":        {m("wasm/host"), m("trainer/gbdt"), "may import"},
		"functions imports the trainer":       {m("functions"), m("trainer"), "serving code"},
		"cloudevents imports trainer/eval":    {m("cloudevents"), m("trainer/eval"), "serving code"},
		"flowdata imports synth's trainer":    {m("flowdata/synth"), m("trainer/gbdt"), "serving code"},
		"the trainer links wazero":            {m("trainer"), Wazero + "/api", "WebAssembly runtime"},
		"the simulator links wazero":          {m("internal/simulate"), Wazero, "WebAssembly runtime"},
		"artifact links wazero":               {m("artifact"), Wazero, "WebAssembly runtime"},
		"pcapwasm imports functions":          {m("functions/web/pcapwasm"), m("functions"), "extract/ only"},
		"pcapwasm imports gopacket":           {m("functions/web/pcapwasm"), "github.com/gopacket/gopacket", "extract/ only"},
	} {
		g := append(append([]Package{}, clean...), pkg(c.pkg, "fmt", c.dep))
		v := Check(g)
		found := false
		for _, x := range v {
			if x.Package != c.pkg || x.Dep != c.dep {
				t.Errorf("%s: unexpected violation %v", name, x)
			}
			found = found || strings.Contains(x.Rule, c.rule)
		}
		if !found {
			t.Errorf("%s: got %v, want a violation %q of %s -> %s", name, v, c.rule, c.pkg, c.dep)
		}
	}
}

// goBinary is the go command that runs this test: $GOROOT/bin/go from
// `go env GOROOT` when go is on PATH, else "go".
func goBinary(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v (the import rules need the go command on PATH)", err)
	}
	return strings.TrimSpace(string(out)) + "/bin/go"
}
